#pragma once

#include "sim/address.hpp"

#include <tern/time.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>

namespace tern::sim {

using node_id = std::uint32_t;
using link_id = std::uint32_t;
inline constexpr std::uint32_t no_id = std::numeric_limits<std::uint32_t>::max();

/// What a trace event records.
enum class trace_kind : std::uint8_t {
  send,          ///< a node handed a datagram to the network
  enqueue,       ///< a packet (or a duplicate) entered a link's queue
  lost,          ///< the link's loss model dropped it
  dropped_limit, ///< the link held `limit` packets already
  duplicated,    ///< the link made a copy (its own fate follows as a separate event)
  exit,          ///< a packet left a link
  deliver,       ///< a node received the datagram
  unroutable,    ///< no node has that address (or no route to it), e.g. after a rebinding
};

/// One step of one packet. Fields that do not apply to a kind are zero.
struct trace_event {
  time_point at{};
  trace_kind kind = trace_kind::send;
  link_id link = no_id;          ///< the link, for link events
  node_id node = no_id;          ///< the sender (send) or receiver (deliver)
  std::uint64_t packet_id = 0;   ///< unique per send; duplicates share it
  address from, to;
  std::uint32_t size = 0;        ///< payload bytes
  bool corrupted = false;        ///< enqueue: a bit was flipped
  bool reordered = false;        ///< enqueue: sent at once by the reorder rule
  bool ce_marked = false;        ///< enqueue/exit: marked CE (ecn)
  bool out_of_order = false;     ///< exit: left after a later-offered packet
  time_point due{};              ///< enqueue: when it is due to leave
  duration queue_delay{0};       ///< exit: time spent behind other packets (rate)
  std::span<const std::byte> payload; ///< deliver: the bytes received (valid during the call)
};

using trace_hook = std::function<void(const trace_event&)>;

/// Folds trace events into a 64-bit FNV-1a digest: every field above plus
/// delivered payloads, so two runs with equal digests produced the same
/// packet trace byte for byte (up to hash collisions).
class trace_digest {
public:
  void operator()(const trace_event& e) noexcept {
    mix(static_cast<std::uint64_t>(e.at.time_since_epoch().count()));
    mix(static_cast<std::uint64_t>(e.kind));
    mix(e.link);
    mix(e.node);
    mix(e.packet_id);
    mix(e.from.key());
    mix(e.to.key());
    mix(e.size);
    mix(static_cast<std::uint64_t>(e.corrupted) | static_cast<std::uint64_t>(e.reordered) << 1 |
        static_cast<std::uint64_t>(e.ce_marked) << 2 | static_cast<std::uint64_t>(e.out_of_order) << 3);
    mix(static_cast<std::uint64_t>(e.due.time_since_epoch().count()));
    mix(static_cast<std::uint64_t>(e.queue_delay.count()));
    for (std::byte b : e.payload) byte(static_cast<std::uint8_t>(b));
    ++events_;
  }
  std::uint64_t value() const noexcept { return h_; }
  std::uint64_t events() const noexcept { return events_; }

private:
  void byte(std::uint8_t b) noexcept {
    h_ ^= b;
    h_ *= 0x100000001b3ULL;
  }
  void mix(std::uint64_t v) noexcept {
    for (int i = 0; i < 8; ++i, v >>= 8) byte(static_cast<std::uint8_t>(v));
  }
  std::uint64_t h_ = 0xcbf29ce484222325ULL;
  std::uint64_t events_ = 0;
};

} // namespace tern::sim
