#pragma once

#include "endpoint.hpp"
#include "link_pump.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace tern::netem {

struct relay_config {
  endpoint listen;                      ///< where clients send (port 0: ephemeral)
  endpoint connect;                     ///< the server every client is relayed to
  std::optional<duration> rebind_after; ///< new outgoing source ports after this long
};

/// The UDP relay's ports: one socket facing the clients, one socket per
/// client facing the server (so the server can tell clients apart, as
/// behind a NAT). "up" is client -> server. The links and the timing are the
/// link_pump's.
class relay final : public packet_ports {
public:
  explicit relay(relay_config config);
  ~relay() override;
  relay(const relay&) = delete;
  relay& operator=(const relay&) = delete;

  /// Creates and binds the client-facing socket and starts the rebinding
  /// clock. Errors: the socket error.
  std::error_code open();
  /// The bound client-facing address (after open()).
  const endpoint& listening() const noexcept { return bound_; }

  std::size_t clients() const noexcept { return clients_.size(); }
  std::uint64_t rebinds() const noexcept { return rebinds_; }

  void poll_fds(std::vector<pollfd>& fds) const override;
  void on_readable(std::size_t index, link_pump& pump) override;
  void send(bool up, std::span<sim::packet> batch, direction_stats& stats) override;
  time_point next_deadline() const noexcept override { return rebind_at_; }
  void on_deadline(time_point now) override;
  void add_stats_fields(nlohmann::ordered_json& stats) const override;
  std::string stats_text_lines() const override;

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
  void read_clients(link_pump& pump);
  void read_server(std::uint32_t index, link_pump& pump);

  relay_config config_;
  int listen_fd_ = -1;
  endpoint bound_;
  std::vector<client> clients_;
  std::unordered_map<std::string, std::uint32_t> by_addr_;
  time_point rebind_at_ = never; ///< open() + rebind_after
  std::uint64_t rebinds_ = 0;
  std::vector<std::byte> scratch_;
};

} // namespace tern::netem
