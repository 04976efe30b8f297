#pragma once

// tern's encrypted single-connection, single-stream goodput on loopback:
// a client endpoint writes one stream as fast as it is allowed to for a
// fixed time, a server endpoint on another thread reads it; goodput is the
// application bytes the server read per second.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tern::bench {

struct goodput_config {
  std::chrono::milliseconds duration{3000};
  bool ipv6 = false;
  std::size_t chunk = 256 * 1024; ///< bytes per async_write
  /// Endpoint settings, both sides (tern::config), to measure what each is worth.
  bool gso = true;
  bool gro = true;
  bool pacing = true;
  std::string congestion = "bbr"; ///< bbr, cubic or new_reno
  std::size_t max_datagram_size = 1452; ///< 1200 turns path MTU discovery off
};

struct goodput_result {
  std::uint64_t bytes = 0; ///< application bytes read by the server
  double seconds = 0;      ///< first byte read to the end
  double client_cpu_s = 0; ///< user + system of the client thread
  double server_cpu_s = 0;
  std::uint64_t packets_sent = 0;
  std::uint64_t packets_lost = 0;
  std::uint64_t server_packets_sent = 0; ///< nearly all ACK-only packets
  std::uint64_t send_syscalls = 0;
  std::uint64_t datagrams_sent = 0;
  std::uint64_t srtt_us = 0;
  std::uint64_t min_rtt_us = 0;
  std::uint64_t delivery_rate_bps = 0;
  std::uint64_t cwnd = 0;
  std::uint64_t pacing_rate_bps = 0;
  std::size_t datagram_size = 0; ///< the client's at the end (path MTU discovery)
  std::uint64_t mtu_probes_sent = 0;
  bool gso = false;
  bool gro = false;              ///< the server endpoint's receive side
  std::string error;
};

goodput_result measure_tern_goodput(const goodput_config& config);

} // namespace tern::bench
