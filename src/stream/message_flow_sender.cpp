// Message flows, sending side: which flow's fragment goes next.
//
// Strict priority between classes keeps audio ahead of video whatever the
// video's backlog: a class-0 repair goes before class-3 new data. Within a
// class, start-time fair queueing on bytes: each flow carries a virtual
// time that grows by bytes * weight_scale / weight per fragment, the flow
// with the least goes next, and a flow returning from idle starts at the
// class clock (the virtual time of the flow served last) instead of where
// it stopped, so it cannot claim the time it spent idle as a burst. With
// 16 flows at most, each choice scans them all (has_pending per flow is
// what message_sender already costs per fragment).
#include "stream/message_flow_sender.hpp"

#include "stream/stream_errc.hpp"

#include <algorithm>

namespace tern::stream {

namespace {

constexpr std::uint64_t weight_scale = 256;
constexpr std::uint8_t lowest_priority = 7;
constexpr std::uint16_t max_weight = 256;

} // namespace

message_flow_sender::message_flow_sender(message_sender_config cfg) : cfg_{cfg} {}

std::error_code message_flow_sender::configure(std::uint8_t flow, const message_flow_options& options) {
  if (flow >= flows_.size() || options.priority > lowest_priority || options.weight == 0 ||
      options.weight > max_weight ||
      (options.fec == fec_mode::fixed && !(options.fec_fixed_ratio > 0 && options.fec_fixed_ratio <= 1)))
    return std::make_error_code(std::errc::invalid_argument);
  flows_[flow].options = options;
  if (flows_[flow].sender) flows_[flow].sender->set_duplicate_always(options.redundant);
  return {};
}

std::uint64_t message_flow_sender::send(std::span<const std::byte> message, time_point deadline, time_point now,
                                        std::error_code& ec, const message_options& options) {
  ec.clear();
  if (options.flow >= flows_.size()) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return 0;
  }
  // Each flow's sender checks its own bytes; the budget is for all of them.
  if (!message.empty() && message.size() <= cfg_.max_message_size &&
      buffered() + message.size() > cfg_.max_buffered_bytes) {
    ec = stream_errc::buffer_full;
    return 0;
  }
  auto& f = flows_[options.flow];
  if (!f.sender) {
    f.sender = std::make_unique<message_sender>(cfg_);
    f.sender->set_duplicate_always(f.options.redundant);
  }
  return f.sender->send(message, deadline, now, ec, options.depends_on);
}

std::optional<message_fragment> message_flow_sender::next_fragment(std::size_t max_payload, time_point now,
                                                                   duration owd, std::uint64_t packet_tag,
                                                                   std::uint32_t flows) {
  struct candidate {
    std::uint8_t priority;
    std::uint64_t start; // virtual time it would start at
    std::uint8_t flow;
  };
  std::array<candidate, max_message_flows> ready{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < flows_.size(); ++i) {
    auto& f = flows_[i];
    if (!f.sender || (flows & (std::uint32_t{1} << i)) == 0) continue;
    f.sender->on_timeout(now); // gives up expired messages (and dependents) before choosing
    if (!f.sender->has_pending(now, owd)) continue;
    const std::uint8_t p = f.options.priority;
    ready[n++] = {p, std::max(f.virtual_time, class_clock_[p]), static_cast<std::uint8_t>(i)};
  }
  std::sort(ready.begin(), ready.begin() + static_cast<std::ptrdiff_t>(n), [](const candidate& a, const candidate& b) {
    return a.priority != b.priority ? a.priority < b.priority
                                    : (a.start != b.start ? a.start < b.start : a.flow < b.flow);
  });
  for (std::size_t k = 0; k < n; ++k) {
    auto& f = flows_[ready[k].flow];
    auto frag = f.sender->next_fragment(max_payload, now, owd, packet_tag);
    if (!frag) continue; // e.g. only a duplicate that must not share this packet
    class_clock_[ready[k].priority] = ready[k].start;
    f.virtual_time = ready[k].start + frag->data.size() * weight_scale / f.options.weight;
    frag->flow = ready[k].flow;
    frag->unordered = !f.options.ordered;
    return frag;
  }
  return std::nullopt;
}

bool message_flow_sender::has_pending(time_point now, duration owd, std::uint32_t flows) const noexcept {
  for (std::size_t i = 0; i < flows_.size(); ++i)
    if ((flows & (std::uint32_t{1} << i)) != 0 && flows_[i].sender && flows_[i].sender->has_pending(now, owd))
      return true;
  return false;
}

std::uint32_t message_flow_sender::early_flows() const noexcept {
  std::uint32_t mask = 0;
  for (std::size_t i = 0; i < flows_.size(); ++i)
    if (flows_[i].options.allow_early) mask |= std::uint32_t{1} << i;
  return mask;
}

std::uint32_t message_flow_sender::pending_flows(time_point now, duration owd) const noexcept {
  std::uint32_t mask = 0;
  for (std::size_t i = 0; i < flows_.size(); ++i)
    if (flows_[i].sender && flows_[i].sender->has_pending(now, owd)) mask |= std::uint32_t{1} << i;
  return mask;
}

std::optional<std::uint8_t> message_flow_sender::most_urgent_pending(time_point now, duration owd) const noexcept {
  std::optional<std::uint8_t> best;
  for (const flow_state& f : flows_)
    if (f.sender && f.sender->has_pending(now, owd) && (!best || f.options.priority < *best))
      best = f.options.priority;
  return best;
}

void message_flow_sender::on_acked(const fragment_ref& f) {
  if (auto* s = sender_of(f.flow)) s->on_acked(f);
}

void message_flow_sender::on_lost(const fragment_ref& f) {
  if (auto* s = sender_of(f.flow)) s->on_lost(f);
}

void message_flow_sender::on_timeout(time_point now) {
  for (auto& f : flows_)
    if (f.sender) f.sender->on_timeout(now);
}

time_point message_flow_sender::next_timeout() const noexcept {
  time_point t = never;
  for (const auto& f : flows_)
    if (f.sender) t = std::min(t, f.sender->next_timeout());
  return t;
}

std::optional<flow_abandon> message_flow_sender::poll_abandon() noexcept {
  for (std::size_t i = 0; i < flows_.size(); ++i)
    if (flows_[i].sender)
      if (auto n = flows_[i].sender->poll_abandon()) return flow_abandon{static_cast<std::uint8_t>(i), *n};
  return std::nullopt;
}

void message_flow_sender::on_abandon_lost(const flow_abandon& a) {
  if (auto* s = sender_of(a.flow)) s->on_abandon_lost(a.notice);
}

std::size_t message_flow_sender::buffered() const noexcept {
  std::size_t b = 0;
  for (const auto& f : flows_)
    if (f.sender) b += f.sender->buffered();
  return b;
}

std::size_t message_flow_sender::in_progress() const noexcept {
  std::size_t n = 0;
  for (const auto& f : flows_)
    if (f.sender) n += f.sender->in_progress();
  return n;
}

message_sender_stats message_flow_sender::stats() const noexcept {
  message_sender_stats sum;
  for (const auto& f : flows_) {
    if (!f.sender) continue;
    const auto& s = f.sender->stats();
    sum.messages_queued += s.messages_queued;
    sum.messages_acked += s.messages_acked;
    sum.messages_abandoned += s.messages_abandoned;
    sum.messages_dropped_dependency += s.messages_dropped_dependency;
    sum.fragments_sent += s.fragments_sent;
    sum.retransmissions += s.retransmissions;
    sum.duplicates += s.duplicates;
    sum.max_first_fragment_wait = std::max(sum.max_first_fragment_wait, s.max_first_fragment_wait);
    for (std::size_t b = 0; b < sum.first_fragment_waits.size(); ++b)
      sum.first_fragment_waits[b] += s.first_fragment_waits[b];
  }
  return sum;
}

message_sender_stats message_flow_sender::flow_stats(std::uint8_t flow) const noexcept {
  const auto* s = sender_of(flow);
  return s ? s->stats() : message_sender_stats{};
}

} // namespace tern::stream
