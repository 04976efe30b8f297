#pragma once

// Resumption set-ups shared by the core tests of session tickets and 0-RTT
// (connection_resumption_test.cpp, connection_early_messages_test.cpp):
// configs whose server issues tickets from one key ring, a first
// connection's ticket, and a resumed network offering early data.

#include "harness.hpp"

#include "crypto/replay_guard.hpp"
#include "crypto/ticket_keys.hpp"

#include <memory>
#include <utility>
#include <vector>

namespace tern::core::test {

/// Pinned configs whose server issues tickets (one key ring for every
/// network made from them) and whose client keeps them.
inline std::pair<connection_config, connection_config> resumable_configs(bool early_data = false) {
  auto configs = pinned_configs();
  std::error_code ec;
  static const auto ring = crypto::ticket_key_ring::generate(ec);
  configs.second.tls.tickets.keys = ring;
  configs.second.tls.tickets.accept_early_data = early_data;
  configs.second.tls.tickets.replay = std::make_shared<crypto::replay_guard>(1000);
  configs.first.tls.resumption = true;
  return configs;
}

inline std::vector<std::byte> ticket_from(network& net) {
  REQUIRE(net.handshake());
  REQUIRE(net.run_until([&] { return !net.client->session_ticket().empty(); }, 1s));
  return net.client->session_ticket();
}

/// The ticket of a first connection made from `configs` over a path of
/// `one_way` each way.
template <class Configs>
std::vector<std::byte> first_ticket(const Configs& configs, duration one_way) {
  network first(configs);
  first.one_way = one_way;
  return ticket_from(first);
}

/// Configs whose server issues tickets that allow early data (the key ring
/// of resumable_configs) but rejects it, and a ticket from them.
inline std::pair<connection_config, connection_config> rejecting_configs() {
  auto configs = resumable_configs(true);
  configs.second.tls.tickets.accept_early_data = false;
  return configs;
}
inline std::vector<std::byte> rejecting_ticket() { return first_ticket(resumable_configs(true), 10ms); }

/// Makes `net` resume with `ticket` over `one_way`, offering early data.
inline void resume_early(network& net, std::vector<std::byte> ticket, duration one_way) {
  net.one_way = one_way;
  net.client_ticket = std::move(ticket);
  net.client_early_data = true;
}

} // namespace tern::core::test
