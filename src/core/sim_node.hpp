#pragma once

// Adapter from a tern connection to the simulator's node interface
// (src/sim/node.hpp), header-only so that only targets linking tern::sim
// (tests, tools) depend on the simulator. A client node wraps a connection
// made with connection::connect(); a server node creates its connection
// from the first Initial packet it receives. After every call into the
// node, `on_activity` runs so a scenario can drive the application side
// (write, read, send messages) before the simulator drains poll_transmit.

#include "core/connection.hpp"
#include "sim/node.hpp"
#include "wire/header.hpp"

#include <functional>
#include <memory>

namespace tern::core {

/// sim::address (host number, port) as an IPv4 transport address and back.
inline address from_sim(sim::address a) {
  return address::ipv4({static_cast<std::uint8_t>(a.host >> 24), static_cast<std::uint8_t>(a.host >> 16),
                        static_cast<std::uint8_t>(a.host >> 8), static_cast<std::uint8_t>(a.host)},
                       a.port);
}
inline sim::address to_sim(const address& a) {
  return sim::address{(std::uint32_t{a.ip[0]} << 24) | (std::uint32_t{a.ip[1]} << 16) |
                          (std::uint32_t{a.ip[2]} << 8) | std::uint32_t{a.ip[3]},
                      a.port};
}

class connection_node final : public sim::node {
public:
  /// A client node around an existing connection.
  explicit connection_node(std::unique_ptr<connection> client) : conn_(std::move(client)) {}
  /// A server node: the connection is created from the first Initial.
  connection_node(const connection_config& config, std::shared_ptr<const crypto::tls_context> server_tls,
                  random_source& rng)
      : config_(config), tls_(std::move(server_tls)), rng_(&rng) {}

  std::function<void(connection&, time_point)> on_activity;

  connection* get() noexcept { return conn_.get(); }

  void on_datagram(std::span<const std::byte> bytes, sim::address from, time_point now) override {
    if (!conn_) {
      wire::decoded_header h;
      if (wire::decode_header_layout(bytes, config_.connection_id_length, h) ||
          h.header.type != wire::packet_type::initial || bytes.size() < 1200)
        return;
      std::error_code ec;
      conn_ = connection::accept(config_, tls_, from_sim(from), h.header.dcid, h.header.scid, *rng_, now, ec);
      if (!conn_) return;
    }
    conn_->on_datagram(bytes, from_sim(from), now);
    activity(now);
  }
  std::optional<sim::transmit> poll_transmit(std::span<std::byte> out, time_point now) override {
    if (!conn_) return std::nullopt;
    auto t = conn_->poll_transmit(out.first(std::min<std::size_t>(out.size(), 1500)), now);
    if (!t) return std::nullopt;
    return sim::transmit{to_sim(t->to), t->size};
  }
  time_point next_timeout() const override { return conn_ ? conn_->next_timeout() : never; }
  void on_timeout(time_point now) override {
    if (!conn_) return;
    conn_->on_timeout(now);
    activity(now);
  }
  /// Runs on_activity now (e.g. right after the application queued data).
  void activity(time_point now) {
    if (on_activity && conn_) on_activity(*conn_, now);
  }

private:
  std::unique_ptr<connection> conn_;
  connection_config config_;
  std::shared_ptr<const crypto::tls_context> tls_;
  random_source* rng_ = nullptr;
};

} // namespace tern::core
