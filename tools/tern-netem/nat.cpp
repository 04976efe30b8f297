// The NAT's socket loop (see nat.hpp): poll() over the outside socket and
// the alias sockets, each readable socket drained without blocking.

#include "nat.hpp"

#include <nlohmann/json.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sstream>

namespace tern::netem {

namespace {

/// A non-blocking UDP socket bound to `at`; -1 with `ec` set on failure.
int bind_udp(const endpoint& at, endpoint& bound, std::error_code& ec) {
  const int fd = ::socket(at.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = std::error_code(errno, std::generic_category());
    return -1;
  }
  if (::bind(fd, at.addr(), at.length) != 0) {
    ec = std::error_code(errno, std::generic_category());
    ::close(fd);
    return -1;
  }
  bound.length = sizeof bound.storage;
  ::getsockname(fd, bound.addr(), &bound.length);
  return fd;
}

time_point now_steady() { return from_steady(std::chrono::steady_clock::now()); }

} // namespace

nat::nat(nat_config config)
    : config_(std::move(config)), table_(config_.filtering, config_.mapping_timeout) {}

nat::~nat() {
  if (outside_fd_ >= 0) ::close(outside_fd_);
  for (auto& a : aliases_)
    if (a.fd >= 0) ::close(a.fd);
}

std::error_code nat::open() {
  std::error_code ec;
  for (const auto& r : config_.remotes)
    if (r.family() != config_.outside.family())
      return std::make_error_code(std::errc::address_family_not_supported);
  outside_fd_ = bind_udp(config_.outside, outside_bound_, ec);
  if (ec) return ec;
  endpoint any_port = config_.alias_host;
  if (any_port.family() == AF_INET)
    reinterpret_cast<sockaddr_in*>(any_port.addr())->sin_port = 0;
  else
    reinterpret_cast<sockaddr_in6*>(any_port.addr())->sin6_port = 0;
  for (std::size_t i = 0; i < config_.remotes.size(); ++i) {
    alias_socket a;
    a.fd = bind_udp(any_port, a.bound, ec);
    if (ec) return ec;
    aliases_.push_back(a);
  }
  return {};
}

void nat::run(const std::atomic<bool>& stop) {
  std::vector<pollfd> fds;
  fds.push_back(pollfd{outside_fd_, POLLIN, 0});
  for (const auto& a : aliases_) fds.push_back(pollfd{a.fd, POLLIN, 0});
  const time_point start = now_steady();
  while (!stop.load()) {
    if (config_.run_for && now_steady() - start >= *config_.run_for) break;
    const int n = ::poll(fds.data(), fds.size(), 100);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    const time_point now = now_steady();
    if (fds[0].revents & POLLIN) read_outside(now);
    for (std::size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents & POLLIN) read_alias(i - 1, now);
  }
}

void nat::read_outside(time_point now) {
  for (;;) {
    endpoint from;
    from.length = sizeof from.storage;
    const ssize_t n = ::recvfrom(outside_fd_, buffer_.data(), buffer_.size(), 0, from.addr(), &from.length);
    if (n < 0) return; // EAGAIN: drained (errors of a UDP socket are per datagram)
    if (!inside_ || !table_.permits(from, now)) {
      ++stats_.inbound_filtered;
      continue;
    }
    std::size_t index = 0;
    while (index < config_.remotes.size() && !(config_.remotes[index] == from)) ++index;
    if (index == config_.remotes.size()) {
      ++stats_.inbound_unknown;
      continue;
    }
    if (::sendto(aliases_[index].fd, buffer_.data(), static_cast<std::size_t>(n), 0, inside_->addr(),
                 inside_->length) < 0)
      ++stats_.send_errors;
    else
      ++stats_.inbound;
  }
}

void nat::read_alias(std::size_t index, time_point now) {
  for (;;) {
    endpoint from;
    from.length = sizeof from.storage;
    const ssize_t n =
        ::recvfrom(aliases_[index].fd, buffer_.data(), buffer_.size(), 0, from.addr(), &from.length);
    if (n < 0) return;
    if (!inside_) inside_ = from;
    if (!(*inside_ == from)) {
      ++stats_.foreign_inside;
      continue;
    }
    const endpoint& remote = config_.remotes[index];
    table_.on_outbound(remote, now);
    if (::sendto(outside_fd_, buffer_.data(), static_cast<std::size_t>(n), 0, remote.addr(), remote.length) <
        0)
      ++stats_.send_errors;
    else
      ++stats_.outbound;
  }
}

std::string nat::stats_json() const {
  const nlohmann::ordered_json stats = {
      {"filtering", to_string(config_.filtering)},
      {"outside", to_string(outside_bound_)},
      {"outbound", stats_.outbound},
      {"inbound", stats_.inbound},
      {"inbound_filtered", stats_.inbound_filtered},
      {"inbound_unknown", stats_.inbound_unknown},
      {"foreign_inside", stats_.foreign_inside},
      {"send_errors", stats_.send_errors},
  };
  return stats.dump();
}

std::string nat::stats_text() const {
  std::ostringstream o;
  o << "nat " << to_string(config_.filtering) << " outside " << to_string(outside_bound_) << ": "
    << stats_.outbound << " out, " << stats_.inbound << " in, " << stats_.inbound_filtered << " filtered, "
    << stats_.inbound_unknown << " from remotes without an alias, " << stats_.foreign_inside
    << " from a second inside source, " << stats_.send_errors << " send errors\n";
  return o.str();
}

} // namespace tern::netem
