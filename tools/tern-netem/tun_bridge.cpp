// Reads are non-blocking read()s of whole IP packets, up to one batch per
// readable device per loop iteration; writes are one write() per packet (a
// TUN device takes exactly one packet per call). A write the kernel refuses
// is a send error, as a full socket buffer is for the relay: the packet is
// lost, as it would be on a real link.

#include "tun_bridge.hpp"

#include "netns.hpp"

#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tern::netem {

tun_bridge::tun_bridge(tun_config config) : config_(std::move(config)), scratch_(65536) {}

tun_bridge::~tun_bridge() {
  if (fd_a_ >= 0) ::close(fd_a_);
  if (fd_b_ >= 0) ::close(fd_b_);
  for (const auto& ns : created_)
    if (const auto failed = delete_netns(ns); !failed.empty()) std::fprintf(stderr, "tern-netem: %s\n", failed.c_str());
}

in_addr tun_bridge::address_a() noexcept { return in_addr{htonl(0xc6120001)}; } // 198.18.0.1
in_addr tun_bridge::address_b() noexcept { return in_addr{htonl(0xc6120002)}; } // 198.18.0.2

std::string tun_bridge::open() {
  if (::access("/dev/net/tun", R_OK | W_OK) != 0)
    return "--tun needs /dev/net/tun (the tun module) and root (CAP_NET_ADMIN); /dev/net/tun: " +
           std::string{std::strerror(errno)};
  if (::geteuid() != 0) return "--tun needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create namespaces and devices";
  if (config_.ns_a.empty() != config_.ns_b.empty()) return "give both --ns-a and --ns-b, or neither";
  for (const auto* ns : {&config_.ns_a, &config_.ns_b})
    if (!std::all_of(ns->begin(), ns->end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; }) ||
        *ns == "." || *ns == "..")
      return "bad namespace name \"" + *ns + "\": use letters, digits, '-', '_' and '.'";
  if (!config_.ns_a.empty() && config_.ns_a == config_.ns_b) return "--ns-a and --ns-b must differ";
  if (auto failed = open_side(config_.ns_a, "a", "tern-a", address_a(), address_b(), fd_a_); !failed.empty())
    return failed;
  return open_side(config_.ns_b, "b", "tern-b", address_b(), address_a(), fd_b_);
}

std::string tun_bridge::open_side(std::string& ns, const char* role, const std::string& device, in_addr local,
                                  in_addr peer, int& fd) {
  if (ns.empty()) {
    ns = "tern-netem-" + std::string{role} + "-" + std::to_string(::getpid());
    if (auto failed = create_netns(ns); !failed.empty()) return failed;
    created_.push_back(ns);
  } else if (!netns_exists(ns)) {
    return "--ns-" + std::string{role} + ": no network namespace \"" + ns + "\" (see `ip netns list`)";
  }
  netns_scope inside(ns);
  if (!inside.error().empty()) return inside.error();
  if (auto failed = loopback_up(); !failed.empty()) return "namespace " + ns + ": " + failed;
  std::string error;
  fd = open_tun(device, local, peer, config_.mtu, error);
  return fd < 0 ? "namespace " + ns + ": " + error : std::string{};
}

void tun_bridge::poll_fds(std::vector<pollfd>& fds) const {
  fds.push_back({fd_a_, POLLIN, 0});
  fds.push_back({fd_b_, POLLIN, 0});
}

void tun_bridge::on_readable(std::size_t index, link_pump& pump) {
  const bool up = index == 0; // A's device holds what A sends to B
  const int fd = up ? fd_a_ : fd_b_;
  for (int k = 0; k < 32; ++k) {
    const ssize_t n = ::read(fd, scratch_.data(), scratch_.size());
    if (n <= 0) return;
    pump.offer(up, std::span<const std::byte>{scratch_.data(), static_cast<std::size_t>(n)}, 0, link_pump::now());
  }
}

void tun_bridge::send(bool up, std::span<sim::packet> batch, direction_stats& st) {
  const int fd = up ? fd_b_ : fd_a_;
  for (const auto& p : batch) {
    if (::write(fd, p.payload.data(), p.payload.size()) == static_cast<ssize_t>(p.payload.size()))
      ++st.sent;
    else
      ++st.send_errors;
  }
}

void tun_bridge::add_stats_fields(nlohmann::ordered_json& stats) const {
  stats["ns_a"] = config_.ns_a;
  stats["ns_b"] = config_.ns_b;
}

std::string tun_bridge::stats_text_lines() const {
  return "tun " + config_.ns_a + " (198.18.0.1) <-> " + config_.ns_b + " (198.18.0.2)\n";
}

} // namespace tern::netem
