#pragma once

#include "link_pump.hpp"

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tern::netem {

struct tun_config {
  std::string ns_a; ///< namespace of side A; empty: create one (and delete it at exit)
  std::string ns_b; ///< namespace of side B; empty: create one
  int mtu = 1500;
};

/// The TUN bridge's ports: two network namespaces, each holding one
/// point-to-point TUN device, tern-a (198.18.0.1, peer 198.18.0.2) in A and
/// tern-b (198.18.0.2, peer 198.18.0.1) in B. Every IP packet one side sends
/// to the other is read from its device and written, after the link model,
/// to the other device: "up" is A -> B, "down" is B -> A. The addresses are
/// from 198.18.0.0/15, the benchmarking range (RFC 2544).
class tun_bridge final : public packet_ports {
public:
  explicit tun_bridge(tun_config config);
  /// Closes the devices (which removes them) and deletes the namespaces it
  /// created; given namespaces are left as they were.
  ~tun_bridge() override;
  tun_bridge(const tun_bridge&) = delete;
  tun_bridge& operator=(const tun_bridge&) = delete;

  /// Creates (or checks) the namespaces and the devices. Returns an empty
  /// string on success, else what failed and why; what was already set up
  /// is undone by the destructor.
  std::string open();

  const std::string& ns_a() const noexcept { return config_.ns_a; }
  const std::string& ns_b() const noexcept { return config_.ns_b; }
  static in_addr address_a() noexcept;
  static in_addr address_b() noexcept;

  void poll_fds(std::vector<pollfd>& fds) const override;
  void on_readable(std::size_t index, link_pump& pump) override;
  void send(bool up, std::span<sim::packet> batch, direction_stats& stats) override;
  void add_stats_fields(nlohmann::ordered_json& stats) const override;
  std::string stats_text_lines() const override;

private:
  std::string open_side(std::string& ns, const char* role, const std::string& device, in_addr local, in_addr peer,
                        int& fd);

  tun_config config_;
  std::vector<std::string> created_; ///< namespaces to delete at exit
  int fd_a_ = -1, fd_b_ = -1;
  std::vector<std::byte> scratch_;
};

} // namespace tern::netem
