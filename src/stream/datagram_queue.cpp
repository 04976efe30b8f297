#include "stream/datagram_queue.hpp"

#include "stream/stream_errc.hpp"

#include <algorithm>
#include <cstring>

namespace tern::stream {

namespace {
// Keep a few buffers for reuse; more would only pin memory after a burst.
constexpr std::size_t max_spare = 32;

std::vector<std::byte> take_buffer(std::vector<std::vector<std::byte>>& spare,
                                   std::span<const std::byte> src) {
  std::vector<std::byte> buf;
  if (!spare.empty()) {
    buf = std::move(spare.back());
    spare.pop_back();
  }
  buf.assign(src.begin(), src.end());
  return buf;
}

void give_back(std::vector<std::vector<std::byte>>& spare, std::vector<std::byte>&& buf) {
  if (spare.size() < max_spare) spare.push_back(std::move(buf));
}
} // namespace

std::error_code datagram_send_queue::push(std::span<const std::byte> payload, time_point deadline) {
  if (payload.size() > cfg_.max_datagram_size) return stream_errc::message_too_large;
  if (queue_.size() >= cfg_.max_count || bytes_ + payload.size() > cfg_.max_bytes)
    return stream_errc::buffer_full;
  queue_.push_back(item{take_buffer(spare_, payload), deadline});
  bytes_ += payload.size();
  return {};
}

std::optional<std::span<const std::byte>> datagram_send_queue::front(time_point now) {
  while (!queue_.empty() && queue_.front().deadline < now) {
    ++expired_;
    pop();
  }
  if (queue_.empty()) return std::nullopt;
  return std::span<const std::byte>{queue_.front().payload};
}

void datagram_send_queue::pop() noexcept {
  if (queue_.empty()) return;
  bytes_ -= queue_.front().payload.size();
  give_back(spare_, std::move(queue_.front().payload));
  queue_.pop_front();
}

bool datagram_recv_queue::push(std::span<const std::byte> payload) {
  if (payload.size() > cfg_.max_bytes) {
    ++dropped_;
    return false;
  }
  bool kept_all = true;
  while (queue_.size() >= cfg_.max_count || bytes_ + payload.size() > cfg_.max_bytes) {
    kept_all = false;
    if (policy_ == overflow_policy::drop_newest) {
      ++dropped_;
      return false;
    }
    drop_front();
    ++dropped_;
  }
  queue_.push_back(take_buffer(spare_, payload));
  bytes_ += payload.size();
  return kept_all;
}

void datagram_recv_queue::drop_front() noexcept {
  bytes_ -= queue_.front().size();
  give_back(spare_, std::move(queue_.front()));
  queue_.pop_front();
}

std::optional<std::size_t> datagram_recv_queue::pop(std::span<std::byte> out) {
  if (queue_.empty()) return std::nullopt;
  const auto& d = queue_.front();
  const std::size_t n = d.size();
  if (const std::size_t copy = std::min(n, out.size()); copy > 0) std::memcpy(out.data(), d.data(), copy);
  drop_front();
  return n;
}

std::optional<std::size_t> datagram_recv_queue::front_size() const noexcept {
  if (queue_.empty()) return std::nullopt;
  return queue_.front().size();
}

} // namespace tern::stream
