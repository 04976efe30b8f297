#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tern::bench {

/// How the sender and receiver move datagrams.
enum class udp_mode {
  plain,    // sendto / recvfrom, one datagram per system call
  sendmmsg, // tern::io::udp_socket, GSO off: sendmmsg / recvmmsg batches
  gso,      // tern::io::udp_socket, UDP_SEGMENT on the sender, UDP_GRO on the receiver
};

const char* to_string(udp_mode m) noexcept;

struct ceiling_config {
  udp_mode mode = udp_mode::sendmmsg;
  std::size_t datagram_size = 1200;        // UDP payload bytes
  std::chrono::milliseconds duration{3000};  // how long the sender sends
  std::size_t batch = 128;                  // datagrams per send call (batched modes)
  std::size_t socket_buffer = 8u << 20;     // SO_RCVBUF / SO_SNDBUF request, bytes
  bool ipv6 = false;
};

struct thread_cpu {
  double user_s = 0;
  double sys_s = 0;
};

struct ceiling_result {
  double seconds = 0;              // the sender's measured sending time
  std::uint64_t sent_datagrams = 0;
  std::uint64_t received_datagrams = 0;
  std::uint64_t received_bytes = 0; // payload bytes the receiver actually got
  std::uint64_t tx_syscalls = 0;
  std::uint64_t rx_syscalls = 0;
  bool gso_used = false;             // the sender's socket still had GSO at the end
  bool gro_used = false;
  thread_cpu tx_cpu, rx_cpu;
  std::string error;                 // empty on success
};

/// Runs one sender thread and one receiver thread on loopback for
/// config.duration and counts what arrives. Blocks for about the duration.
ceiling_result measure_udp_ceiling(const ceiling_config& config);

} // namespace tern::bench
