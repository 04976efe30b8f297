// The core's counters as the public API reports them.

#include "api/front_end.hpp"

namespace tern::detail {

connection_stats public_stats(const core::connection_stats& c) noexcept {
  connection_stats s;
  s.srtt = c.srtt;
  s.rttvar = c.rttvar;
  s.min_rtt = c.min_rtt;
  s.cwnd = c.cwnd;
  s.pacing_rate = c.pacing_rate;
  s.delivery_rate = c.delivery_rate;
  s.target_rate = c.target_rate;
  s.queueing_delay = c.queueing_delay;
  s.bytes_in_flight = c.bytes_in_flight;
  s.packets_sent = c.packets_sent;
  s.packets_received = c.packets_received;
  s.packets_lost = c.packets_lost;
  s.packets_retransmitted = c.packets_retransmitted;
  s.packets_dropped = c.packets_dropped;
  s.bytes_sent = c.bytes_sent;
  s.bytes_received = c.bytes_received;
  s.stream_bytes_sent = c.stream_bytes_sent;
  s.stream_bytes_received = c.stream_bytes_received;
  s.path_changes = c.path_changes;
  s.datagram_size = c.datagram_size;
  s.mtu_probes_sent = c.mtu_probes_sent;
  s.mtu_probes_lost = c.mtu_probes_lost;
  s.mtu_black_holes = c.mtu_black_holes;
  s.ecn_ect0_received = c.ecn_ect0_received;
  s.ecn_ce_received = c.ecn_ce_received;
  s.ecn_ce_reported = c.ecn_ce_reported;
  s.ecn_marking = c.ecn_marking;
  s.fec_repair_packets_sent = c.fec_repair_packets_sent;
  s.fec_repair_bytes_sent = c.fec_repair_bytes_sent;
  s.fec_packets_recovered = c.fec_packets_recovered;
  s.fec_peer_packets_recovered = c.fec_peer_packets_recovered;
  s.fec_overhead = c.fec_overhead;
  s.early_message_fragments_received = c.early_message_fragments_received;
  s.early_datagrams_received = c.early_datagrams_received;
  s.early_datagrams_refused = c.early_datagrams_refused;
  s.fec_path_loss_rate = c.fec_path_loss_rate;
  return s;
}

} // namespace tern::detail
