#pragma once

// tern's endpoint as a simulator node (src/sim/node.hpp): the simulator
// drives a sans-IO core::endpoint exactly as the Asio driver does, so every
// simulated scenario runs the production routing, admission and timers.
// Header-only, so only targets that link both tern and tern::sim (tests,
// tools) depend on it. A client node starts its connection with connect();
// a server node accepts what its endpoint admits. After every call into the
// node, `on_activity` runs for each of its connections so a scenario can
// drive the application side (write, read, send messages) before the
// simulator drains poll_transmit.

#include "core/endpoint.hpp"
#include "sim/node.hpp"

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

namespace tern::sim {

/// A simulator address (host number, port) as an IPv4 address and back.
inline tern::address to_tern(address a) {
  return tern::address::ipv4({static_cast<std::uint8_t>(a.host >> 24), static_cast<std::uint8_t>(a.host >> 16),
                              static_cast<std::uint8_t>(a.host >> 8), static_cast<std::uint8_t>(a.host)},
                             a.port);
}
inline address from_tern(const tern::address& a) {
  return address{(std::uint32_t{a.ip[0]} << 24) | (std::uint32_t{a.ip[1]} << 16) | (std::uint32_t{a.ip[2]} << 8) |
                     std::uint32_t{a.ip[3]},
                 a.port};
}

class connection_node final : public node {
public:
  /// A node whose endpoint accepts with `server_tls` (null: a client only).
  connection_node(const core::connection_config& config, random_source& rng,
                  std::shared_ptr<const crypto::tls_context> server_tls = nullptr)
      : endpoint_(endpoint_config(config, std::move(server_tls)), rng) {}
  /// A server node (the order the simulator tests have always used).
  connection_node(const core::connection_config& config, std::shared_ptr<const crypto::tls_context> server_tls,
                  random_source& rng)
      : connection_node(config, rng, std::move(server_tls)) {}

  std::function<void(core::connection&, time_point)> on_activity;

  /// Starts a client connection to `server`. Errors: the endpoint's.
  core::connection* connect(std::shared_ptr<const crypto::tls_context> tls, address server, time_point now,
                            std::error_code& ec) {
    core::connection_handle h = core::no_connection;
    auto c = endpoint_.connect(to_tern(server), std::move(tls), now, ec, h);
    if (!c) return nullptr;
    connections_.push_back(owned{h, std::move(c)});
    return connections_.back().conn.get();
  }

  /// The node's first connection (its client connection, or the first one
  /// its endpoint accepted), or null.
  core::connection* get() noexcept { return connections_.empty() ? nullptr : connections_.front().conn.get(); }
  core::endpoint& endpoint() noexcept { return endpoint_; }

  void on_datagram(std::span<const std::byte> bytes, address from, time_point now) override {
    std::vector<std::byte> copy(bytes.begin(), bytes.end());
    auto outcome = endpoint_.on_datagram(copy, to_tern(from), now);
    if (outcome.what == core::datagram_outcome::kind::accepted) {
      endpoint_.claim(outcome.handle);
      connections_.push_back(owned{outcome.handle, std::move(outcome.accepted)});
    }
    activity(now);
  }
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point now) override {
    const auto room = out.first(std::min<std::size_t>(out.size(), 1500));
    if (auto t = endpoint_.poll_transmit(room)) return transmit{from_tern(t->to), t->size};
    // Round robin, so one busy connection does not starve the others.
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      auto& c = connections_[(next_ + i) % connections_.size()];
      auto t = c.conn->poll_transmit(room, now);
      endpoint_.update(c.handle, now);
      if (!t) continue;
      next_ = (next_ + i + 1) % connections_.size();
      return transmit{from_tern(t->to), t->size};
    }
    return std::nullopt;
  }
  time_point next_timeout() const override { return endpoint_.next_timeout(); }
  void on_timeout(time_point now) override {
    std::vector<core::connection_handle> ran;
    endpoint_.on_timeout(now, ran);
    activity(now);
  }
  /// Runs on_activity now (e.g. right after the application queued data).
  void activity(time_point now) {
    if (!on_activity) return;
    for (auto& c : connections_) {
      on_activity(*c.conn, now);
      endpoint_.update(c.handle, now);
    }
  }

private:
  struct owned {
    core::connection_handle handle;
    std::unique_ptr<core::connection> conn;
  };
  static core::endpoint_config endpoint_config(const core::connection_config& config,
                                               std::shared_ptr<const crypto::tls_context> server_tls) {
    core::endpoint_config e;
    e.connection = config;
    e.server_tls = std::move(server_tls);
    return e;
  }

  core::endpoint endpoint_;
  std::vector<owned> connections_;
  std::size_t next_ = 0;
};

} // namespace tern::sim
