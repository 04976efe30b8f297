// Receiving: datagrams -> packets -> frames (docs/protocol.md §3.2, §8, §9).
//
// Packet protection works in place: on_datagram_in_place() works in the
// driver's receive buffer (the endpoint's recvmmsg slots); on_datagram()
// first copies the datagram into a reusable buffer of the connection. The
// datagram is then split into its coalesced packets. Per packet, in order:
// header layout (no state change on error: drop the rest of the datagram),
// Destination Connection ID (ours, or the client's original DCID for a
// server's handshake packets), header protection, packet number expansion
// against the single packet number space, AEAD (failures dropped and
// counted), reserved bits, duplicate check, then the frames. Only an
// authenticated packet changes state; a frame that breaks a rule closes the
// connection with the transport error of RFC 9000 §20.1.
//
// 1-RTT packets that arrive before the 1-RTT keys exist (the client's first
// data racing its Finished, reordered) are kept, whole datagrams, up to
// max_buffered_early_datagrams, and processed once the keys are installed.

#include "core/connection.hpp"

#include "crypto/crypto_error.hpp"
#include "stream/stream_errc.hpp"
#include "wire/frame_reader.hpp"
#include "wire/packet_number.hpp"
#include "wire/transport_error.hpp"

#include <algorithm>
#include <variant>

namespace tern::core {

namespace {

/// How many connection IDs of the peer we keep (its spares included).
constexpr std::size_t peer_connection_id_limit = 8;

std::uint64_t transport_code_of(std::error_code ec) {
  if (ec.category() == stream::stream_category()) {
    const auto e = static_cast<stream::stream_errc>(ec.value());
    if (stream::is_transport_error(e)) return stream::transport_error_code(e);
    return static_cast<std::uint64_t>(wire::transport_error::internal_error);
  }
  if (ec.category() == core_category()) return static_cast<std::uint64_t>(wire::transport_error::protocol_violation);
  return static_cast<std::uint64_t>(wire::to_transport_error(ec));
}

} // namespace

void connection::on_datagram(std::span<const std::byte> datagram, const address& from, time_point now,
                             recovery::ecn_mark ecn) {
  if (state_ == connection_state::closed || state_ == connection_state::draining) return;
  rx_buffer_.assign(datagram.begin(), datagram.end());
  on_datagram_in_place(rx_buffer_, from, now, ecn);
}

void connection::on_datagram_in_place(std::span<std::byte> datagram, const address& from, time_point now,
                                      recovery::ecn_mark ecn) {
  if (state_ == connection_state::closed || state_ == connection_state::draining) return;
  if (datagram.empty()) {
    ++packets_dropped_;
    return;
  }
  bytes_received_ += datagram.size();
  rx_ecn_ = ecn;
  std::span<std::byte> rest(datagram);
  datagram_counted_ = false;
  while (!rest.empty()) {
    std::size_t consumed = 0;
    bool stop = false;
    process_packet(rest, consumed, from, datagram.size(), now, stop);
    if (stop || consumed == 0 || consumed > rest.size()) break;
    rest = rest.subspan(consumed);
  }
  if (state_ == connection_state::closing && datagram_counted_) close_frame_pending_ = true;
  if (replay_early_pending_) {
    replay_early_pending_ = false;
    replay_early_datagrams(now);
  }
  if (qlog_) qlog_sync(now);
}

void connection::replay_early_datagrams(time_point now) {
  auto early = std::move(early_);
  early_.clear();
  for (auto& d : early) on_datagram_in_place(d.bytes, d.from, now);
}

void connection::process_packet(std::span<std::byte> rest, std::size_t& consumed, const address& from,
                                std::size_t datagram_size, time_point now, bool& stop) {
  wire::decoded_header layout;
  if (wire::decode_header_layout(rest, config_.connection_id_length, layout)) {
    ++packets_dropped_;
    stop = true;
    return;
  }
  consumed = layout.packet_length;
  const auto type = layout.header.type;
  const bool is_long = type != wire::packet_type::one_rtt;
  if (type == wire::packet_type::retry) {
    on_retry(rest.first(layout.packet_length), layout);
    return;
  }
  auto packet = rest.first(layout.packet_length);
  const auto& dcid = layout.header.dcid;
  const bool to_original = !is_client() && is_long && dcid == original_dcid_;
  if (!ids_.is_local(dcid) && !to_original) {
    ++packets_dropped_;
    return;
  }
  if (is_long) {
    if (!keys_.has_handshake_keys()) { // handshake confirmed: long headers are over
      ++packets_dropped_;
      return;
    }
  } else if (!keys_.has_one_rtt_keys()) {
    if (early_.size() < config_.max_buffered_early_datagrams)
      early_.push_back(early_datagram{std::vector<std::byte>(packet.begin(), packet.end()), from});
    else
      ++packets_dropped_;
    return;
  }
  const std::size_t pn_offset = layout.packet_number_offset;
  if (keys_.remove_header_protection(is_long, packet, pn_offset)) {
    ++packets_dropped_;
    return;
  }
  const auto first = std::to_integer<std::uint8_t>(packet[0]);
  const auto truncated = static_cast<std::uint16_t>((std::to_integer<unsigned>(packet[pn_offset]) << 8) |
                                                    std::to_integer<unsigned>(packet[pn_offset + 1]));
  const bool key_phase = !is_long && (first & wire::key_phase_bit) != 0;
  const std::optional<std::uint64_t> largest =
      acks_.any_received() ? std::optional<std::uint64_t>(acks_.largest_received()) : std::nullopt;
  const std::uint64_t pn = wire::expand_packet_number(truncated, largest);
  std::span<std::byte> payload;
  if (auto ec = keys_.open(is_long, key_phase, pn, packet, layout.header_length, now, payload)) {
    if (ec == crypto::crypto_errc::usage_limit_reached) {
      close_transport(wire::transport_error::aead_limit_reached, 0, "integrity limit reached", now);
      stop = true;
      return;
    }
    ++packets_dropped_;
    return;
  }
  // Authenticated from here on.
  if ((first & (is_long ? wire::long_reserved_mask : wire::short_reserved_mask)) != 0) {
    close_transport(wire::transport_error::protocol_violation, 0, "reserved bits set", now);
    stop = true;
    return;
  }
  if (acks_.contains(pn)) { // duplicate or replay
    ++packets_dropped_;
    return;
  }
  ++packets_received_;
  if (qlog_) {
    qlog_frames(type, payload);
    qlog_packet(false, type, pn, layout.packet_length, now);
  }
  if (!datagram_counted_) {
    datagram_counted_ = true;
    if (from == peer_address_) path_bytes_received_ += datagram_size;
  }
  last_received_ = now;
  ack_eliciting_since_receive_ = false;

  if (is_client() && !heard_from_peer_ && is_long) {
    heard_from_peer_ = true;
    ids_.set_initial_peer(layout.header.scid); // the server's chosen ID from now on
  }
  // A server learns the client can receive at its address when the client
  // uses an ID only our packets told it (RFC 9000 §8.1).
  if (!is_client() && !address_validated_ && !to_original && from == peer_address_) address_validated_ = true;

  if (state_ == connection_state::closing) return; // only answered with CONNECTION_CLOSE

  bool ack_eliciting = false;
  bool probing_only = true;
  std::uint64_t bad_frame = 0;
  if (auto ec = process_frames(payload, type, from, now, ack_eliciting, probing_only, bad_frame)) {
    if (state_ == connection_state::handshaking || state_ == connection_state::established) {
      close_transport_code(transport_code_of(ec), core_errc::transport_error, ec.message(), now);
      close_frame_type_ = bad_frame;
    }
    stop = true;
    return;
  }
  if (state_ == connection_state::draining || state_ == connection_state::closed) {
    stop = true;
    return;
  }
  (void)acks_.on_packet_received(pn, ack_eliciting, now, rx_ecn_);

  // Peer address change on a non-probing packet that is the newest so far:
  // a NAT rebinding or migration (RFC 9000 §9.3). Validate the new path.
  if (!is_client() && !is_long && handshake_confirmed_ && !(from == peer_address_) && !probing_only &&
      pn == acks_.largest_received()) {
    start_path_validation(from, now);
    path_bytes_received_ = datagram_size;
  }
}

std::error_code connection::process_frames(std::span<const std::byte> payload, wire::packet_type type,
                                           const address& from, time_point now, bool& ack_eliciting,
                                           bool& probing_only, std::uint64_t& bad_frame) {
  wire::frame_reader frames{payload, type};
  wire::frame fr;
  while (!frames.done()) {
    if (auto ec = frames.next(fr)) {
      bad_frame = 0;
      return ec;
    }
    bad_frame = wire::type_of(fr);
    const bool eliciting = !std::holds_alternative<wire::padding_frame>(fr) &&
                           !std::holds_alternative<wire::ack_frame>(fr) &&
                           !std::holds_alternative<wire::connection_close_frame>(fr);
    ack_eliciting = ack_eliciting || eliciting;
    const bool probing = std::holds_alternative<wire::padding_frame>(fr) ||
                         std::holds_alternative<wire::path_challenge_frame>(fr) ||
                         std::holds_alternative<wire::path_response_frame>(fr) ||
                         std::holds_alternative<wire::new_connection_id_frame>(fr);
    probing_only = probing_only && probing;
    std::error_code ec;
    if (auto* f = std::get_if<wire::ack_frame>(&fr)) {
      ec = on_ack(*f, now);
    } else if (auto* c = std::get_if<wire::crypto_frame>(&fr)) {
      ec = on_crypto(*c, now);
    } else if (auto* s = std::get_if<wire::stream_frame>(&fr)) {
      ec = on_stream(*s);
    } else if (auto* r = std::get_if<wire::reset_stream_frame>(&fr)) {
      auto* st = streams_.get_for_frame(r->stream_id, stream::frame_target::receive_side, ec);
      if (!ec && st) {
        note_peer_stream(r->stream_id);
        const auto res = st->recv->on_reset(r->final_size, r->error_code,
                                            conn_recv_window_.limit() - conn_recv_window_.received());
        ec = res.error;
        if (!ec) {
          if (res.credit_used) ec = conn_recv_window_.on_received(conn_recv_window_.received() + res.credit_used);
          if (res.released) conn_recv_window_.on_consumed(res.released);
          mark_readable(r->stream_id);
          update_stream(r->stream_id);
        }
      }
    } else if (auto* ss = std::get_if<wire::stop_sending_frame>(&fr)) {
      auto* st = streams_.get_for_frame(ss->stream_id, stream::frame_target::send_side, ec);
      if (!ec && st) {
        note_peer_stream(ss->stream_id);
        st->send->on_stop_sending(ss->error_code);
        mark_writable(ss->stream_id);
        update_stream(ss->stream_id);
      }
    } else if (auto* md = std::get_if<wire::max_data_frame>(&fr)) {
      conn_send_credit_.on_max(md->maximum);
    } else if (auto* msd = std::get_if<wire::max_stream_data_frame>(&fr)) {
      auto* st = streams_.get_for_frame(msd->stream_id, stream::frame_target::send_side, ec);
      if (!ec && st) {
        note_peer_stream(msd->stream_id);
        st->send->on_max_stream_data(msd->maximum);
        update_stream(msd->stream_id);
      }
    } else if (auto* ms = std::get_if<wire::max_streams_frame>(&fr)) {
      ec = streams_.on_max_streams(ms->bidirectional ? stream::direction::bidi : stream::direction::uni, ms->maximum);
    } else if (auto* sdb = std::get_if<wire::stream_data_blocked_frame>(&fr)) {
      auto* st = streams_.get_for_frame(sdb->stream_id, stream::frame_target::receive_side, ec);
      if (!ec && st) note_peer_stream(sdb->stream_id);
    } else if (auto* nt = std::get_if<wire::new_token_frame>(&fr)) {
      ec = on_new_token(*nt);
    } else if (auto* nc = std::get_if<wire::new_connection_id_frame>(&fr)) {
      wire::transport_error te{};
      if (!ids_.on_new_connection_id(*nc, peer_connection_id_limit, te)) {
        bad_frame = wire::frame_type::new_connection_id;
        close_transport(te, bad_frame, "bad NEW_CONNECTION_ID", now);
        return {};
      }
    } else if (auto* rc = std::get_if<wire::retire_connection_id_frame>(&fr)) {
      wire::transport_error te{};
      if (ids_.on_retire(rc->sequence, te)) {
        issue_connection_ids();
      } else if (te != wire::transport_error{}) {
        close_transport(te, wire::frame_type::retire_connection_id, "bad RETIRE_CONNECTION_ID", now);
        return {};
      }
    } else if (auto* pc = std::get_if<wire::path_challenge_frame>(&fr)) {
      if (responses_.size() < 4) responses_.push_back(path_response_pending{pc->data, from});
    } else if (auto* pr = std::get_if<wire::path_response_frame>(&fr)) {
      if (path_.active && pr->data == path_.data) {
        path_.active = false;
        path_.challenge_pending = false;
        if (from == peer_address_) address_validated_ = true;
        emit(connection_event::kind::path_changed);
      }
    } else if (auto* cc = std::get_if<wire::connection_close_frame>(&fr)) {
      on_peer_close(*cc, now);
      return {};
    } else if (std::holds_alternative<wire::handshake_done_frame>(fr)) {
      if (!is_client()) {
        ec = core_errc::transport_error;
      } else if (!handshake_confirmed_) {
        on_handshake_confirmed(now);
      }
    } else if (auto* dg = std::get_if<wire::datagram_frame>(&fr)) {
      if (dg->message) {
        const auto& m = *dg->message;
        ec = messages_in_.on_fragment(m.message_id, m.message_length, m.offset, dg->data, m.ttl, now);
        if (!ec && !message_event_pending_) {
          message_event_pending_ = true;
          emit(connection_event::kind::message_received);
        }
      } else {
        datagrams_in_.push(dg->data);
        emit(connection_event::kind::datagram_received);
      }
    } else if (auto* ma = std::get_if<wire::message_abandon_frame>(&fr)) {
      messages_in_.on_abandon(ma->message_id);
      if (!message_event_pending_) {
        message_event_pending_ = true;
        emit(connection_event::kind::message_received);
      }
    }
    // PADDING, PING, DATA_BLOCKED and STREAMS_BLOCKED need nothing more.
    if (ec) return ec;
    if (state_ != connection_state::handshaking && state_ != connection_state::established) return {};
  }
  return {};
}

void connection::note_peer_stream(std::uint64_t id) {
  const bool client_stream = stream::initiator(id) == stream::role::client;
  if (client_stream == is_client()) return;
  const auto d = static_cast<std::size_t>(stream::dir(id));
  while (peer_streams_seen_[d] <= stream::index(id)) {
    emit(connection_event::kind::stream_opened,
         stream::make_stream_id(client_stream ? stream::role::client : stream::role::server, stream::dir(id),
                                peer_streams_seen_[d]));
    ++peer_streams_seen_[d];
  }
}

void connection::mark_readable(std::uint64_t id) {
  if (readable_pending_.insert(id).second) emit(connection_event::kind::stream_readable, id);
}

void connection::mark_writable(std::uint64_t id) {
  auto it = std::find(want_writable_.begin(), want_writable_.end(), id);
  if (it == want_writable_.end()) return;
  want_writable_.erase(it);
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
    stream_bytes_received_ += res.credit_used;
  }
  if (res.released) conn_recv_window_.on_consumed(res.released);
  if (s->recv->readable() > 0 || f.fin) mark_readable(f.stream_id);
  update_stream(f.stream_id);
  return {};
}

std::error_code connection::on_crypto(const wire::crypto_frame& f, time_point now) {
  const auto res = crypto_recv_.on_data(f.offset, f.data, false);
  if (res.error) {
    if (res.error == stream::stream_errc::flow_control_error) {
      close_transport(wire::transport_error::crypto_buffer_exceeded, wire::frame_type::crypto,
                      "too much buffered CRYPTO data", now);
      return {};
    }
    return res.error;
  }
  for (;;) {
    std::error_code ec;
    const auto r = crypto_recv_.read(crypto_scratch_, ec);
    if (ec || r.bytes == 0) break;
    if (tls_->state() == crypto::handshake_state::failed) break;
    (void)tls_->provide_input(std::span<const std::byte>(crypto_scratch_).first(r.bytes));
  }
  if (tls_->state() == crypto::handshake_state::failed) {
    fail_handshake(now);
    return {};
  }
  pump_tls_output();
  if (!handshake_complete_ && tls_->handshake_complete()) on_handshake_complete(now);
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
  std::uint64_t newly_marked = 0;
  for (const auto& p : out.acked)
    if (was_ecn_marked(p.packet_number)) ++newly_marked;
  on_ack_ecn(f, newly_marked);
  for (const auto& p : out.acked) {
    on_path_mtu_acked(p, now);
    on_acked_frames(p.cookie);
    keys_.one_rtt().on_packet_acknowledged(p.packet_number);
    if (p.carried_ack_largest != recovery::no_packet) acks_.on_ack_acknowledged(p.carried_ack_largest);
  }
  if (out.rtt_updated && keys_.has_one_rtt_keys()) keys_.one_rtt().set_old_key_retention(3 * pto());
  handle_losses(out.lost, false, now);
  update_handshake_probe(now);
  return {};
}

void connection::handle_losses(std::span<const recovery::sent_packet> lost, bool by_timer, time_point now) {
  if (qlog_) qlog_losses(lost, by_timer, now);
  for (const auto& p : lost) {
    on_path_mtu_lost(p, now);
    on_lost_frames(p.cookie);
  }
}

void connection::on_acked_frames(std::uint64_t cookie) {
  for (const auto& f : sent_.frames(cookie)) {
    switch (f.what) {
    case sent_frame::kind::crypto: crypto_send_.on_acked(f.a, f.b, false); break;
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
    case sent_frame::kind::message_fragment: messages_out_.on_acked(stream::fragment_ref{f.id, f.a, f.b}); break;
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
    case sent_frame::kind::crypto: crypto_send_.on_lost(f.a, f.b, false); break;
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
    case sent_frame::kind::handshake_done: handshake_done_pending_ = true; break;
    case sent_frame::kind::new_token: new_token_pending_ = !new_token_out_.empty(); break;
    case sent_frame::kind::message_fragment: messages_out_.on_lost(stream::fragment_ref{f.id, f.a, f.b}); break;
    case sent_frame::kind::message_abandon: messages_out_.on_abandon_lost(f.id); break;
    }
    if (s) update_stream(f.id);
  }
  control_dirty_ = true;
  sent_.release(cookie);
}

void connection::on_peer_close(const wire::connection_close_frame& f, time_point now) {
  close_info info;
  info.remote = true;
  info.application = f.application;
  info.code = f.error_code;
  info.reason.assign(reinterpret_cast<const char*>(f.reason.data()), f.reason.size());
  if (!f.application && f.error_code >= 0x100 && f.error_code < 0x200)
    info.error = crypto::crypto_errc::alert_received;
  else
    info.error = core_errc::closed_by_peer;
  enter_draining(info, now);
}

void connection::start_path_validation(const address& to, time_point now) {
  if (!path_.active) {
    path_.previous = peer_address_;
    path_.previous_validated = address_validated_;
  }
  path_.active = true;
  path_.to = to;
  rng_.fill(path_.data);
  path_.challenge_pending = true;
  path_.deadline = now + std::max<duration>(3 * pto(), std::chrono::milliseconds(100));
  // Another IP address is another path, whose MTU is unknown (a port change
  // alone is a NAT rebinding on the same path).
  if (!same_host(to, peer_address_)) restart_path_mtu();
  peer_address_ = to;
  address_validated_ = false;
  path_bytes_received_ = 0;
  path_bytes_sent_ = 0;
  (void)ids_.rotate_peer(); // a new path uses a new connection ID when the peer gave spares
}

} // namespace tern::core
