#pragma once

#include "sim/address.hpp"

#include <tern/time.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <span>

namespace tern::sim {

/// A datagram a node wants to send: `size` bytes at the start of the buffer
/// poll_transmit was given, addressed to `to`.
struct transmit {
  address to;
  std::size_t size = 0;
};

/// A simulated endpoint. The simulator drives it exactly as a real driver
/// drives a sans-IO connection: it feeds received datagrams, drains
/// poll_transmit after every call into the node, and calls on_timeout when
/// next_timeout() arrives. All calls happen on the simulator's thread with
/// the virtual `now`; a node must not read a clock.
class node {
public:
  virtual ~node() = default;

  /// A datagram arrived from `from` (the sender's address as this node sees
  /// it, which NAT rebinding can change). `bytes` is valid during the call.
  virtual void on_datagram(std::span<const std::byte> bytes, address from, time_point now) = 0;

  /// Writes the next datagram to send into `out` (simulator::max_datagram_size
  /// bytes) and says where it goes, or returns nothing when the node has
  /// nothing to send now. Called repeatedly until it returns nothing.
  virtual std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point now) = 0;

  /// The earliest time the node wants on_timeout; tern::never when idle.
  virtual time_point next_timeout() const = 0;

  /// Called at (or, when the simulator was busy, just after) next_timeout().
  virtual void on_timeout(time_point now) = 0;
};

/// A node whose behaviour is given by functions, for tests and for wrapping
/// an object with its own interface (a tern connection, say) without a
/// class per case. Unset functions do nothing / send nothing / never time out.
class function_node final : public node {
public:
  std::function<void(std::span<const std::byte>, address, time_point)> datagram;
  std::function<std::optional<transmit>(std::span<std::byte>, time_point)> transmit_fn;
  std::function<time_point()> timeout;
  std::function<void(time_point)> timer;

  void on_datagram(std::span<const std::byte> bytes, address from, time_point now) override {
    if (datagram) datagram(bytes, from, now);
  }
  std::optional<transmit> poll_transmit(std::span<std::byte> out, time_point now) override {
    return transmit_fn ? transmit_fn(out, now) : std::nullopt;
  }
  time_point next_timeout() const override { return timeout ? timeout() : never; }
  void on_timeout(time_point now) override {
    if (timer) timer(now);
  }
};

} // namespace tern::sim
