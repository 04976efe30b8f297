// Message flows, receiving side. Each flow is an independent
// message_receiver (ids, order, drops); what they share is the memory
// budget, so the bounds of message_receiver_config hold for the connection,
// not per flow. A flow id at or beyond max_message_flows is a protocol
// violation: the number of flows a peer can make this side track is fixed.
#include "stream/message_flow_receiver.hpp"

#include "stream/stream_errc.hpp"

#include <algorithm>

namespace tern::stream {

message_flow_receiver::message_flow_receiver(message_receiver_config cfg)
    : cfg_{cfg}, budget_{std::make_unique<message_receive_budget>()} {}

message_receiver* message_flow_receiver::receiver(std::uint64_t flow) {
  if (flow >= flows_.size()) return nullptr;
  auto& r = flows_[static_cast<std::size_t>(flow)];
  if (!r) r = std::make_unique<message_receiver>(cfg_, budget_.get());
  return r.get();
}

std::error_code message_flow_receiver::on_fragment(std::uint64_t flow, std::uint64_t id, std::uint64_t length,
                                                   std::uint64_t offset, std::span<const std::byte> data,
                                                   duration ttl, time_point now, bool unordered) {
  auto* r = receiver(flow);
  if (r == nullptr) return stream_errc::protocol_violation;
  return r->on_fragment(id, length, offset, data, ttl, now, unordered);
}

std::error_code message_flow_receiver::on_abandon(std::uint64_t flow, std::uint64_t id, drop_reason why) {
  auto* r = receiver(flow);
  if (r == nullptr) return stream_errc::protocol_violation;
  r->on_abandon(id, why);
  return {};
}

std::optional<message_event> message_flow_receiver::poll(time_point now) {
  for (std::size_t k = 0; k < flows_.size(); ++k) {
    const std::size_t i = (next_turn_ + k) % flows_.size();
    if (!flows_[i]) continue;
    if (auto ev = flows_[i]->poll(now)) {
      ev->flow = static_cast<std::uint8_t>(i);
      next_turn_ = (i + 1) % flows_.size();
      return ev;
    }
  }
  return std::nullopt;
}

time_point message_flow_receiver::next_timeout() const noexcept {
  time_point t = never;
  for (const auto& r : flows_)
    if (r) t = std::min(t, r->next_timeout());
  return t;
}

std::size_t message_flow_receiver::entries_held() const noexcept {
  std::size_t n = 0;
  for (const auto& r : flows_) n += r ? r->entries_held() : 0;
  return n;
}

std::size_t message_flow_receiver::flows_in_use() const noexcept {
  std::size_t n = 0;
  for (const auto& r : flows_) n += r ? 1 : 0;
  return n;
}

message_receiver_stats message_flow_receiver::stats() const noexcept {
  message_receiver_stats sum;
  for (const auto& r : flows_) {
    if (!r) continue;
    const auto& s = r->stats();
    sum.delivered += s.delivered;
    sum.dropped += s.dropped;
    sum.late_fragments += s.late_fragments;
    sum.duplicate_fragments += s.duplicate_fragments;
  }
  return sum;
}

} // namespace tern::stream
