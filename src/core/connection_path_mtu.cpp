// DPLPMTUD in the connection (RFC 8899 §4-5, RFC 9000 §14.3): how the
// sans-IO path MTU search (core/path_mtu.hpp) meets the packet path.
//
// - A probe is an ordinary 1-RTT packet padded to the probe size: it carries
//   whatever is queued (stream data, ACK) plus a PING, so a probe costs
//   nothing extra while data flows, and data in a lost probe is retransmitted
//   like any other. Probing starts once the handshake is confirmed (the
//   handshake's 1200-byte datagrams confirmed the base size) and pauses while
//   a new peer address is being validated.
// - Its fate comes from the connection's loss detection, told apart from
//   other packets by its packet number; one probe is in flight at a time.
// - Every other datagram is at most usable_size(): the size rises only when a
//   probe was acknowledged, so the connection never sends more than the path
//   proved. Losses and acknowledgements of ordinary packets feed black-hole
//   detection, which falls back to the base size. So do two probe timeouts
//   in a row with nothing acknowledged (a black hole that swallows every
//   packet leaves nothing to declare lost).
// - A probe's loss still reaches the congestion controller as a loss (the
//   recovery sender does not know probes). With at most max_probes losses per
//   size and a binary search over 1200-1452 bytes, that is a handful of
//   reductions per search.

#include "core/connection.hpp"

#include <algorithm>

namespace tern::core {

std::size_t connection::mtu_probe_size(std::size_t room) const noexcept {
  if (state_ != connection_state::established || !handshake_.confirmed || path_.validation.active) return 0;
  const std::size_t size = path_mtu_.search.probe_due();
  return size <= room ? size : 0;
}

void connection::on_mtu_probe_sent(std::uint64_t packet_number, std::size_t size) {
  path_mtu_.search.on_probe_sent(size);
  path_mtu_.probe_packet = packet_number;
}

void connection::on_path_mtu_acked(const recovery::sent_packet& p, time_point now) {
  auto& search = path_mtu_.search;
  path_mtu_.silent_timeouts = 0;
  if (p.packet_number == path_mtu_.probe_packet) {
    path_mtu_.probe_packet = recovery::no_packet;
    search.on_probe_acked(search.probe_in_flight(), now);
    return;
  }
  search.on_packet_acked(p.bytes, p.packet_number);
}

void connection::on_path_mtu_lost(const recovery::sent_packet& p, time_point now) {
  auto& search = path_mtu_.search;
  if (p.packet_number == path_mtu_.probe_packet) {
    path_mtu_.probe_packet = recovery::no_packet;
    search.on_probe_lost(search.probe_in_flight(), now);
    return;
  }
  search.on_packet_lost(p.bytes, p.packet_number, now);
}

void connection::on_path_mtu_timeout(time_point now) {
  // Two probe timeouts in a row with nothing acknowledged: whatever the
  // cause, the next probes go at the base size, which the path carried.
  if (++path_mtu_.silent_timeouts >= 2 && handshake_.confirmed) path_mtu_.search.on_path_silent(now);
}

void connection::restart_path_mtu() {
  pmtud_config c;
  c.base_size = config_.max_datagram_size;
  c.max_size = std::max(config_.max_probed_datagram_size, c.base_size);
  path_mtu_.search = pmtud(c);
  path_mtu_.probe_packet = recovery::no_packet;
}

} // namespace tern::core
