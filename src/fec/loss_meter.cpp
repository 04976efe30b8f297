#include "fec/loss_meter.hpp"

namespace tern::fec {

void loss_meter::settle(bool received) noexcept {
  ++seen_;
  if (!received && late_ > 0) {
    --late_;
    received = true;
  }
  if (received) {
    last_settled_missing_ = false;
    return;
  }
  ++missing_;
  if (!last_settled_missing_) ++events_;
  last_settled_missing_ = true;
}

void loss_meter::settle_missing(std::uint64_t count) noexcept {
  seen_ += count;
  const std::uint64_t offset = count < late_ ? count : late_;
  late_ -= offset;
  count -= offset;
  if (count == 0) return;
  missing_ += count;
  if (!last_settled_missing_) ++events_;
  last_settled_missing_ = true;
}

void loss_meter::on_packet(std::uint64_t number) noexcept {
  if (!started_) {
    started_ = true;
    largest_ = number;
    window_ = 1;
    filled_ = 1;
    return;
  }
  if (number <= largest_) {
    const std::uint64_t behind = largest_ - number;
    if (behind < filled_)
      window_ |= std::uint64_t{1} << behind;
    else if (late_ < missing_)
      ++late_; // settled as missing already (duplicates never get here)
    return;
  }
  const std::uint64_t shift = number - largest_;
  // Numbers leaving the window (its oldest end first), then, for a jump
  // beyond the window, the numbers that never entered it.
  const std::uint64_t leaving = filled_ + shift > reorder_window ? filled_ + shift - reorder_window : 0;
  const std::uint64_t from_window = leaving < filled_ ? leaving : filled_;
  for (std::uint64_t i = 0; i < from_window; ++i) settle(((window_ >> (filled_ - 1 - i)) & 1) != 0);
  settle_missing(leaving - from_window);
  window_ = shift >= 64 ? 0 : window_ << shift;
  window_ |= 1;
  filled_ = filled_ + shift > reorder_window ? reorder_window : filled_ + shift;
  largest_ = number;
}

wire::repair_report_frame loss_meter::counts(std::uint64_t packets_recovered) const noexcept {
  return wire::repair_report_frame{seen_, missing_, events_, packets_recovered};
}

} // namespace tern::fec
