#pragma once

#include "endpoint.hpp"

#include "sim/link.hpp"
#include "sim/netem_spec.hpp"
#include "sim/schedule.hpp"

#include <tern/time.hpp>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace tern::netem {

struct relay_config {
  endpoint listen;                 ///< where clients send (port 0: ephemeral)
  endpoint connect;                ///< the server every client is relayed to
  sim::netem_spec up;              ///< client -> server impairments
  sim::netem_spec down;            ///< server -> client impairments
  sim::schedule schedule;          ///< entries targeted "up", "down" or both
  std::optional<duration> rebind_after; ///< new outgoing source ports after this long
  std::optional<duration> run_for;      ///< exit after this long
  std::uint64_t seed = 1;
};

/// Scheduling accuracy of one direction: how long after its due time each
/// packet was actually sent. A histogram of 1 us buckets up to 100 ms.
class lateness_histogram {
public:
  void add(duration late);
  std::uint64_t count() const noexcept { return count_; }
  double mean_us() const noexcept;
  double percentile_us(double p) const noexcept;
  double max_us() const noexcept { return static_cast<double>(max_ns_) / 1e3; }

private:
  static constexpr std::size_t buckets = 100000;
  std::vector<std::uint64_t> hist_ = std::vector<std::uint64_t>(buckets + 1);
  std::uint64_t count_ = 0;
  double sum_ns_ = 0;
  std::int64_t max_ns_ = 0;
};

struct direction_stats {
  std::uint64_t received = 0;    ///< datagrams read from sockets
  std::uint64_t sent = 0;        ///< datagrams written to sockets
  std::uint64_t send_errors = 0; ///< sends the kernel refused (buffer full, no listener)
  lateness_histogram lateness;
};

/// The real-time relay: one socket facing the clients, one socket per
/// client facing the server (so the server can tell clients apart, as
/// behind a NAT), and one netem link per direction shared by all clients.
/// Single-threaded; timing comes from ppoll() with nanosecond timeouts and a
/// 1 ns timer slack.
class relay {
public:
  explicit relay(relay_config config);
  ~relay();
  relay(const relay&) = delete;
  relay& operator=(const relay&) = delete;

  /// Creates and binds the client-facing socket. Errors: the socket error.
  std::error_code open();
  /// The bound client-facing address (after open()).
  const endpoint& listening() const noexcept { return bound_; }

  /// Runs until `stop` becomes true (checked at least every 100 ms and on
  /// every signal) or run_for elapses.
  void run(const std::atomic<bool>& stop);

  /// Per-direction statistics: link counters plus relay counters.
  const sim::link_stats& link_stats(bool up) const noexcept { return (up ? up_ : down_).stats(); }
  const direction_stats& stats(bool up) const noexcept { return up ? up_stats_ : down_stats_; }
  std::size_t clients() const noexcept { return clients_.size(); }
  std::uint64_t rebinds() const noexcept { return rebinds_; }
  duration elapsed() const noexcept { return elapsed_; }

  /// Statistics as one JSON object.
  std::string stats_json() const;
  /// Statistics for humans, several lines.
  std::string stats_text() const;

  /// Clients beyond this many are not relayed (their datagrams are counted
  /// as received and dropped).
  static constexpr std::size_t max_clients = 1024;

private:
  struct client {
    endpoint addr;
    int fd = -1;
  };
  int open_upstream();
  std::optional<std::uint32_t> client_for(const endpoint& from);
  void read_clients();
  void read_server(std::uint32_t index);
  void flush(sim::netem_link& link, bool up);
  void rebind_all();

  relay_config config_;
  sim::buffer_pool pool_;
  sim::netem_link up_;
  sim::netem_link down_;
  direction_stats up_stats_, down_stats_;
  int listen_fd_ = -1;
  endpoint bound_;
  std::vector<client> clients_;
  std::unordered_map<std::string, std::uint32_t> by_addr_;
  std::uint64_t next_id_ = 1;
  std::uint64_t rebinds_ = 0;
  duration elapsed_{0};
  std::vector<std::byte> scratch_;
};

} // namespace tern::netem
