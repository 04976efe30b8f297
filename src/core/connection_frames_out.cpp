// What goes into a packet, in this order (docs/protocol.md §9.3): frames a
// test injected, PATH_RESPONSE, PATH_CHALLENGE, HANDSHAKE_DONE, NEW_TOKEN,
// CRYPTO, connection-level flow control and MAX_STREAMS, connection IDs,
// stream control frames, MESSAGE_ABANDON, message fragments, DATAGRAMs,
// stream data (by the scheduler: urgency, then round robin), and a PING when
// one is owed and nothing else elicits an ACK. A long-header packet carries
// only CRYPTO and PING; a 0-RTT packet only the fragments of message flows
// and the data of streams the application allowed early. The ACK is the packet builder's (connection_send.cpp).
//
// Retransmission: each ack-eliciting packet's retransmittable frames are
// recorded (sent_frames) under the cookie given to the recovery sender; a
// loss re-queues exactly those frames in their owners (streams, crypto
// stream, flow-control windows, message sender, ID manager), an ack
// releases them (connection_frames_in.cpp). Data always goes out again in a
// new packet.

#include "core/connection.hpp"
#include "core/message_one_way_delay.hpp"

#include "wire/writer.hpp"

namespace tern::core {

namespace {

/// Room kept free for the flow-control and stream control frames, bytes.
constexpr std::size_t control_room = 80;

} // namespace

void connection::record(const sent_frame& f, frame_tally& t) {
  sent_.add(f);
  t.ack_eliciting = true;
}

void connection::write_frames(wire::writer& w, const packet_request& request, time_point now,
                              frame_tally& t) {
  if (request.type == wire::packet_type::zero_rtt) {
    // Early data, in the 1-RTT order: datagrams if the application allowed
    // them early, message flows allowed early, then streams allowed early.
    if (early_.datagrams && !request.messages_only) write_datagram_frames(w, now, t);
    write_message_frames(w, now, t, true);
    if (!request.messages_only) write_stream_frames(w, t, true);
    return;
  }
  const bool is_long = request.type != wire::packet_type::one_rtt;
  if (!is_long) {
    write_path_frames(w, t);
    write_handshake_frames(w, t);
  }
  // CRYPTO: the handshake flight (in long headers until confirmed; never in
  // a server's 0.5-RTT packets, which the client cannot open before it).
  if (is_long || handshake_.complete) write_crypto_frames(w, t);
  if (is_long) {
    if (send_.has(send_flag::ping) && !t.ack_eliciting && w.remaining() >= 1) {
      (void)wire::encode(w, wire::ping_frame{});
      t.ack_eliciting = true;
    }
    return;
  }
  write_flow_control_frames(w, now, t);
  write_connection_id_frames(w, t);
  write_stream_control_frames(w, now, t);
  // Datagrams before message fragments: they are small, unreliable and
  // sent once (audio beside video), so a datagram queued behind a video
  // frame the window holds back would otherwise wait for the whole frame.
  if (!request.messages_only) write_datagram_frames(w, now, t);
  if (!request.datagrams_only) {
    write_message_frames(w, now, t);
    if (!request.messages_only) write_stream_frames(w, t);
  }
  if ((send_.has(send_flag::ping) || message_tail_.probes_pending > 0) && !t.ack_eliciting &&
      w.remaining() >= 1) {
    (void)wire::encode(w, wire::ping_frame{});
    t.ack_eliciting = true;
  }
}

void connection::write_path_frames(wire::writer& w, frame_tally& t) {
  if (!injected_frames_.empty() && w.remaining() >= injected_frames_.size()) {
    (void)w.write_bytes(injected_frames_);
    injected_frames_.clear();
    t.ack_eliciting = true;
  }
  auto& responses = path_.responses;
  while (!responses.empty() && responses.front().to == path_.peer && w.remaining() >= 9) {
    (void)wire::encode(w, wire::path_response_frame{responses.front().data});
    responses.pop_front();
    t.ack_eliciting = true;
  }
  if (path_.validation.challenge_pending && w.remaining() >= 9) {
    (void)wire::encode(w, wire::path_challenge_frame{path_.validation.data});
    path_.validation.challenge_pending = false;
    t.ack_eliciting = true;
  }
}

void connection::write_handshake_frames(wire::writer& w, frame_tally& t) {
  if (send_.has(send_flag::handshake_done) && w.remaining() >= 1) {
    (void)wire::encode(w, wire::handshake_done_frame{});
    send_.clear(send_flag::handshake_done);
    record(sent_frame{sent_frame::kind::handshake_done}, t);
  }
  if (send_.has(send_flag::new_token)) {
    const wire::new_token_frame f{tokens_.outgoing};
    if (w.remaining() >= wire::encoded_size(f) && !wire::encode(w, f)) {
      send_.clear(send_flag::new_token);
      record(sent_frame{sent_frame::kind::new_token}, t);
    }
  }
}

void connection::write_crypto_frames(wire::writer& w, frame_tally& t) {
  auto& crypto = handshake_.crypto_send;
  while (crypto.has_data_to_send()) {
    const auto fit = wire::crypto_data_fit(crypto.sent_offset(), w.remaining());
    if (!fit || *fit < 16) break;
    auto c = crypto.next_chunk(*fit);
    if (!c) break;
    if (wire::encode(w, wire::crypto_frame{c->offset, c->data})) {
      crypto.on_lost(c->offset, c->data.size(), false);
      break;
    }
    record(sent_frame{sent_frame::kind::crypto, false, 0, c->offset, c->data.size()}, t);
    t.retransmitted = t.retransmitted || c->retransmission;
  }
}

void connection::write_flow_control_frames(wire::writer& w, time_point now, frame_tally& t) {
  if (w.remaining() < control_room) return;
  if (auto v = conn_recv_window_.poll_update(now, sender_.rtt().smoothed_rtt())) {
    (void)wire::encode(w, wire::max_data_frame{*v});
    record(sent_frame{sent_frame::kind::max_data, false, 0, *v}, t);
  }
  if (auto v = conn_send_credit_.poll_blocked()) {
    (void)wire::encode(w, wire::data_blocked_frame{*v});
    record(sent_frame{sent_frame::kind::data_blocked, false, 0, *v}, t);
  }
  for (auto d : {stream::direction::bidi, stream::direction::uni}) {
    const bool uni = d == stream::direction::uni;
    if (auto v = streams_.poll_max_streams(d)) {
      (void)wire::encode(w, wire::max_streams_frame{!uni, *v});
      record(sent_frame{sent_frame::kind::max_streams, uni, 0, *v}, t);
    }
    if (auto v = streams_.poll_streams_blocked(d)) {
      (void)wire::encode(w, wire::streams_blocked_frame{!uni, *v});
      t.ack_eliciting = true;
    }
  }
}

void connection::write_connection_id_frames(wire::writer& w, frame_tally& t) {
  while (w.remaining() >= 48) {
    auto f = ids_.poll_new();
    if (!f) break;
    (void)wire::encode(w, *f);
    record(sent_frame{sent_frame::kind::new_connection_id, false, 0, f->sequence}, t);
  }
  while (w.remaining() >= 16) {
    auto seq = ids_.poll_retire();
    if (!seq) break;
    (void)wire::encode(w, wire::retire_connection_id_frame{*seq});
    record(sent_frame{sent_frame::kind::retire_connection_id, false, 0, *seq}, t);
  }
}

void connection::write_stream_control_frames(wire::writer& w, time_point now, frame_tally& t) {
  if (!send_.has(send_flag::stream_control)) return;
  while (w.remaining() >= control_room) {
    auto id = streams_.next_control();
    if (!id) {
      // Every stream's control frames went: nothing is pending any more.
      send_.clear(send_flag::stream_control);
      return;
    }
    if (auto* s = streams_.find(*id)) {
      write_stream_control(w, *id, *s, now, t);
      update_stream(*id);
    }
  }
}

void connection::write_stream_control(wire::writer& w, std::uint64_t id, stream::stream& s, time_point now,
                                      frame_tally& t) {
  if (s.send) {
    if (auto r = s.send->poll_reset()) {
      (void)wire::encode(w, wire::reset_stream_frame{id, r->error_code, r->final_size});
      record(sent_frame{sent_frame::kind::reset_stream, false, id}, t);
    }
    if (auto v = s.send->poll_data_blocked()) {
      (void)wire::encode(w, wire::stream_data_blocked_frame{id, *v});
      record(sent_frame{sent_frame::kind::stream_data_blocked, false, id, *v}, t);
    }
  }
  if (s.recv) {
    if (auto v = s.recv->poll_max_stream_data(now, sender_.rtt().smoothed_rtt())) {
      (void)wire::encode(w, wire::max_stream_data_frame{id, *v});
      record(sent_frame{sent_frame::kind::max_stream_data, false, id, *v}, t);
      // Keep the connection window ahead of a grown stream window.
      conn_recv_window_.ensure_window(s.recv->window().window() + s.recv->window().window() / 2);
    }
    if (auto v = s.recv->poll_stop_sending()) {
      (void)wire::encode(w, wire::stop_sending_frame{id, *v});
      record(sent_frame{sent_frame::kind::stop_sending, false, id}, t);
    }
  }
}

void connection::write_message_frames(wire::writer& w, time_point now, frame_tally& t, bool early_only) {
  // Abandons first, then fragments. A 0-RTT packet carries fragments only:
  // an abandon waits for 1-RTT keys (MESSAGE_ABANDON is not allowed early).
  const std::uint32_t flows = early_only ? messages_out_.early_flows() : stream::message_flow_sender::all_flows;
  while (!early_only && w.remaining() >= 24) {
    auto a = messages_out_.poll_abandon();
    if (!a) break;
    const auto cause = static_cast<std::uint64_t>(a->notice.cause);
    (void)wire::encode(w, wire::message_abandon_frame{a->notice.message_id, a->flow, cause});
    record(sent_frame{sent_frame::kind::message_abandon, false, a->notice.message_id, cause, 0, a->flow}, t);
  }
  const duration owd = message_one_way_delay(sender_);
  const std::uint64_t pn = sender_.next_packet_number();
  while (w.remaining() > 64 && messages_out_.has_pending(now, owd, flows)) {
    constexpr std::size_t fragment_overhead = 1 + 8 + 8 + 8 + 8 + 4 + 2; // + FLOW_MESSAGE's flow and flags
    auto frag = messages_out_.next_fragment(w.remaining() - fragment_overhead, now, owd, pn, flows);
    if (!frag) break;
    wire::datagram_frame f;
    f.data = frag->data;
    f.has_length = true;
    f.message = wire::message_fields{frag->message_id, frag->message_length, frag->offset, frag->ttl, frag->flow,
                                     frag->unordered};
    if (wire::encode(w, f)) {
      messages_out_.on_lost(stream::fragment_ref{frag->message_id, frag->offset, frag->data.size(), frag->flow});
      break;
    }
    record(sent_frame{sent_frame::kind::message_fragment, false, frag->message_id, frag->offset,
                      frag->data.size(), frag->flow},
           t);
    t.retransmitted = t.retransmitted || frag->retransmission;
    t.message_data = true;
    t.message_slack = std::min(t.message_slack, frag->ttl);
    t.message_priority = std::min(t.message_priority, messages_out_.options(frag->flow).priority);
    t.message_flows |= std::uint32_t{1} << frag->flow;
    if (frag->offset + frag->data.size() == frag->message_length) t.message_tail = true;
  }
}

void connection::write_datagram_frames(wire::writer& w, time_point now, frame_tally& t) {
  // Unreliable datagrams: never recorded, never retransmitted.
  for (;;) {
    auto d = datagrams_out_.front(now);
    if (!d) break;
    const auto fit = wire::datagram_data_fit(std::nullopt, w.remaining());
    if (!fit || *fit < d->size()) break;
    (void)wire::encode(w, wire::datagram_frame{*d, true, std::nullopt});
    datagrams_out_.pop();
    t.ack_eliciting = true;
  }
}

void connection::write_stream_frames(wire::writer& w, frame_tally& t, bool early_only) {
  // Stream data by the scheduler.
  while (w.remaining() > 24) {
    auto* s = early_only ? streams_.next_early_to_send() : streams_.next_to_send();
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
      counters_.stream_bytes_sent += c->data.size();
    } else {
      counters_.stream_bytes_retransmitted += c->data.size();
    }
    t.retransmitted = t.retransmitted || c->retransmission;
    record(sent_frame{sent_frame::kind::stream, c->fin, id, c->offset, c->data.size()}, t);
    if (s->send->has_control_pending()) send_.set(send_flag::stream_control);
    (void)streams_.on_chunk_sent(id);
  }
}

} // namespace tern::core
