// Frames received (docs/protocol.md §7, §9): process_frames walks a packet's
// frames, on_frame hands each to its owner - recovery for ACK, the TLS
// session for CRYPTO, the stream map and flow control for the stream
// frames, the ID manager, the path, the datagram and message queues - and
// the first error (a frame that breaks a rule, RFC 9000 §20.1) ends the
// packet. Acknowledged and lost packets come back here too: their recorded
// frames (sent_frames) are released or queued again in their owners.

#include "core/connection.hpp"

#include "crypto/crypto_error.hpp"
#include "stream/stream_errc.hpp"
#include "wire/frame_reader.hpp"
#include "wire/transport_error.hpp"

#include <algorithm>
#include <variant>

namespace tern::core {

namespace {

/// How many connection IDs of the peer we keep (its spares included).
constexpr std::size_t peer_connection_id_limit = 8;

bool elicits_ack(const wire::frame& fr) {
  // A REPAIR_REPORT is refreshed by the next one, like an ACK.
  return !std::holds_alternative<wire::padding_frame>(fr) && !std::holds_alternative<wire::ack_frame>(fr) &&
         !std::holds_alternative<wire::connection_close_frame>(fr) &&
         !std::holds_alternative<wire::repair_report_frame>(fr);
}

bool is_message_fragment(const wire::frame& fr) {
  const auto* d = std::get_if<wire::datagram_frame>(&fr);
  return d != nullptr && d->message.has_value();
}

bool is_plain_datagram(const wire::frame& fr) {
  const auto* d = std::get_if<wire::datagram_frame>(&fr);
  return d != nullptr && !d->message.has_value();
}

/// RFC 9000 §9.1: packets holding only these do not move the connection.
bool is_probing(const wire::frame& fr) {
  return std::holds_alternative<wire::padding_frame>(fr) || std::holds_alternative<wire::path_challenge_frame>(fr) ||
         std::holds_alternative<wire::path_response_frame>(fr) ||
         std::holds_alternative<wire::new_connection_id_frame>(fr);
}

} // namespace

connection::frames_outcome connection::process_frames(std::span<const std::byte> payload, wire::packet_type type,
                                                      const address& from, time_point now) {
  frames_outcome out;
  wire::frame_reader frames{payload, type};
  wire::frame fr;
  while (!frames.done()) {
    if (auto ec = frames.next(fr)) {
      out.bad_frame = 0;
      out.error = ec;
      return out;
    }
    out.bad_frame = wire::type_of(fr);
    out.ack_eliciting = out.ack_eliciting || elicits_ack(fr);
    out.probing_only = out.probing_only && is_probing(fr);
    out.carried_message = out.carried_message || is_message_fragment(fr);
    if (type == wire::packet_type::zero_rtt && is_message_fragment(fr)) ++counters_.early_message_fragments_received;
    if (type == wire::packet_type::zero_rtt && is_plain_datagram(fr)) {
      // Replayable and not asked for unless the server opted in: dropped
      // unread (the frame is allowed, so this is no protocol error).
      if (!config_.accept_early_datagrams) {
        ++counters_.early_datagrams_refused;
        continue;
      }
      ++counters_.early_datagrams_received;
    }
    if (auto ec = on_frame(fr, from, now)) {
      out.error = ec;
      return out;
    }
    // A frame that closed the connection ends the packet.
    if (state_ != connection_state::handshaking && state_ != connection_state::established) return out;
  }
  return out;
}

std::error_code connection::on_frame(const wire::frame& fr, const address& from, time_point now) {
  if (auto* f = std::get_if<wire::ack_frame>(&fr)) return on_ack(*f, now);
  if (auto* f = std::get_if<wire::crypto_frame>(&fr)) return on_crypto(*f, now);
  if (auto* f = std::get_if<wire::max_data_frame>(&fr)) {
    conn_send_credit_.on_max(f->maximum);
    return {};
  }
  if (auto* f = std::get_if<wire::max_streams_frame>(&fr))
    return streams_.on_max_streams(f->bidirectional ? stream::direction::bidi : stream::direction::uni, f->maximum);
  if (auto* f = std::get_if<wire::new_token_frame>(&fr)) return on_new_token(*f);
  if (auto* f = std::get_if<wire::connection_close_frame>(&fr)) {
    on_peer_close(*f, now);
    return {};
  }
  if (std::holds_alternative<wire::handshake_done_frame>(fr)) return on_handshake_done(now);
  if (auto* f = std::get_if<wire::datagram_frame>(&fr)) return on_datagram_frame(*f, now);
  if (auto* f = std::get_if<wire::message_abandon_frame>(&fr)) return on_message_abandon(*f);
  if (auto* f = std::get_if<wire::repair_frame>(&fr)) {
    repair_.on_repair(*f, now);
    return {};
  }
  if (auto* f = std::get_if<wire::repair_report_frame>(&fr)) {
    repair_.on_report(*f);
    // What repair rebuilt was lost all the same: a loss signal of the path
    // for congestion control, though nothing is retransmitted.
    const auto repaired = repair_.take_repaired_losses();
    sender_.on_repaired_losses(repaired.packets, repaired.bytes, now);
    return {};
  }
  on_connection_id_frame(fr, now);
  on_path_frame(fr, from);
  // PADDING, PING, DATA_BLOCKED and STREAMS_BLOCKED need nothing more.
  return on_stream_frame(fr);
}

std::error_code connection::on_stream_frame(const wire::frame& fr) {
  if (auto* f = std::get_if<wire::stream_frame>(&fr)) return on_stream(*f);
  if (auto* f = std::get_if<wire::reset_stream_frame>(&fr)) return on_reset_stream(*f);
  if (auto* f = std::get_if<wire::stop_sending_frame>(&fr)) return on_send_side_frame(f->stream_id, fr);
  if (auto* f = std::get_if<wire::max_stream_data_frame>(&fr)) return on_send_side_frame(f->stream_id, fr);
  if (auto* f = std::get_if<wire::stream_data_blocked_frame>(&fr)) return on_stream_data_blocked(*f);
  return {};
}

stream::stream* connection::stream_for_frame(std::uint64_t id, stream::frame_target target, std::error_code& ec) {
  auto* st = streams_.get_for_frame(id, target, ec);
  if (ec || !st) return nullptr;
  note_peer_stream(id);
  return st;
}

std::error_code connection::on_reset_stream(const wire::reset_stream_frame& f) {
  std::error_code ec;
  auto* st = stream_for_frame(f.stream_id, stream::frame_target::receive_side, ec);
  if (!st) return ec;
  const auto res =
      st->recv->on_reset(f.final_size, f.error_code, conn_recv_window_.limit() - conn_recv_window_.received());
  if (res.error) return res.error;
  if (res.credit_used) ec = conn_recv_window_.on_received(conn_recv_window_.received() + res.credit_used);
  if (res.released) conn_recv_window_.on_consumed(res.released);
  mark_readable(f.stream_id);
  update_stream(f.stream_id);
  return ec;
}

std::error_code connection::on_send_side_frame(std::uint64_t id, const wire::frame& fr) {
  std::error_code ec;
  auto* st = stream_for_frame(id, stream::frame_target::send_side, ec);
  if (!st) return ec;
  if (auto* stop = std::get_if<wire::stop_sending_frame>(&fr)) {
    st->send->on_stop_sending(stop->error_code);
    mark_writable(id);
  } else if (auto* credit = std::get_if<wire::max_stream_data_frame>(&fr)) {
    st->send->on_max_stream_data(credit->maximum);
  }
  update_stream(id);
  return {};
}

std::error_code connection::on_stream_data_blocked(const wire::stream_data_blocked_frame& f) {
  // Nothing to do beyond what any frame about a stream does: it may open it.
  std::error_code ec;
  (void)stream_for_frame(f.stream_id, stream::frame_target::receive_side, ec);
  return ec;
}

void connection::on_connection_id_frame(const wire::frame& fr, time_point now) {
  wire::transport_error te{};
  if (auto* f = std::get_if<wire::new_connection_id_frame>(&fr)) {
    if (!ids_.on_new_connection_id(*f, peer_connection_id_limit, te))
      close_transport(te, wire::frame_type::new_connection_id, "bad NEW_CONNECTION_ID", now);
  } else if (auto* r = std::get_if<wire::retire_connection_id_frame>(&fr)) {
    if (ids_.on_retire(r->sequence, te))
      issue_connection_ids();
    else if (te != wire::transport_error{})
      close_transport(te, wire::frame_type::retire_connection_id, "bad RETIRE_CONNECTION_ID", now);
  }
}

void connection::on_path_frame(const wire::frame& fr, const address& from) {
  if (auto* c = std::get_if<wire::path_challenge_frame>(&fr)) {
    path_.queue_response(c->data, from);
  } else if (auto* r = std::get_if<wire::path_response_frame>(&fr)) {
    if (path_.on_response(r->data, from)) {
      ++counters_.path_changes;
      emit(connection_event::kind::path_changed);
    }
  }
}

std::error_code connection::on_handshake_done(time_point now) {
  if (!is_client()) return core_errc::transport_error; // only servers send it
  if (!handshake_.confirmed) on_handshake_confirmed(now);
  return {};
}

std::error_code connection::on_datagram_frame(const wire::datagram_frame& f, time_point now) {
  if (!f.message) {
    datagrams_in_.push(f.data);
    emit(connection_event::kind::datagram_received);
    return {};
  }
  const auto& m = *f.message;
  auto ec = messages_in_.on_fragment(m.flow, m.message_id, m.message_length, m.offset, f.data, m.ttl, now,
                                     m.unordered);
  if (!ec) note_message_event();
  return ec;
}

std::error_code connection::on_message_abandon(const wire::message_abandon_frame& f) {
  // Cause 1: a message it depends on was given up; any other: the deadline.
  const auto why = f.cause == 1 ? stream::drop_reason::dependency : stream::drop_reason::abandoned;
  auto ec = messages_in_.on_abandon(f.flow, f.message_id, why);
  if (!ec) note_message_event();
  return ec;
}

void connection::note_message_event() {
  // One event until the application calls receive_message(), however many
  // messages arrive meanwhile.
  if (events_.message_pending) return;
  events_.message_pending = true;
  emit(connection_event::kind::message_received);
}

void connection::note_peer_stream(std::uint64_t id) {
  const bool client_stream = stream::initiator(id) == stream::role::client;
  if (client_stream == is_client()) return;
  auto& seen = events_.peer_streams_seen[static_cast<std::size_t>(stream::dir(id))];
  while (seen <= stream::index(id)) {
    emit(connection_event::kind::stream_opened,
         stream::make_stream_id(client_stream ? stream::role::client : stream::role::server, stream::dir(id), seen));
    ++seen;
  }
}

void connection::mark_readable(std::uint64_t id) {
  if (events_.readable_pending.insert(id).second) emit(connection_event::kind::stream_readable, id);
}

void connection::mark_writable(std::uint64_t id) {
  auto& want = events_.want_writable;
  auto it = std::find(want.begin(), want.end(), id);
  if (it == want.end()) return;
  want.erase(it);
  emit(connection_event::kind::stream_writable, id);
}

std::error_code connection::on_stream(const wire::stream_frame& f) {
  std::error_code ec;
  auto* s = streams_.get_for_frame(f.stream_id, stream::frame_target::receive_side, ec);
  if (ec) return ec;
  note_peer_stream(f.stream_id);
  if (!s) return {};
  const auto res =
      s->recv->on_data(f.offset, f.data, f.fin, conn_recv_window_.limit() - conn_recv_window_.received());
  if (res.error) return res.error;
  if (res.credit_used) {
    if (auto e = conn_recv_window_.on_received(conn_recv_window_.received() + res.credit_used)) return e;
    counters_.stream_bytes_received += res.credit_used;
  }
  if (res.released) conn_recv_window_.on_consumed(res.released);
  if (s->recv->readable() > 0 || f.fin) mark_readable(f.stream_id);
  update_stream(f.stream_id);
  return {};
}

std::error_code connection::on_crypto(const wire::crypto_frame& f, time_point now) {
  const auto res = handshake_.crypto_recv.on_data(f.offset, f.data, false);
  if (res.error) {
    // Too many bytes or too many holes: either way more than this side
    // buffers for a handshake.
    if (res.error == stream::stream_errc::flow_control_error ||
        res.error == stream::stream_errc::protocol_violation) {
      close_transport(wire::transport_error::crypto_buffer_exceeded, wire::frame_type::crypto,
                      "too much buffered CRYPTO data", now);
      return {};
    }
    return res.error;
  }
  if (!handshake_.tls) {
    // Confirmed, and the session freed: new CRYPTO bytes (not
    // retransmissions of read ones, which crypto_recv drops) are an
    // unexpected message - except, on a client, the server's session
    // tickets this side does not keep (a few hundred bytes each), up to
    // handshake_state::ignored_tickets_limit.
    std::error_code ec;
    const std::size_t n = handshake_.crypto_recv.read(handshake_state::scratch(), ec).bytes;
    handshake_.ignored_after_confirmation += n;
    if (n > 0 && (!is_client() || handshake_.ignored_after_confirmation > handshake_state::ignored_tickets_limit)) {
      close_transport_code(0x100 + 10, crypto::crypto_errc::handshake_failed, "CRYPTO data after the handshake",
                           now);
      close_.frame_type = wire::frame_type::crypto;
    }
    (void)handshake_.crypto_recv.release_buffer();
    return {};
  }
  auto& tls = *handshake_.tls;
  for (;;) {
    std::error_code ec;
    const auto scratch = handshake_state::scratch();
    const auto r = handshake_.crypto_recv.read(scratch, ec);
    if (ec || r.bytes == 0) break;
    if (tls.state() == crypto::handshake_state::failed) break;
    (void)tls.provide_input(scratch.first(r.bytes));
  }
  // Read to the end unless a hole waits for a retransmission: a handshake
  // waiting for its peer holds no reassembly buffer.
  (void)handshake_.crypto_recv.release_buffer();
  if (tls.state() == crypto::handshake_state::failed) {
    fail_handshake(now);
    return {};
  }
  pump_tls_output();
  if (!handshake_.complete) on_early_keys(now);
  if (!handshake_.complete && tls.handshake_complete()) on_handshake_complete(now);
  // A client kept its session past confirmation for the ticket: it came.
  if (handshake_.confirmed && !awaiting_ticket()) release_handshake_state();
  return {};
}

std::error_code connection::on_ack(const wire::ack_frame& f, time_point now) {
  recovery::ack_info info;
  for (const auto& r : f.ranges) info.push_back(recovery::ack_range{r.smallest, r.largest});
  info.ack_delay = f.ack_delay;
  if (f.ecn) {
    info.has_ecn = true;
    info.ecn = recovery::ecn_counts{f.ecn->ect0, f.ecn->ect1, f.ecn->ce};
  }
  const auto& out = sender_.on_ack_received(info, now);
  if (out.error) return core_errc::transport_error;
  const auto newly_marked = std::count_if(out.acked.begin(), out.acked.end(),
                                          [&](const auto& p) { return ecn_.was_marked(p.packet_number); });
  ecn_.on_ack(f.ecn, static_cast<std::uint64_t>(newly_marked));
  for (const auto& p : out.acked) {
    on_path_mtu_acked(p, now);
    on_acked_frames(p.cookie);
    keys_.one_rtt().on_packet_acknowledged(p.packet_number);
    if (p.carried_ack_largest != recovery::no_packet) acks_.on_ack_acknowledged(p.carried_ack_largest);
  }
  if (out.rtt_updated && keys_.has_one_rtt_keys()) keys_.one_rtt().set_old_key_retention(3 * pto());
  handle_losses(out.lost, false, now);
  report_target_rate();
  if (!fec_deferred_.entries.empty()) settle_fec_losses(out.spurious, now);
  update_handshake_probe(now);
  sender_.release_idle_memory(); // `out` is not used past here
  return {};
}

void connection::handle_losses(std::span<const recovery::sent_packet> lost, bool by_timer, time_point now) {
  if (qlog_.observer) qlog_losses(lost, by_timer, now);
  for (const auto& p : lost) {
    on_path_mtu_lost(p, now);
    if (!defer_fec_loss(p, now)) on_lost_frames(p.cookie);
  }
}

void connection::on_acked_frames(std::uint64_t cookie) {
  for (const auto& f : sent_.frames(cookie)) {
    switch (f.what) {
    case sent_frame::kind::crypto:
      handshake_.crypto_send.on_acked(f.a, f.b, false);
      if (!handshake_.tls) (void)handshake_.crypto_send.release_buffer(); // handshake over
      break;
    case sent_frame::kind::stream:
      if (auto* s = streams_.find(f.id); s && s->send) {
        s->send->on_acked(f.a, f.b, f.flag);
        s->send->set_buffer_limit(send_buffer_limit());
        if (s->send->writable() > 0) mark_writable(f.id);
        update_stream(f.id);
      }
      break;
    case sent_frame::kind::reset_stream:
      if (auto* s = streams_.find(f.id); s && s->send) {
        s->send->on_reset_acked();
        update_stream(f.id);
      }
      break;
    case sent_frame::kind::message_fragment:
      messages_out_.on_acked(stream::fragment_ref{f.id, f.a, f.b, f.flow});
      break;
    default: break;
    }
  }
  sent_.release(cookie);
}

void connection::on_lost_frames(std::uint64_t cookie) {
  for (const auto& f : sent_.frames(cookie)) {
    auto* s = (f.what == sent_frame::kind::stream || f.what == sent_frame::kind::reset_stream ||
               f.what == sent_frame::kind::stop_sending || f.what == sent_frame::kind::max_stream_data ||
               f.what == sent_frame::kind::stream_data_blocked)
                  ? streams_.find(f.id)
                  : nullptr;
    switch (f.what) {
    case sent_frame::kind::crypto: handshake_.crypto_send.on_lost(f.a, f.b, false); break;
    case sent_frame::kind::stream:
      if (s && s->send) s->send->on_lost(f.a, f.b, f.flag);
      break;
    case sent_frame::kind::reset_stream:
      if (s && s->send) s->send->on_reset_lost();
      break;
    case sent_frame::kind::stop_sending:
      if (s && s->recv) s->recv->on_stop_sending_lost();
      break;
    case sent_frame::kind::max_stream_data:
      if (s && s->recv) s->recv->on_max_stream_data_lost(f.a);
      break;
    case sent_frame::kind::stream_data_blocked:
      if (s && s->send) s->send->on_data_blocked_lost(f.a);
      break;
    case sent_frame::kind::max_data: conn_recv_window_.on_update_lost(f.a); break;
    case sent_frame::kind::data_blocked: conn_send_credit_.on_blocked_lost(f.a); break;
    case sent_frame::kind::max_streams:
      streams_.on_max_streams_lost(f.flag ? stream::direction::uni : stream::direction::bidi, f.a);
      break;
    case sent_frame::kind::new_connection_id: ids_.on_new_lost(f.a); break;
    case sent_frame::kind::retire_connection_id: ids_.on_retire_lost(f.a); break;
    case sent_frame::kind::handshake_done: send_.set(send_flag::handshake_done); break;
    case sent_frame::kind::new_token: send_.assign(send_flag::new_token, !tokens_.outgoing.empty()); break;
    case sent_frame::kind::message_fragment: messages_out_.on_lost(stream::fragment_ref{f.id, f.a, f.b, f.flow}); break;
    case sent_frame::kind::message_abandon:
      messages_out_.on_abandon_lost({f.flow, {f.id, static_cast<stream::abandon_cause>(f.a)}});
      break;
    }
    if (s) update_stream(f.id);
  }
  send_.set(send_flag::stream_control);
  sent_.release(cookie);
}

void connection::on_peer_close(const wire::connection_close_frame& f, time_point now) {
  close_info info;
  info.remote = true;
  info.application = f.application;
  info.code = f.error_code;
  info.reason.assign(reinterpret_cast<const char*>(f.reason.data()), f.reason.size());
  // A crypto error carries the TLS alert (0x100 + alert): when it says our
  // certificate was judged, say so, so a refused client can tell its user.
  if (!f.application && f.error_code >= 0x100 && f.error_code < 0x200)
    info.error = crypto::received_alert_error(static_cast<unsigned>(f.error_code - 0x100));
  else
    info.error = core_errc::closed_by_peer;
  enter_draining(info, now);
}

} // namespace tern::core
