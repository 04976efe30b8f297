// BBR's extra_acked estimate (ack_aggregation.hpp).

#include "congestion/ack_aggregation.hpp"

#include <algorithm>

namespace tern::cc {

void ack_aggregation::on_ack(time_point now, std::uint64_t newly_delivered, std::uint64_t bandwidth,
                             std::uint64_t round, std::uint64_t cap) noexcept {
  if (bandwidth == 0 || newly_delivered == 0) return;
  const auto elapsed = std::max<std::int64_t>(0, (now - epoch_start_).count());
  auto expected = static_cast<std::uint64_t>(static_cast<double>(bandwidth) * static_cast<double>(elapsed) * 1e-9);
  // ACKs at or below the estimated rate: nothing is aggregated, and the next
  // batch is measured from here.
  if (!epoch_started_ || epoch_delivered_ <= expected) {
    epoch_started_ = true;
    epoch_start_ = now;
    epoch_delivered_ = 0;
    expected = 0;
  }
  epoch_delivered_ += newly_delivered;
  const std::uint64_t extra = std::min(epoch_delivered_ - std::min(epoch_delivered_, expected), cap);
  max_extra_.update(extra, round);
}

void ack_aggregation::reset() noexcept {
  max_extra_ = max_filter<std::uint64_t>{max_extra_.window()};
  epoch_started_ = false;
  epoch_delivered_ = 0;
}

} // namespace tern::cc
