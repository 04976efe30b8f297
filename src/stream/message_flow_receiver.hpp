#pragma once

#include "stream/message_receiver.hpp"

#include <tern/message_flows.hpp>

#include <array>
#include <memory>

namespace tern::stream {

/// The receiving side of a connection's message flows: one
/// message_receiver per flow the peer used (at most max_message_flows,
/// created by the flow's first frame), all drawing on one budget of bytes
/// and fragment ranges, so a peer spreading messages over every flow gets
/// no more memory than with one. Per flow: the window of
/// max_pending_messages ids and max_queued_events events.
class message_flow_receiver {
public:
  explicit message_flow_receiver(message_receiver_config cfg = {});

  /// message_receiver::on_fragment on `flow`. Errors (close the
  /// connection): protocol_violation for a flow >= max_message_flows, and
  /// message_receiver's.
  std::error_code on_fragment(std::uint64_t flow, std::uint64_t message_id, std::uint64_t message_length,
                              std::uint64_t offset, std::span<const std::byte> data, duration ttl, time_point now,
                              bool unordered);

  /// The sender gave up `message_id` of `flow`. Errors: protocol_violation
  /// for a flow >= max_message_flows.
  std::error_code on_abandon(std::uint64_t flow, std::uint64_t message_id, drop_reason why);

  /// The next event of any flow (taking turns between flows), with `flow` set.
  std::optional<message_event> poll(time_point now);
  time_point next_timeout() const noexcept;

  /// Bytes held over every flow (<= max_buffered_bytes).
  std::size_t buffered() const noexcept { return budget_->bytes; }
  /// Fragment ranges held over every flow (<= max_held_ranges).
  std::size_t ranges_held() const noexcept { return budget_->ranges; }
  /// Message ids held over every flow (message_receiver::entries_held).
  std::size_t entries_held() const noexcept;
  /// Flows the peer has used.
  std::size_t flows_in_use() const noexcept;
  /// Summed over the flows.
  message_receiver_stats stats() const noexcept;

private:
  message_receiver* receiver(std::uint64_t flow);

  message_receiver_config cfg_;
  // Behind a pointer: the receivers keep its address, and this object may move.
  std::unique_ptr<message_receive_budget> budget_;
  std::array<std::unique_ptr<message_receiver>, max_message_flows> flows_;
  std::size_t next_turn_ = 0; // the flow poll() looks at first
};

} // namespace tern::stream
