#pragma once

#include "stream/message_sender.hpp"

#include <tern/message_flows.hpp>

#include <array>
#include <memory>

namespace tern::stream {

/// A message given up on one flow, for a MESSAGE_ABANDON or FLOW_ABANDON.
struct flow_abandon {
  std::uint8_t flow = 0;
  abandon_notice notice;
  friend constexpr bool operator==(const flow_abandon&, const flow_abandon&) noexcept = default;
};

/// The sending side of a connection's message flows: one message_sender
/// per flow in use (ids count per flow), a byte budget over all of them,
/// and the choice of which flow's fragment goes next.
///
/// Order between flows: strict by priority class (0 first), then within a
/// class by weighted fair queueing on bytes (start-time fair queueing: the
/// flow with the least virtual time, bytes sent / weight, goes next; a flow
/// that was idle restarts at the class's current virtual time, so idling
/// earns no burst). Within a flow, message_sender's order (duplicates,
/// repairs, then new data, oldest message first).
class message_flow_sender {
public:
  /// `cfg.max_buffered_bytes` bounds the messages of every flow together.
  explicit message_flow_sender(message_sender_config cfg = {});

  /// Sets how `flow` is ordered and scheduled; applies to messages sent
  /// afterwards (ordering) and to the next fragment (scheduling). Errors:
  /// std::errc::invalid_argument (flow >= max_message_flows, priority > 7,
  /// weight 0 or above 256, fec fixed with a ratio outside (0, 1]).
  std::error_code configure(std::uint8_t flow, const message_flow_options& options);
  const message_flow_options& options(std::uint8_t flow) const noexcept { return flows_[flow].options; }

  /// message_sender::send on `options.flow`; the id counts within the flow.
  /// Errors: message_sender's, and std::errc::invalid_argument for a flow
  /// beyond max_message_flows.
  std::uint64_t send(std::span<const std::byte> message, time_point deadline, time_point now,
                     std::error_code& ec, const message_options& options = {});

  /// Bit i set for every flow: what `flows` means when not given.
  static constexpr std::uint32_t all_flows = (std::uint32_t{1} << max_message_flows) - 1;

  /// The next fragment by priority class, then weight, among the flows
  /// whose bit is set in `flows`, with `flow` and `unordered` set; as
  /// message_sender::next_fragment otherwise.
  std::optional<message_fragment> next_fragment(std::size_t max_payload, time_point now, duration one_way_delay,
                                                std::uint64_t packet_tag, std::uint32_t flows = all_flows);
  /// Whether one of the flows in `flows` has something to send.
  bool has_pending(time_point now, duration one_way_delay, std::uint32_t flows = all_flows) const noexcept;
  /// Bit i set: flow i was configured with allow_early (0-RTT).
  std::uint32_t early_flows() const noexcept;
  /// Bit i set: flow i has something to send.
  std::uint32_t pending_flows(time_point now, duration one_way_delay) const noexcept;
  /// The most urgent priority class with something to send (none: nothing).
  std::optional<std::uint8_t> most_urgent_pending(time_point now, duration one_way_delay) const noexcept;

  void on_acked(const fragment_ref& f);
  void on_lost(const fragment_ref& f);
  void on_timeout(time_point now);
  time_point next_timeout() const noexcept;

  /// A message given up on some flow, or nothing.
  std::optional<flow_abandon> poll_abandon() noexcept;
  void on_abandon_lost(const flow_abandon& a);

  std::size_t buffered() const noexcept;
  std::size_t in_progress() const noexcept;
  /// Summed over the flows (max_first_fragment_wait: the largest).
  message_sender_stats stats() const noexcept;
  /// One flow's (all zero for a flow never used or out of range).
  message_sender_stats flow_stats(std::uint8_t flow) const noexcept;

private:
  struct flow_state {
    std::unique_ptr<message_sender> sender; // created by the first send
    message_flow_options options;
    std::uint64_t virtual_time = 0;        // bytes * weight_scale / weight
  };
  message_sender* sender_of(std::uint8_t flow) const noexcept {
    return flow < flows_.size() ? flows_[flow].sender.get() : nullptr;
  }

  message_sender_config cfg_;
  std::array<flow_state, max_message_flows> flows_;
  /// Per priority class: the virtual time of the flow served last.
  std::array<std::uint64_t, 8> class_clock_{};
};

} // namespace tern::stream
