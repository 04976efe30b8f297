// Sending: fill one datagram (docs/protocol.md §9.3).
//
// poll_transmit() builds at most one datagram per call, to the current peer
// address: while the handshake is not confirmed a long-header packet
// (Initial for a client that has not heard from the server yet, Handshake
// otherwise) carrying CRYPTO, PING and ACK; then, once 1-RTT keys exist, a
// coalesced short-header packet with everything else, in this order:
// PATH_RESPONSE, PATH_CHALLENGE, HANDSHAKE_DONE, CRYPTO, connection-level
// flow control, connection IDs, stream control frames, MESSAGE_ABANDON,
// message fragments, DATAGRAMs, stream data (by the scheduler: urgency, then
// round robin), PING, and the ACK last, in room reserved for it (an ACK that
// is not yet due is added only to a packet that goes anyway). Every packet takes the next number of the single
// packet number space from the recovery sender, which also decides whether
// an ack-eliciting packet may go now (congestion window, pacing, 2^15
// packet window). An ACK that is due goes even when congestion control
// says no. Datagrams from a client that contain a long-header packet are
// padded to 1200 bytes; before the client's address is validated a server
// sends at most 3 times what it received on that path (RFC 9000 §8.1).
//
// Retransmission: each ack-eliciting packet's retransmittable frames are
// recorded (sent_frames) under the cookie given to the recovery sender;
// a loss re-queues exactly those frames in their owners (streams, crypto
// stream, flow-control windows, message sender, ID manager), an ack
// releases them. Data always goes out again in a new packet.

#include "core/connection.hpp"

#include "crypto/aead.hpp"
#include "crypto/crypto_error.hpp"
#include "wire/packet_number.hpp"
#include "wire/writer.hpp"

#include <algorithm>

namespace tern::core {

namespace {

constexpr std::size_t min_client_datagram = 1200;
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

std::size_t connection::amplification_budget() const noexcept {
  if (address_validated_) return SIZE_MAX;
  const std::uint64_t allowed = 3 * path_bytes_received_;
  return allowed > path_bytes_sent_ ? static_cast<std::size_t>(allowed - path_bytes_sent_) : 0;
}

bool connection::wants_long_header() const noexcept {
  if (!keys_.has_handshake_keys()) return false;
  if (crypto_send_.has_data_to_send()) return true;
  // Before 1-RTT keys, ACKs and probes can only travel in long headers.
  if (!handshake_complete_) return acks_.has_unacknowledged() || ping_pending_;
  return false;
}

bool connection::has_ack_eliciting_to_send(time_point now) {
  if (ping_pending_ || crypto_send_.has_data_to_send()) return true;
  if (!keys_.has_one_rtt_keys() || !handshake_complete_) return false;
  if (!injected_frames_.empty()) return true;
  if (handshake_done_pending_ || new_token_pending_ || path_.challenge_pending || !responses_.empty()) return true;
  if (tail_probes_pending_ > 0) return true;
  if (conn_recv_window_.has_update() || conn_send_credit_.blocked_pending() || control_dirty_) return true;
  if (messages_out_.has_pending(now, sender_.rtt().smoothed_rtt() / 2)) return true;
  if (datagrams_out_.size() > 0) return true;
  if (streams_.next_to_send() != nullptr && conn_send_credit_.available() > 0) return true;
  return false;
}

void connection::update_handshake_probe(time_point now) {
  (void)now;
  // A client keeps the handshake alive even with nothing in flight: the
  // server may be blocked by its amplification limit (RFC 9002 §6.2.2.1).
  if (is_client() && !handshake_complete_ && sender_.bytes_in_flight() == 0)
    handshake_probe_at_ = last_sent_ + pto();
  else
    handshake_probe_at_ = never;
}

std::optional<transmit> connection::poll_transmit(std::span<std::byte> out, time_point now) {
  if (state_ == connection_state::closed || state_ == connection_state::draining) return std::nullopt;
  if (out.size() < min_client_datagram) return std::nullopt;
  if (state_ == connection_state::closing) {
    if (!close_frame_pending_) return std::nullopt;
    close_frame_pending_ = false;
    return build_close(out, now);
  }
  // A PATH_RESPONSE for another address than the current one goes alone.
  if (!responses_.empty() && !(responses_.front().to == peer_address_) && keys_.has_one_rtt_keys() &&
      handshake_complete_) {
    auto resp = responses_.front();
    responses_.pop_front();
    pending_response_ = resp;
    bool eliciting = false;
    bool wrote = false;
    const std::size_t n = build_packet(out.first(config_.max_datagram_size), wire::packet_type::one_rtt, now,
                                       eliciting, 0, false, wrote, true);
    pending_response_.reset();
    if (n == 0) return std::nullopt;
    bytes_sent_ += n;
    return transmit{n, resp.to};
  }
  return build_datagram(out, now);
}

std::optional<transmit> connection::build_datagram(std::span<std::byte> out, time_point now) {
  // Path MTU discovery (connection_path_mtu.cpp): datagrams are as large as
  // the path has proven; a due probe makes this one exactly the probe size,
  // padded, carrying whatever else is queued (a PING if nothing is).
  const std::size_t probe = mtu_probe_size(out.size());
  std::size_t budget = std::min(out.size(), probe != 0 ? probe : path_mtu_.usable_size());
  budget = std::min(budget, amplification_budget());
  if (budget < 64) return std::nullopt;

  const bool want_eliciting = probe != 0 || has_ack_eliciting_to_send(now);
  const bool ack_due = acks_.has_unacknowledged() && acks_.ack_due(now);
  if (!want_eliciting && !ack_due) {
    if (handshake_confirmed_ && sender_.bytes_in_flight() > 0) sender_.on_app_limited(now);
    return std::nullopt;
  }
  bool allow_data = want_eliciting;
  if (want_eliciting) {
    auto perm = sender_.can_send(budget, now);
    // Deadline messages may exceed the congestion window by a bounded
    // allowance while the window is still in start-up: a message queued
    // behind the window's growth would otherwise expire (docs/streams.md,
    // "Congestion-window allowance"). Once start-up is over a small window
    // is the controller's decision (a loss response; ProbeRTT, which could
    // never drain if the allowance kept refilling the pipe). Those packets
    // carry only messages (and ACKs/control), never stream data or datagrams.
    messages_only_ = false;
    if (perm.limit == recovery::send_limit::congestion_window && config_.message_cwnd_allowance > 0 &&
        sender_.controller().in_startup() &&
        messages_out_.has_pending(now, sender_.rtt().smoothed_rtt() / 2) &&
        sender_.bytes_in_flight() + budget <= sender_.congestion_window() + config_.message_cwnd_allowance) {
      perm = {};
      messages_only_ = true;
    }
    if (!perm.allowed()) {
      if (perm.limit == recovery::send_limit::pacing) pacing_release_ = perm.release;
      if (!ack_due) return std::nullopt;
      allow_data = false;
    } else {
      pacing_release_ = never;
    }
  }

  std::size_t pos = 0;
  bool any_eliciting = false;
  bool long_packet = false;
  if (wants_long_header() || (!keys_.has_one_rtt_keys() && keys_.has_handshake_keys())) {
    const auto type =
        is_client() && !heard_from_peer_ ? wire::packet_type::initial : wire::packet_type::handshake;
    bool eliciting = false;
    bool wrote = false;
    const std::size_t min_size = is_client() ? std::min(budget, min_client_datagram) : 0;
    pos += build_packet(out.first(budget), type, now, eliciting, min_size, allow_data, wrote, false);
    any_eliciting = any_eliciting || eliciting;
    long_packet = pos > 0;
  }
  bool ect0 = false;
  if (keys_.has_one_rtt_keys() && handshake_complete_ && budget - pos >= 64 && !(is_client() && long_packet)) {
    bool eliciting = false;
    bool wrote = false;
    // A PATH_CHALLENGE datagram is padded to 1200 bytes to probe the path's
    // MTU, as far as the amplification limit allows.
    std::size_t min_size = path_.challenge_pending ? std::min(budget - pos, min_client_datagram) : 0;
    const std::uint64_t pn = sender_.next_packet_number();
    const bool probing = probe != 0 && allow_data && pos == 0;
    if (probing) {
      min_size = probe;
      ping_pending_ = true; // a probe must be acknowledged
    }
    const std::size_t n = build_packet(out.subspan(pos, budget - pos), wire::packet_type::one_rtt, now, eliciting,
                                       min_size, allow_data, wrote, false);
    if (probing && eliciting && n == probe) on_mtu_probe_sent(pn, probe);
    // Only datagrams holding nothing but a 1-RTT packet are marked.
    if (n > 0 && pos == 0 && ecn_marks_now()) {
      ect0 = true;
      on_ecn_marked_sent(pn);
    }
    pos += n;
    any_eliciting = any_eliciting || eliciting;
  }
  if (pos == 0) {
    if (handshake_confirmed_ && allow_data) sender_.on_app_limited(now);
    return std::nullopt;
  }
  bytes_sent_ += pos;
  path_bytes_sent_ += pos;
  last_sent_ = now;
  if (any_eliciting) {
    if (!ack_eliciting_since_receive_) last_received_ = std::max(last_received_, now - duration::zero());
    ack_eliciting_since_receive_ = true;
    last_ack_eliciting_sent_ = now;
    ping_pending_ = false;
    // Message tail probes: the packets right after a message's last
    // fragment let the peer's ACK reveal a lost tail by packet threshold
    // within one RTT, instead of waiting for the next message or the time
    // threshold (docs/streams.md, "Tail probes").
    if (tail_in_packet_)
      tail_probes_pending_ = config_.message_tail_probes;
    else if (tail_probes_pending_ > 0)
      --tail_probes_pending_;
  }
  tail_in_packet_ = false;
  update_handshake_probe(now);
  return transmit{pos, peer_address_, ect0};
}

std::size_t connection::build_packet(std::span<std::byte> out, wire::packet_type type, time_point now,
                                     bool& ack_eliciting, std::size_t min_size, bool allow_data, bool& wrote,
                                     bool response_only) {
  const bool is_long = type != wire::packet_type::one_rtt;
  if (!is_long && handshake_confirmed_ && keys_.one_rtt().key_update_due() &&
      keys_.one_rtt().can_initiate_update() && !keys_.one_rtt().initiate_update())
    ++key_updates_;
  const std::uint64_t pn = sender_.next_packet_number();
  if (!wire::may_send_packet_number(pn, sender_.detector().largest_acked() == recovery::no_packet
                                            ? std::nullopt
                                            : std::optional<std::uint64_t>(sender_.detector().largest_acked())))
    return 0;
  wire::packet_header h;
  h.type = type;
  h.dcid = ids_.peer();
  h.scid = local_initial_cid_;
  if (type == wire::packet_type::initial) h.token = initial_token_;
  h.key_phase = !is_long && keys_.one_rtt().send_key_phase();
  h.packet_number = wire::truncate_packet_number(pn);
  wire::writer w(out);
  if (wire::encode_header(w, h, 0, is_long ? 2 : 0)) return 0;
  const std::size_t header_len = w.position();
  const std::size_t pn_offset = header_len - wire::packet_number_length;
  if (out.size() < header_len + crypto::aead_tag_length + 8) return 0;
  const std::size_t room = out.size() - header_len - crypto::aead_tag_length;
  // Frames first, the ACK after them in reserved room: an ACK that is not
  // due yet rides along only when the packet goes anyway.
  const bool ack_pending = acks_.has_unacknowledged();
  const std::size_t ack_reserve = ack_pending ? std::min<std::size_t>(room / 2, 24 + 12 * acks_.range_count()) : 0;
  wire::writer pw(out.subspan(header_len, room - ack_reserve));

  const std::uint64_t cookie = sent_.begin_packet();
  std::uint64_t carried_ack = recovery::no_packet;
  bool retransmitted = false;
  ack_eliciting = false;
  if (response_only) {
    if (pending_response_) {
      (void)wire::encode(pw, wire::path_response_frame{pending_response_->data});
      ack_eliciting = true;
    }
  } else if (allow_data) {
    write_frames(pw, type, now, ack_eliciting, retransmitted);
  }
  std::size_t payload_len = pw.position();
  if (ack_pending && (ack_eliciting || acks_.ack_due(now) || !allow_data)) {
    wire::writer aw(out.subspan(header_len + payload_len, room - payload_len));
    recovery::ack_info info;
    if (acks_.build_ack(now, info)) {
      wire::ack_frame f;
      to_wire_ack(info, f);
      std::size_t written = 0;
      if (!wire::encode_truncated(aw, f, written)) carried_ack = info.largest();
    }
    payload_len += aw.position();
  }
  if (payload_len == 0) {
    sent_.release(cookie);
    return 0;
  }
  wrote = true;
  wire::writer tail(out.subspan(header_len + payload_len, room - payload_len));
  // Room reserved for an ACK that did not go: more stream data.
  if (allow_data && !response_only && type == wire::packet_type::one_rtt) write_stream_frames(tail, ack_eliciting, retransmitted);
  if (!ack_eliciting && allow_data && ++consecutive_non_eliciting_ >= max_non_eliciting_in_row &&
      tail.remaining() > 0) {
    (void)wire::encode(tail, wire::ping_frame{});
    ack_eliciting = true;
  }
  if (ack_eliciting) consecutive_non_eliciting_ = 0;
  // Padding up to min_size (whole datagram size requested by the caller).
  if (header_len + payload_len + tail.position() + crypto::aead_tag_length < min_size) {
    const std::size_t pad = min_size - header_len - payload_len - tail.position() - crypto::aead_tag_length;
    (void)tail.write_zeros(std::min(pad, tail.remaining()));
  }
  payload_len += tail.position();
  const std::size_t total = header_len + payload_len + crypto::aead_tag_length;
  if (is_long && wire::set_length_field(out, h, payload_len + crypto::aead_tag_length, 2)) {
    on_lost_frames(cookie);
    return 0;
  }
  if (qlog_) qlog_frames(type, out.subspan(header_len, payload_len));
  if (auto ec = keys_.seal(is_long, pn, out.first(total), header_len, pn_offset)) {
    on_lost_frames(cookie);
    if (ec == crypto::crypto_errc::usage_limit_reached)
      close_transport(wire::transport_error::aead_limit_reached, 0, "confidentiality limit reached", now);
    return 0;
  }
  recovery::outgoing_packet p;
  p.bytes = total;
  p.ack_eliciting = ack_eliciting;
  p.in_flight = ack_eliciting;
  p.cookie = ack_eliciting ? cookie : 0;
  p.carried_ack_largest = carried_ack;
  (void)sender_.on_packet_sent(p, now);
  if (qlog_) {
    qlog_packet(true, type, pn, total, now);
    qlog_sync(now);
  }
  if (!ack_eliciting) sent_.release(cookie);
  if (retransmitted) ++packets_retransmitted_;
  return total;
}

void connection::write_frames(wire::writer& w, wire::packet_type type, time_point now, bool& ack_eliciting,
                              bool& retransmitted) {
  const bool is_long = type != wire::packet_type::one_rtt;
  auto record = [&](const sent_frame& f) {
    sent_.add(f);
    ack_eliciting = true;
  };

  if (!is_long && !injected_frames_.empty() && w.remaining() >= injected_frames_.size()) {
    (void)w.write_bytes(injected_frames_);
    injected_frames_.clear();
    ack_eliciting = true;
  }
  if (!is_long) {
    while (!responses_.empty() && responses_.front().to == peer_address_ && w.remaining() >= 9) {
      (void)wire::encode(w, wire::path_response_frame{responses_.front().data});
      responses_.pop_front();
      ack_eliciting = true;
    }
    if (path_.challenge_pending && w.remaining() >= 9) {
      (void)wire::encode(w, wire::path_challenge_frame{path_.data});
      path_.challenge_pending = false;
      ack_eliciting = true;
    }
    if (handshake_done_pending_ && w.remaining() >= 1) {
      (void)wire::encode(w, wire::handshake_done_frame{});
      handshake_done_pending_ = false;
      record(sent_frame{sent_frame::kind::handshake_done});
    }
    if (new_token_pending_) {
      const wire::new_token_frame f{new_token_out_};
      if (w.remaining() >= wire::encoded_size(f) && !wire::encode(w, f)) {
        new_token_pending_ = false;
        record(sent_frame{sent_frame::kind::new_token});
      }
    }
  }

  // CRYPTO: the handshake flight (in long headers until confirmed).
  while (crypto_send_.has_data_to_send()) {
    const auto fit = wire::crypto_data_fit(crypto_send_.sent_offset(), w.remaining());
    if (!fit || *fit < 16) break;
    auto c = crypto_send_.next_chunk(*fit);
    if (!c) break;
    if (wire::encode(w, wire::crypto_frame{c->offset, c->data})) {
      crypto_send_.on_lost(c->offset, c->data.size(), false);
      break;
    }
    record(sent_frame{sent_frame::kind::crypto, false, 0, c->offset, c->data.size()});
    retransmitted = retransmitted || c->retransmission;
  }
  if (is_long) {
    if (ping_pending_ && !ack_eliciting && w.remaining() >= 1) {
      (void)wire::encode(w, wire::ping_frame{});
      ack_eliciting = true;
    }
    return;
  }

  const duration srtt = sender_.rtt().smoothed_rtt();
  constexpr std::size_t control_room = 80;
  if (w.remaining() >= control_room) {
    if (auto v = conn_recv_window_.poll_update(now, srtt)) {
      (void)wire::encode(w, wire::max_data_frame{*v});
      record(sent_frame{sent_frame::kind::max_data, false, 0, *v});
    }
    if (auto v = conn_send_credit_.poll_blocked()) {
      (void)wire::encode(w, wire::data_blocked_frame{*v});
      record(sent_frame{sent_frame::kind::data_blocked, false, 0, *v});
    }
    for (auto d : {stream::direction::bidi, stream::direction::uni}) {
      const bool uni = d == stream::direction::uni;
      if (auto v = streams_.poll_max_streams(d)) {
        (void)wire::encode(w, wire::max_streams_frame{!uni, *v});
        record(sent_frame{sent_frame::kind::max_streams, uni, 0, *v});
      }
      if (auto v = streams_.poll_streams_blocked(d)) {
        (void)wire::encode(w, wire::streams_blocked_frame{!uni, *v});
        ack_eliciting = true;
      }
    }
  }
  while (w.remaining() >= 48) {
    auto f = ids_.poll_new();
    if (!f) break;
    (void)wire::encode(w, *f);
    record(sent_frame{sent_frame::kind::new_connection_id, false, 0, f->sequence});
  }
  while (w.remaining() >= 16) {
    auto seq = ids_.poll_retire();
    if (!seq) break;
    (void)wire::encode(w, wire::retire_connection_id_frame{*seq});
    record(sent_frame{sent_frame::kind::retire_connection_id, false, 0, *seq});
  }
  // Stream control frames.
  if (control_dirty_) {
    bool room_left = true;
    while (true) {
      if (w.remaining() < control_room) {
        room_left = false;
        break;
      }
      auto id = streams_.next_control();
      if (!id) break;
      auto* s = streams_.find(*id);
      if (!s) continue;
      if (s->send) {
        if (auto r = s->send->poll_reset()) {
          (void)wire::encode(w, wire::reset_stream_frame{*id, r->error_code, r->final_size});
          record(sent_frame{sent_frame::kind::reset_stream, false, *id});
        }
        if (auto v = s->send->poll_data_blocked()) {
          (void)wire::encode(w, wire::stream_data_blocked_frame{*id, *v});
          record(sent_frame{sent_frame::kind::stream_data_blocked, false, *id, *v});
        }
      }
      if (s->recv) {
        if (auto v = s->recv->poll_max_stream_data(now, srtt)) {
          (void)wire::encode(w, wire::max_stream_data_frame{*id, *v});
          record(sent_frame{sent_frame::kind::max_stream_data, false, *id, *v});
          // Keep the connection window ahead of a grown stream window.
          conn_recv_window_.ensure_window(s->recv->window().window() + s->recv->window().window() / 2);
        }
        if (auto v = s->recv->poll_stop_sending()) {
          (void)wire::encode(w, wire::stop_sending_frame{*id, *v});
          record(sent_frame{sent_frame::kind::stop_sending, false, *id});
        }
      }
      update_stream(*id);
    }
    if (room_left) control_dirty_ = false;
  }

  // Deadline messages: abandons, then fragments.
  while (w.remaining() >= 16) {
    auto id = messages_out_.poll_abandon();
    if (!id) break;
    (void)wire::encode(w, wire::message_abandon_frame{*id});
    record(sent_frame{sent_frame::kind::message_abandon, false, *id});
  }
  const duration owd = srtt / 2;
  const std::uint64_t pn = sender_.next_packet_number();
  while (w.remaining() > 64 && messages_out_.has_pending(now, owd)) {
    constexpr std::size_t fragment_overhead = 1 + 8 + 8 + 8 + 8 + 4;
    auto frag = messages_out_.next_fragment(w.remaining() - fragment_overhead, now, owd, pn);
    if (!frag) break;
    wire::datagram_frame f;
    f.data = frag->data;
    f.has_length = true;
    f.message = wire::message_fields{frag->message_id, frag->message_length, frag->offset, frag->ttl};
    if (wire::encode(w, f)) {
      messages_out_.on_lost(stream::fragment_ref{frag->message_id, frag->offset, frag->data.size()});
      break;
    }
    record(sent_frame{sent_frame::kind::message_fragment, false, frag->message_id, frag->offset, frag->data.size()});
    retransmitted = retransmitted || frag->retransmission;
    if (frag->offset + frag->data.size() == frag->message_length) tail_in_packet_ = true;
  }
  // Unreliable datagrams: never recorded, never retransmitted.
  while (!messages_only_) {
    auto d = datagrams_out_.front(now);
    if (!d) break;
    const auto fit = wire::datagram_data_fit(std::nullopt, w.remaining());
    if (!fit || *fit < d->size()) break;
    (void)wire::encode(w, wire::datagram_frame{*d, true, std::nullopt});
    datagrams_out_.pop();
    ack_eliciting = true;
  }
  if (!messages_only_) write_stream_frames(w, ack_eliciting, retransmitted);
  if ((ping_pending_ || tail_probes_pending_ > 0) && !ack_eliciting && w.remaining() >= 1) {
    (void)wire::encode(w, wire::ping_frame{});
    ack_eliciting = true;
  }
}

void connection::write_stream_frames(wire::writer& w, bool& ack_eliciting, bool& retransmitted) {
  auto record = [&](const sent_frame& f) {
    sent_.add(f);
    ack_eliciting = true;
  };
  // Stream data by the scheduler.
  while (w.remaining() > 24) {
    auto* s = streams_.next_to_send();
    if (!s) break;
    const auto id = s->id;
    const auto fit = wire::stream_data_fit(id, s->send->sent_offset() + 0, w.remaining());
    if (!fit) break;
    auto c = s->send->next_chunk(*fit > 8 ? *fit - 8 : 0, conn_send_credit_.available());
    if (!c) {
      if (conn_send_credit_.available() == 0) conn_send_credit_.on_blocked();
      (void)streams_.on_chunk_sent(id);
      break;
    }
    if (wire::encode(w, wire::stream_frame{id, c->offset, c->data, c->fin, true})) {
      s->send->on_lost(c->offset, c->data.size(), c->fin);
      (void)streams_.on_chunk_sent(id);
      break;
    }
    if (!c->retransmission) {
      conn_send_credit_.consume(c->data.size());
      stream_bytes_sent_ += c->data.size();
    } else {
      stream_bytes_retransmitted_ += c->data.size();
    }
    retransmitted = retransmitted || c->retransmission;
    record(sent_frame{sent_frame::kind::stream, c->fin, id, c->offset, c->data.size()});
    if (s->send->has_control_pending()) control_dirty_ = true;
    (void)streams_.on_chunk_sent(id);
  }
}

std::optional<transmit> connection::build_close(std::span<std::byte> out, time_point now) {
  auto type = close_packet_type_;
  if (type != wire::packet_type::one_rtt && !keys_.has_handshake_keys()) type = wire::packet_type::one_rtt;
  if (type == wire::packet_type::one_rtt && !(keys_.has_one_rtt_keys() && handshake_complete_)) return std::nullopt;
  const bool is_long = type != wire::packet_type::one_rtt;
  const std::uint64_t pn = sender_.next_packet_number();
  wire::packet_header h;
  h.type = type;
  h.dcid = ids_.peer();
  h.scid = local_initial_cid_;
  if (type == wire::packet_type::initial) h.token = initial_token_;
  h.key_phase = !is_long && keys_.one_rtt().send_key_phase();
  h.packet_number = wire::truncate_packet_number(pn);
  const std::size_t budget = std::min({out.size(), config_.max_datagram_size, amplification_budget()});
  if (budget < 64) return std::nullopt;
  wire::writer w(out.first(budget));
  if (wire::encode_header(w, h, 0, is_long ? 2 : 0)) return std::nullopt;
  const std::size_t header_len = w.position();
  wire::writer pw(out.subspan(header_len, budget - header_len - crypto::aead_tag_length));
  wire::connection_close_frame f;
  // Application codes are private to the application: before 1-RTT a
  // transport APPLICATION_ERROR stands in for them (RFC 9000 §10.2.3).
  f.application = close_.application && !is_long;
  f.error_code = close_.application && is_long ? static_cast<std::uint64_t>(wire::transport_error::application_error)
                                               : close_.code;
  f.frame_type = close_frame_type_;
  const std::size_t reason_len = std::min<std::size_t>(close_.reason.size(), 64);
  f.reason = std::as_bytes(std::span(close_.reason.data(), reason_len));
  if (wire::encode(pw, f)) return std::nullopt;
  if (is_client() && is_long) {
    const std::size_t min_size = std::min(budget, min_client_datagram);
    if (header_len + pw.position() + crypto::aead_tag_length < min_size)
      (void)pw.write_zeros(min_size - header_len - pw.position() - crypto::aead_tag_length);
  }
  const std::size_t total = header_len + pw.position() + crypto::aead_tag_length;
  if (is_long && wire::set_length_field(out, h, pw.position() + crypto::aead_tag_length, 2)) return std::nullopt;
  if (qlog_) qlog_frames(type, out.subspan(header_len, pw.position()));
  if (keys_.seal(is_long, pn, out.first(total), header_len, header_len - wire::packet_number_length))
    return std::nullopt;
  recovery::outgoing_packet p;
  p.bytes = total;
  p.ack_eliciting = false;
  p.in_flight = false;
  (void)sender_.on_packet_sent(p, now);
  if (qlog_) qlog_packet(true, type, pn, total, now);
  bytes_sent_ += total;
  path_bytes_sent_ += total;
  return transmit{total, peer_address_};
}

} // namespace tern::core
