#pragma once

// The connection's path to its peer (RFC 9000 §8-9): the peer's address,
// whether it is validated, the bytes counted for the amplification limit,
// a path validation in progress (after a peer address change: a NAT
// rebinding or a migration), and the PATH_RESPONSEs owed. Choosing challenge
// data, timing and what a new path resets beyond this (path MTU, the peer's
// connection ID) stay with the connection, which owns the random source and
// the other parts.

#include "core/address.hpp"

#include "util/lazy_deque.hpp"

#include <tern/time.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>

namespace tern::core {

using path_data = std::array<std::byte, 8>;

/// A PATH_RESPONSE owed to the PATH_CHALLENGE that came from `to`.
struct path_response {
  path_data data{};
  address to;
};

/// The validation of a new peer address: the challenge sent to it, and the
/// path to fall back to should it never answer.
struct path_validation {
  bool active = false;
  address to;
  path_data data{};
  /// The PATH_CHALLENGE still has to be sent.
  bool challenge_pending = false;
  time_point deadline = never;
  address previous;
  bool previous_validated = false;
};

struct path_state {
  /// PATH_RESPONSEs queued at once; more challenges are not answered (the
  /// peer retries, an attacker gains nothing by flooding).
  static constexpr std::size_t max_pending_responses = 4;
  /// Before validation a server sends at most this many times what it
  /// received on the path (RFC 9000 §8.1).
  static constexpr std::uint64_t amplification_factor = 3;

  address peer;
  /// Server: the client proved it receives at `peer`. A client trusts the
  /// address it chose.
  bool validated = false;
  /// Bytes received from and sent to `peer` since this path began.
  std::uint64_t bytes_received = 0;
  std::uint64_t bytes_sent = 0;
  path_validation validation;
  util::lazy_deque<path_response> responses;
  /// The response being written alone, to an address other than `peer`.
  std::optional<path_response> response_alone;

  /// Bytes that may still be sent before validation (SIZE_MAX once validated).
  [[nodiscard]] std::size_t amplification_budget() const noexcept;
  /// Queues a PATH_RESPONSE to a challenge from `from`, unless
  /// max_pending_responses are queued already.
  void queue_response(const path_data& data, const address& from);
  /// Whether the next owed response goes to another address than `peer`
  /// (and so in a datagram of its own).
  [[nodiscard]] bool response_elsewhere_pending() const noexcept;
  /// Switches to `to` and starts validating it with `data` until `deadline`:
  /// the previous path is kept to fall back to (the first one, when a
  /// validation was already running), and the new path's counters start at 0.
  void begin_validation(const address& to, const path_data& data, time_point deadline);
  /// A PATH_RESPONSE from `from` arrived: true when it completes the
  /// validation in progress.
  bool on_response(const path_data& data, const address& from);
  /// The new address never answered: back to the previous path.
  void abandon_validation();
};

} // namespace tern::core
