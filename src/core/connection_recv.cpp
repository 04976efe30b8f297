// Receiving: datagrams -> packets (docs/protocol.md §3.2, §8, §9); the
// frames they carry are connection_frames_in.cpp's.
//
// Packet protection works in place: on_datagram_in_place() works in the
// driver's receive buffer (the endpoint's recvmmsg slots); on_datagram()
// first copies the datagram into a reusable buffer of the connection. The
// datagram is then split into its coalesced packets. Per packet, in order:
// header layout (no state change on error: drop the rest of the datagram),
// Destination Connection ID (ours, or the client's original DCID for a
// server's handshake packets), header protection, packet number expansion
// against the single packet number space, AEAD (failures dropped and
// counted), reserved bits, duplicate check (open_packet), then the frames.
// Only an authenticated packet changes state; a frame that breaks a rule
// closes the connection with the transport error of RFC 9000 §20.1.
//
// 1-RTT packets that arrive before the 1-RTT keys exist (the client's first
// data racing its Finished, reordered) are kept, whole datagrams, up to
// max_buffered_early_datagrams, and processed once the keys are installed.

#include "core/connection.hpp"

#include "crypto/crypto_error.hpp"
#include "stream/stream_errc.hpp"
#include "wire/packet_number.hpp"
#include "wire/transport_error.hpp"

#include <algorithm>

namespace tern::core {

namespace {

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
  receive_.buffer.assign(datagram.begin(), datagram.end());
  on_datagram_in_place(receive_.buffer, from, now, ecn);
}

void connection::on_datagram_in_place(std::span<std::byte> datagram, const address& from, time_point now,
                                      recovery::ecn_mark ecn) {
  if (state_ == connection_state::closed || state_ == connection_state::draining) return;
  if (datagram.empty()) {
    ++counters_.packets_dropped;
    return;
  }
  counters_.bytes_received += datagram.size();
  datagram_context d{from, datagram.size(), ecn};
  std::span<std::byte> rest(datagram);
  while (!rest.empty()) {
    const packet_done done = process_packet(rest, d, now);
    if (done.drop_rest || done.length == 0 || done.length > rest.size()) break;
    rest = rest.subspan(done.length);
  }
  if (state_ == connection_state::closing && d.counted) send_.set(send_flag::close_frame);
  if (receive_.replay_early_pending) {
    receive_.replay_early_pending = false;
    replay_early_datagrams(now);
  }
  if (qlog_.observer) qlog_sync(now);
}

void connection::replay_early_datagrams(time_point now) {
  auto early = std::move(receive_.early);
  receive_.early.clear();
  for (auto& d : early) on_datagram_in_place(d.bytes, d.from, now);
}

connection::packet_done connection::process_packet(std::span<std::byte> rest, datagram_context& d, time_point now) {
  wire::decoded_header layout;
  if (wire::decode_header_layout(rest, config_.connection_id_length, layout)) {
    ++counters_.packets_dropped;
    return {0, true};
  }
  const packet_done next{layout.packet_length, false};
  const packet_done stop{layout.packet_length, true};
  const auto type = layout.header.type;
  auto packet = rest.first(layout.packet_length);
  if (type == wire::packet_type::retry) {
    on_retry(packet, layout);
    return next;
  }
  const opened_packet p = open_packet(packet, layout, d.from, now);
  if (p.step != packet_step::proceed) return p.step == packet_step::stop ? stop : next;
  note_authenticated(layout, p, d, now);
  if (state_ == connection_state::closing) return next; // only answered with CONNECTION_CLOSE

  const frames_outcome frames = process_frames(p.payload, type, d.from, now);
  if (frames.error) {
    close_for_frame_error(frames, now);
    return stop;
  }
  if (state_ == connection_state::draining || state_ == connection_state::closed) return stop;
  if (type == wire::packet_type::one_rtt && frames.carried_message)
    repair_.on_source_received(p.number, p.payload, now);
  (void)acks_.on_packet_received(p.number, frames.ack_eliciting, now, d.ecn);
  check_migration(type, frames.probing_only, p.number, d, now);
  process_recovered_packets(d, now);
  return next;
}

void connection::close_for_frame_error(const frames_outcome& frames, time_point now) {
  if (state_ != connection_state::handshaking && state_ != connection_state::established) return;
  close_transport_code(transport_code_of(frames.error), core_errc::transport_error, frames.error.message(), now);
  close_.frame_type = frames.bad_frame;
}

connection::opened_packet connection::open_packet(std::span<std::byte> packet, const wire::decoded_header& layout,
                                                  const address& from, time_point now) {
  opened_packet p;
  auto skip = [&](bool count_drop) {
    if (count_drop) ++counters_.packets_dropped;
    p.step = packet_step::next;
    return p;
  };
  auto stop = [&] {
    p.step = packet_step::stop;
    return p;
  };
  const bool is_long = layout.header.type != wire::packet_type::one_rtt;
  p.to_original_dcid = !is_client() && is_long && layout.header.dcid == original_dcid_;
  if (!ids_.is_local(layout.header.dcid) && !p.to_original_dcid) return skip(true);
  if (!has_keys_for(layout.header.type, packet, from)) return skip(false);
  const std::size_t pn_offset = layout.packet_number_offset;
  if (keys_.remove_header_protection(layout.header.type, packet, pn_offset)) return skip(true);
  const auto first = std::to_integer<std::uint8_t>(packet[0]);
  const auto truncated = static_cast<std::uint16_t>((std::to_integer<unsigned>(packet[pn_offset]) << 8) |
                                                    std::to_integer<unsigned>(packet[pn_offset + 1]));
  const bool key_phase = !is_long && (first & wire::key_phase_bit) != 0;
  const std::optional<std::uint64_t> largest =
      acks_.any_received() ? std::optional<std::uint64_t>(acks_.largest_received()) : std::nullopt;
  p.number = wire::expand_packet_number(truncated, largest);
  if (auto ec = keys_.open(layout.header.type, key_phase, p.number, packet, layout.header_length, now, p.payload)) {
    if (ec != crypto::crypto_errc::usage_limit_reached) return skip(true);
    close_transport(wire::transport_error::aead_limit_reached, 0, "integrity limit reached", now);
    return stop();
  }
  // Authenticated from here on.
  if ((first & (is_long ? wire::long_reserved_mask : wire::short_reserved_mask)) != 0) {
    close_transport(wire::transport_error::protocol_violation, 0, "reserved bits set", now);
    return stop();
  }
  // Forward error correction counts what the path delivered, including an
  // original that arrives after repair already rebuilt it (a duplicate by
  // then): it was late, not lost.
  repair_.on_packet_received(p.number);
  if (acks_.contains(p.number)) return skip(true); // duplicate or replay
  return p;
}

bool connection::has_keys_for(wire::packet_type type, std::span<const std::byte> packet, const address& from) {
  if (type == wire::packet_type::zero_rtt) {
    // Early data opens only on a server that accepted it; a 0-RTT packet
    // ahead of its Initial, or after confirmation, is dropped (the client
    // sends its data again if it is not acknowledged).
    if (!is_client() && keys_.has_zero_rtt_keys()) return true;
    ++counters_.packets_dropped;
    return false;
  }
  if (type != wire::packet_type::one_rtt) {
    if (keys_.has_handshake_keys()) return true;
    ++counters_.packets_dropped; // handshake confirmed: long headers are over
    return false;
  }
  if (keys_.has_one_rtt_keys()) return true;
  if (receive_.early.size() < config_.max_buffered_early_datagrams)
    receive_.early.push_back(early_datagram{std::vector<std::byte>(packet.begin(), packet.end()), from});
  else
    ++counters_.packets_dropped;
  return false;
}

void connection::note_authenticated(const wire::decoded_header& layout, const opened_packet& p, datagram_context& d,
                                    time_point now) {
  const auto type = layout.header.type;
  ++counters_.packets_received;
  if (qlog_.observer) {
    qlog_frames(type, p.payload);
    qlog_packet(false, type, p.number, layout.packet_length, now);
  }
  if (!d.counted) {
    d.counted = true;
    if (d.from == path_.peer) path_.bytes_received += d.size;
  }
  activity_.last_received = now;
  activity_.ack_eliciting_since_receive = false;
  if (is_client() && !handshake_.heard_from_peer && type != wire::packet_type::one_rtt) {
    handshake_.heard_from_peer = true;
    ids_.set_initial_peer(layout.header.scid); // the server's chosen ID from now on
  }
  if (!is_client() && type == wire::packet_type::handshake) handshake_.client_answered = true;
  // A server learns the client can receive at its address when the client
  // uses an ID only our packets told it (RFC 9000 §8.1).
  if (!is_client() && !path_.validated && !p.to_original_dcid && d.from == path_.peer) path_.validated = true;
}

void connection::check_migration(wire::packet_type type, bool probing_only, std::uint64_t number,
                                 const datagram_context& d, time_point now) {
  // Peer address change on a non-probing packet that is the newest so far:
  // a NAT rebinding or migration (RFC 9000 §9.3). Validate the new path.
  if (is_client() || type != wire::packet_type::one_rtt || !handshake_.confirmed || d.from == path_.peer ||
      probing_only || number != acks_.largest_received())
    return;
  start_path_validation(d.from, now);
  path_.bytes_received = d.size;
}

void connection::start_path_validation(const address& to, time_point now) {
  path_data data{};
  rng_.fill(data);
  const time_point deadline = now + std::max<duration>(3 * pto(), std::chrono::milliseconds(100));
  // Another IP address is another path, whose MTU is unknown (a port change
  // alone is a NAT rebinding on the same path).
  const bool other_host = !same_host(to, path_.peer);
  path_.begin_validation(to, data, deadline);
  if (other_host) restart_path_mtu();
  (void)ids_.rotate_peer(); // a new path uses a new connection ID when the peer gave spares
}

} // namespace tern::core
