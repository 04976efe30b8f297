// Sending: fill one datagram (docs/protocol.md §9.3).
//
// poll_transmit() builds at most one datagram per call, to the current peer
// address: while the handshake is not confirmed a long-header packet
// (Initial for a client that has not heard from the server yet, Handshake
// otherwise) carrying CRYPTO, PING and ACK; then, once 1-RTT keys exist, a
// coalesced short-header packet with everything else (the frames and their
// order: connection_frames_out.cpp), and the ACK last, in room reserved for
// it (an ACK that is not yet due is added only to a packet that goes
// anyway). Every packet takes the next number of the single packet number
// space from the recovery sender, which also decides whether an
// ack-eliciting packet may go now (congestion window, pacing, 2^15 packet
// window). An ACK that is due goes even when congestion control says no.
// Datagrams from a client that contain a long-header packet are padded to
// 1200 bytes; before the client's address is validated a server sends at
// most 3 times what it received on that path (RFC 9000 §8.1).
//
// Steps: plan_datagram (budget, congestion control, pacing) ->
// build_packet for the long-header and the 1-RTT packet (header,
// write_packet_body, seal_packet) -> finish_datagram (counters, timers,
// tail probes).

#include "core/connection.hpp"
#include "core/deadline_startup.hpp"
#include "core/message_one_way_delay.hpp"

#include "crypto/aead.hpp"
#include "crypto/crypto_error.hpp"
#include "wire/packet_number.hpp"
#include "wire/writer.hpp"

#include <algorithm>

namespace tern::core {

namespace {

constexpr std::size_t min_client_datagram = 1200;
/// A datagram with less room than this is not worth building.
constexpr std::size_t min_datagram_room = 64;
/// Send a PING in an otherwise ACK-only packet after this many in a row, so
/// the peer's ACKs get acknowledged and its ACK ranges trimmed (§13.2.4).
constexpr std::uint64_t max_non_eliciting_in_row = 16;

void to_wire_ack(const recovery::ack_info& in, wire::ack_frame& out) {
  out.ranges.clear();
  for (const auto& r : in.ranges()) out.ranges.push_back(wire::ack_range{r.smallest, r.largest});
  out.ack_delay = in.ack_delay;
  out.ecn.reset();
  // ACK_ECN once any marked packet arrived (RFC 9000 §13.4.1).
  if (in.has_ecn) out.ecn = wire::ecn_counts{in.ecn.ect0, in.ecn.ect1, in.ecn.ce};
}

} // namespace

bool connection::wants_long_header() const noexcept {
  if (!keys_.has_handshake_keys()) return false;
  if (handshake_.crypto_send.has_data_to_send()) return true;
  // Before 1-RTT keys, ACKs and probes can only travel in long headers.
  if (!handshake_.complete) return acks_.has_unacknowledged() || send_.has(send_flag::ping);
  return false;
}

bool connection::has_ack_eliciting_to_send(time_point now) {
  if (send_.has(send_flag::ping) || handshake_.crypto_send.has_data_to_send()) return true;
  if (early_data_pending(now)) return true;
  if (!can_send_one_rtt()) return false;
  if (!injected_frames_.empty()) return true;
  if (send_.has(send_flag::handshake_done) || send_.has(send_flag::new_token) ||
      path_.validation.challenge_pending || !path_.responses.empty() || ids_.has_frames_to_send())
    return true;
  if (message_tail_.probes_pending > 0) return true;
  if (repair_.repair_due()) return true;
  if (conn_recv_window_.has_update() || conn_send_credit_.blocked_pending() || send_.has(send_flag::stream_control))
    return true;
  if (messages_out_.has_pending(now, message_one_way_delay(sender_))) return true;
  if (datagrams_out_.size() > 0) return true;
  if (streams_.next_to_send() != nullptr && conn_send_credit_.available() > 0) return true;
  return false;
}

void connection::update_handshake_probe(time_point now) {
  (void)now;
  // A client keeps the handshake alive even with nothing in flight: the
  // server may be blocked by its amplification limit (RFC 9002 §6.2.2.1).
  if (is_client() && !handshake_.complete && sender_.bytes_in_flight() == 0)
    handshake_.probe_at = activity_.last_sent + pto();
  else
    handshake_.probe_at = never;
}

std::optional<transmit> connection::poll_transmit(std::span<std::byte> out, time_point now) {
  if (state_ == connection_state::closed || state_ == connection_state::draining) return std::nullopt;
  if (out.size() < min_client_datagram) return std::nullopt;
  if (state_ == connection_state::closing) {
    if (!send_.take(send_flag::close_frame)) return std::nullopt;
    return build_close(out, now);
  }
  // A PATH_RESPONSE for another address than the current one goes alone.
  if (path_.response_elsewhere_pending() && can_send_one_rtt())
    return build_response_alone(out, now);
  return build_datagram(out, now);
}

std::optional<transmit> connection::build_response_alone(std::span<std::byte> out, time_point now) {
  const path_response response = path_.responses.front();
  path_.responses.pop_front();
  path_.response_alone = response;
  packet_request request;
  request.allow_data = false;
  request.response_only = true;
  const std::size_t n = build_packet(out.first(config_.max_datagram_size), request, now).size;
  path_.response_alone.reset();
  if (n == 0) return std::nullopt;
  counters_.bytes_sent += n;
  return transmit{n, response.to};
}

std::optional<transmit> connection::build_datagram(std::span<std::byte> out, time_point now) {
  const auto plan = plan_datagram(out.size(), now);
  if (!plan) return std::nullopt;
  datagram_built d;
  packet_result long_packet;
  // A client's early data follows its long-header packet, which then
  // leaves the padding to it.
  const bool early = plan->allow_data && early_data_pending(now);
  if (wants_long_header() || (!keys_.has_one_rtt_keys() && keys_.has_handshake_keys())) {
    packet_request request;
    request.type = is_client() && !handshake_.heard_from_peer ? wire::packet_type::initial
                                                               : wire::packet_type::handshake;
    request.min_size = is_client() && !early ? std::min(plan->budget, min_client_datagram) : 0;
    request.allow_data = plan->allow_data;
    request.messages_only = plan->messages_only;
    long_packet = build_packet(out.first(plan->budget), request, now);
    d.size = long_packet.size;
    d.ack_eliciting = long_packet.frames.ack_eliciting;
  }
  if (early && plan->budget - d.size >= min_datagram_room) {
    packet_request request;
    request.type = wire::packet_type::zero_rtt;
    request.messages_only = plan->messages_only;
    request.min_size = std::min(plan->budget, min_client_datagram) - std::min(d.size, min_client_datagram);
    const auto zero_rtt_packet = build_packet(out.subspan(d.size, plan->budget - d.size), request, now);
    d.size += zero_rtt_packet.size;
    d.ack_eliciting = d.ack_eliciting || zero_rtt_packet.frames.ack_eliciting;
  }
  if (can_send_one_rtt() && plan->budget - d.size >= min_datagram_room && !(is_client() && long_packet.size > 0)) {
    const auto short_packet = build_short_packet(out.subspan(d.size, plan->budget - d.size), *plan, d.size, now);
    d.size += short_packet.size;
    d.ack_eliciting = d.ack_eliciting || short_packet.frames.ack_eliciting;
    d.message_tail = short_packet.frames.message_tail;
    d.ect0 = short_packet.ect0;
  }
  return finish_datagram(d, plan->allow_data, now);
}

std::optional<connection::datagram_plan> connection::plan_datagram(std::size_t room, time_point now) {
  // Path MTU discovery (connection_path_mtu.cpp): datagrams are as large as
  // the path has proven; a due probe makes this one exactly the probe size,
  // padded, carrying whatever else is queued (a PING if nothing is).
  datagram_plan plan;
  plan.mtu_probe = mtu_probe_size(room);
  plan.budget = std::min(room, plan.mtu_probe != 0 ? plan.mtu_probe : path_mtu_.search.usable_size());
  plan.budget = std::min(plan.budget, amplification_budget());
  if (plan.budget < min_datagram_room) return std::nullopt;

  const bool want_eliciting = plan.mtu_probe != 0 || has_ack_eliciting_to_send(now);
  const bool ack_due = acks_.has_unacknowledged() && acks_.ack_due(now);
  if (!want_eliciting && !ack_due) {
    if (handshake_.confirmed && sender_.bytes_in_flight() > 0) sender_.on_app_limited(now);
    return std::nullopt;
  }
  if (!want_eliciting) return plan;
  auto perm = sender_.can_send(plan.budget, now);
  // Deadline messages may go beyond the controller's window and pacing by
  // bounded amounts while it is in start-up (deadline_startup.hpp): a
  // message queued behind the window's growth would otherwise arrive a
  // round trip late or expire. Those packets carry only messages (and
  // ACKs/control/repair), never stream data or datagrams.
  if (const auto startup = message_startup_permission(perm, plan.budget, now)) {
    perm = *startup;
    plan.messages_only = true;
  }
  if (!perm.allowed()) {
    if (perm.limit == recovery::send_limit::pacing) activity_.pacing_release = perm.release;
    if (!ack_due) return std::nullopt;
    return plan;
  }
  activity_.pacing_release = never;
  // After a fast cut of the target rate the queue it answers drains first;
  // datagrams (audio) still go, ahead of it (docs/media-rate.md, "Draining
  // after a cut"). The next ACK lets the rest out again.
  if (!plan.messages_only && sender_.drain_guard_holds(plan.budget)) {
    if (datagrams_out_.size() == 0) {
      if (!ack_due) return std::nullopt;
      plan.mtu_probe = 0;
      return plan; // an ACK only
    }
    plan.datagrams_only = true;
  }
  plan.allow_data = true;
  return plan;
}

std::optional<recovery::send_permission> connection::message_startup_permission(const recovery::send_permission& perm,
                                                                              std::uint64_t bytes,
                                                                              time_point now) const {
  const bool held = perm.limit == recovery::send_limit::congestion_window || perm.limit == recovery::send_limit::pacing;
  if (!held || !sender_.controller().in_startup()) return std::nullopt;
  const recovery::sender_stats& seen = sender_.stats();
  deadline_startup_state s;
  s.limit = perm.limit;
  s.in_startup = true;
  s.loss_seen = seen.packets_lost > 0 || seen.repaired_losses > 0 || ecn_.peer_ce() > 0;
  s.bytes_in_flight = sender_.bytes_in_flight();
  s.congestion_window = sender_.congestion_window();
  s.initial_window = sender_.initial_window();
  s.packet_bytes = bytes;
  s.repair_next = repair_.repair_due();
  const deadline_startup_config c{.allowance = config_.message_cwnd_allowance,
                                  .lossless_allowance = config_.message_lossless_allowance,
                                  .first_window_burst = config_.message_first_window_burst,
                                  .paced_after_loss = config_.message_paced_after_loss};
  // Repair protects deadline messages: held behind their burst, it came
  // too late for the rebuild to be believed (deadline_startup.cpp).
  if (!deadline_startup_lets_go(c, s) || !(s.repair_next || messages_out_.has_pending(now, message_one_way_delay(sender_))))
    return std::nullopt;
  if (deadline_startup_paces(c, s)) {
    const time_point release = sender_.pacer().release_time(bytes, now);
    if (release > now) return recovery::send_permission{.limit = recovery::send_limit::pacing, .release = release};
  }
  return recovery::send_permission{};
}

connection::packet_result connection::build_short_packet(std::span<std::byte> out, const datagram_plan& plan,
                                                         std::size_t offset, time_point now) {
  packet_request request;
  request.allow_data = plan.allow_data;
  request.messages_only = plan.messages_only;
  request.datagrams_only = plan.datagrams_only;
  // A PATH_CHALLENGE datagram is padded to 1200 bytes to probe the path's
  // MTU, as far as the amplification limit allows.
  request.min_size = path_.validation.challenge_pending ? std::min(out.size(), min_client_datagram) : 0;
  const std::uint64_t pn = sender_.next_packet_number();
  const bool probing = plan.mtu_probe != 0 && plan.allow_data && offset == 0;
  if (probing) {
    request.min_size = plan.mtu_probe;
    send_.set(send_flag::ping); // a probe must be acknowledged
  }
  // Forward error correction: a packet that may carry message data leaves
  // room for a repair symbol over it (padded packets are never sources).
  const std::size_t fec_reserve = request.min_size == 0 && offset == 0 ? fec_source_reserve(now) : 0;
  if (fec_reserve > 0 && out.size() > fec_reserve + min_datagram_room) {
    request.fec_source = true;
    out = out.first(out.size() - fec_reserve);
  }
  auto result = build_packet(out, request, now);
  if (probing && result.frames.ack_eliciting && result.size == plan.mtu_probe)
    on_mtu_probe_sent(pn, plan.mtu_probe);
  // Only datagrams holding nothing but a 1-RTT packet are marked.
  if (result.size > 0 && offset == 0 && ecn_marks_now()) {
    result.ect0 = true;
    ecn_.on_marked_sent(pn);
  }
  return result;
}

std::optional<transmit> connection::finish_datagram(const datagram_built& d, bool allow_data, time_point now) {
  if (d.size == 0) {
    if (handshake_.confirmed && allow_data) sender_.on_app_limited(now);
    return std::nullopt;
  }
  counters_.bytes_sent += d.size;
  path_.bytes_sent += d.size;
  activity_.last_sent = now;
  if (d.ack_eliciting) {
    if (!activity_.ack_eliciting_since_receive)
      activity_.last_received = std::max(activity_.last_received, now - duration::zero());
    activity_.ack_eliciting_since_receive = true;
    activity_.last_ack_eliciting_sent = now;
    send_.clear(send_flag::ping);
    // Message tail probes: the packets right after a message's last
    // fragment let the peer's ACK reveal a lost tail by packet threshold
    // within one RTT, instead of waiting for the next message or the time
    // threshold (docs/streams.md, "Tail probes").
    if (d.message_tail)
      message_tail_.probes_pending = config_.message_tail_probes;
    else if (message_tail_.probes_pending > 0)
      --message_tail_.probes_pending;
  }
  update_handshake_probe(now);
  return transmit{d.size, path_.peer, d.ect0};
}

void connection::maybe_start_key_update() {
  if (handshake_.confirmed && keys_.one_rtt().key_update_due() && keys_.one_rtt().can_initiate_update() &&
      !keys_.one_rtt().initiate_update())
    ++counters_.key_updates;
}

wire::packet_header connection::packet_header_for(wire::packet_type type, std::uint64_t number) const {
  wire::packet_header h;
  h.type = type;
  h.dcid = ids_.peer();
  h.scid = local_initial_cid_;
  if (type == wire::packet_type::initial) h.token = tokens_.initial;
  h.key_phase = type == wire::packet_type::one_rtt && keys_.one_rtt().send_key_phase();
  h.packet_number = wire::truncate_packet_number(number);
  return h;
}

connection::packet_result connection::build_packet(std::span<std::byte> out, const packet_request& request,
                                                   time_point now) {
  const bool is_long = request.type != wire::packet_type::one_rtt;
  if (!is_long) maybe_start_key_update();
  const std::uint64_t pn = sender_.next_packet_number();
  const std::uint64_t largest_acked = sender_.detector().largest_acked();
  if (!wire::may_send_packet_number(pn, largest_acked == recovery::no_packet
                                            ? std::nullopt
                                            : std::optional<std::uint64_t>(largest_acked)))
    return {};
  const wire::packet_header h = packet_header_for(request.type, pn);
  wire::writer w(out);
  if (wire::encode_header(w, h, 0, is_long ? 2 : 0)) return {};
  const std::size_t header_len = w.position();
  if (out.size() < header_len + crypto::aead_tag_length + 8) return {};
  const std::size_t room = out.size() - header_len - crypto::aead_tag_length;
  const std::uint64_t cookie = sent_.begin_packet();
  const packet_body body =
      write_packet_body(out.subspan(header_len, room), request, header_len + crypto::aead_tag_length, now);
  if (body.length == 0) {
    sent_.release(cookie);
    return {};
  }
  if (!is_long) on_fec_packet_built(pn, out.subspan(header_len, body.length), request, body.frames, now);
  return packet_result{seal_packet(out, h, header_len, body, cookie, now), body.frames};
}

connection::packet_body connection::write_packet_body(std::span<std::byte> body, const packet_request& request,
                                                      std::size_t overhead, time_point now) {
  // Frames first, the ACK after them in reserved room: an ACK that is not
  // due yet rides along only when the packet goes anyway.
  // 0-RTT packets carry no ACK (RFC 9000 §17.2.3).
  const bool ack_pending = acks_.has_unacknowledged() && request.type != wire::packet_type::zero_rtt;
  const std::size_t ack_reserve =
      ack_pending ? std::min<std::size_t>(body.size() / 2, 24 + 12 * acks_.range_count()) : 0;
  // A queued REPAIR frame goes alone (with an ACK if it fits), right
  // behind the block it protects.
  if (request.type == wire::packet_type::one_rtt && request.allow_data && !request.response_only &&
      !request.datagrams_only && repair_goes_first(now))
    if (auto repair = write_repair_packet_body(body, now); repair.length > 0) return repair;
  wire::writer frames(body.first(body.size() - ack_reserve));
  packet_body out;
  if (request.response_only) {
    if (path_.response_alone) {
      (void)wire::encode(frames, wire::path_response_frame{path_.response_alone->data});
      out.frames.ack_eliciting = true;
    }
  } else if (request.allow_data) {
    write_frames(frames, request, now, out.frames);
  }
  out.length = frames.position();
  if (ack_pending && (out.frames.ack_eliciting || acks_.ack_due(now) || !request.allow_data)) {
    const auto ack = write_ack(body.subspan(out.length), now);
    out.length += ack.length;
    out.carried_ack = ack.largest;
    if (ack.length > 0) out.length += write_repair_report(body.subspan(out.length), now);
  }
  if (out.length == 0) return out;
  wire::writer tail(body.subspan(out.length));
  // Room reserved for an ACK that did not go: more message fragments, then
  // more stream data. (Even in a messages_only packet: only the frames
  // proper leave stream data out.) Without the fragments, a media packet
  // whose ACK has many ranges left up to half of itself empty - more
  // packets per frame, and more repair for them (docs/fec.md).
  if (request.allow_data && !request.response_only && !request.datagrams_only &&
      request.type == wire::packet_type::one_rtt) {
    write_message_frames(tail, now, out.frames);
    write_stream_frames(tail, out.frames);
  }
  if (!out.frames.ack_eliciting && request.allow_data &&
      ++consecutive_non_eliciting_ >= max_non_eliciting_in_row && tail.remaining() > 0) {
    (void)wire::encode(tail, wire::ping_frame{});
    out.frames.ack_eliciting = true;
  }
  if (out.frames.ack_eliciting) consecutive_non_eliciting_ = 0;
  // Padding up to min_size (whole datagram size requested by the caller).
  const std::size_t so_far = overhead + out.length + tail.position();
  if (so_far < request.min_size) (void)tail.write_zeros(std::min(request.min_size - so_far, tail.remaining()));
  out.length += tail.position();
  return out;
}

connection::ack_written connection::write_ack(std::span<std::byte> room, time_point now) {
  ack_written out;
  wire::writer w(room);
  recovery::ack_info info;
  if (acks_.build_ack(now, info)) {
    wire::ack_frame f;
    to_wire_ack(info, f);
    std::size_t written = 0;
    if (!wire::encode_truncated(w, f, written)) out.largest = info.largest();
  }
  out.length = w.position();
  return out;
}

std::size_t connection::seal_packet(std::span<std::byte> out, const wire::packet_header& h, std::size_t header_len,
                                    const packet_body& body, std::uint64_t cookie, time_point now) {
  const bool is_long = h.type != wire::packet_type::one_rtt;
  const std::uint64_t pn = sender_.next_packet_number();
  const std::size_t total = header_len + body.length + crypto::aead_tag_length;
  if (is_long && wire::set_length_field(out, h, body.length + crypto::aead_tag_length, 2)) {
    on_lost_frames(cookie);
    return 0;
  }
  if (qlog_.observer) qlog_frames(h.type, out.subspan(header_len, body.length));
  if (auto ec = keys_.seal(h.type, pn, out.first(total), header_len, header_len - wire::packet_number_length)) {
    on_lost_frames(cookie);
    if (ec == crypto::crypto_errc::usage_limit_reached)
      close_transport(wire::transport_error::aead_limit_reached, 0, "confidentiality limit reached", now);
    return 0;
  }
  const bool eliciting = body.frames.ack_eliciting;
  recovery::outgoing_packet p;
  p.bytes = total;
  p.ack_eliciting = eliciting;
  p.in_flight = eliciting;
  p.cookie = eliciting ? cookie : 0;
  p.carried_ack_largest = body.carried_ack;
  const std::uint64_t sent_pn = sender_.on_packet_sent(p, now);
  if (qlog_.observer) {
    qlog_packet(true, h.type, pn, total, now);
    qlog_sync(now);
  }
  if (!eliciting) sent_.release(cookie);
  if (eliciting && h.type == wire::packet_type::zero_rtt) early_.sent.push_back({sent_pn, cookie});
  if (body.frames.retransmitted) ++counters_.packets_retransmitted;
  return total;
}

std::optional<transmit> connection::build_close(std::span<std::byte> out, time_point now) {
  auto type = close_.packet_type;
  if (type != wire::packet_type::one_rtt && !keys_.has_handshake_keys()) type = wire::packet_type::one_rtt;
  if (type == wire::packet_type::one_rtt && !can_send_one_rtt()) return std::nullopt;
  const bool is_long = type != wire::packet_type::one_rtt;
  const std::uint64_t pn = sender_.next_packet_number();
  const wire::packet_header h = packet_header_for(type, pn);
  const std::size_t budget = std::min({out.size(), config_.max_datagram_size, amplification_budget()});
  if (budget < min_datagram_room) return std::nullopt;
  wire::writer w(out.first(budget));
  if (wire::encode_header(w, h, 0, is_long ? 2 : 0)) return std::nullopt;
  const std::size_t header_len = w.position();
  wire::writer pw(out.subspan(header_len, budget - header_len - crypto::aead_tag_length));
  wire::connection_close_frame f;
  // Application codes are private to the application: before 1-RTT a
  // transport APPLICATION_ERROR stands in for them (RFC 9000 §10.2.3).
  const close_info& info = close_.info;
  f.application = info.application && !is_long;
  f.error_code = info.application && is_long ? static_cast<std::uint64_t>(wire::transport_error::application_error)
                                             : info.code;
  f.frame_type = close_.frame_type;
  const std::size_t reason_len = std::min<std::size_t>(info.reason.size(), 64);
  f.reason = std::as_bytes(std::span(info.reason.data(), reason_len));
  if (wire::encode(pw, f)) return std::nullopt;
  if (is_client() && is_long) {
    const std::size_t min_size = std::min(budget, min_client_datagram);
    if (header_len + pw.position() + crypto::aead_tag_length < min_size)
      (void)pw.write_zeros(min_size - header_len - pw.position() - crypto::aead_tag_length);
  }
  const std::size_t total = header_len + pw.position() + crypto::aead_tag_length;
  if (is_long && wire::set_length_field(out, h, pw.position() + crypto::aead_tag_length, 2)) return std::nullopt;
  if (qlog_.observer) qlog_frames(type, out.subspan(header_len, pw.position()));
  if (keys_.seal(type, pn, out.first(total), header_len, header_len - wire::packet_number_length))
    return std::nullopt;
  recovery::outgoing_packet p;
  p.bytes = total;
  p.ack_eliciting = false;
  p.in_flight = false;
  (void)sender_.on_packet_sent(p, now);
  if (qlog_.observer) qlog_packet(true, type, pn, total, now);
  counters_.bytes_sent += total;
  path_.bytes_sent += total;
  return transmit{total, path_.peer};
}

} // namespace tern::core
