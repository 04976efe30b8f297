#include "fec/loss_estimate.hpp"

namespace tern::fec {

void loss_estimate::on_report(const wire::repair_report_frame& r) noexcept {
  if (r.packets_seen < last_.packets_seen || r.packets_missing < last_.packets_missing ||
      r.loss_events < last_.loss_events || r.packets_recovered < last_.packets_recovered)
    return;
  seen_ += static_cast<double>(r.packets_seen - last_.packets_seen);
  missing_ += static_cast<double>(r.packets_missing - last_.packets_missing);
  events_ += static_cast<double>(r.loss_events - last_.loss_events);
  last_ = r;
  // Scale the sums back to the window: an average over about the last
  // `window` packets that forgets old losses gradually.
  if (seen_ > window) {
    const double keep = window / seen_;
    seen_ *= keep;
    missing_ *= keep;
    events_ *= keep;
  }
}

} // namespace tern::fec
