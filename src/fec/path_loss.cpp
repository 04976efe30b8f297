#include "fec/path_loss.hpp"

#include <algorithm>

namespace tern::fec {

double path_loss::measured_loss_rate() const noexcept {
  if (estimate_.packets_reported() >= early_report_packets || local_sent_ == 0) return estimate_.loss_rate();
  const double early =
      std::max(estimate_.loss_rate(), static_cast<double>(local_lost_) / static_cast<double>(local_sent_));
  return early > 0 ? std::max(early, early_loss_floor) : 0.0;
}

bool path_loss::prior_holds() const noexcept {
  if (measured_loss_rate() > 0) return false;
  const std::uint64_t judged = std::max(local_acked_ + local_lost_, estimate_.packets_reported());
  return judged < prior_evidence;
}

double path_loss::loss_rate(bool deadline_close) const noexcept {
  return prior_applies(deadline_close) ? prior_loss_rate : measured_loss_rate();
}

double path_loss::mean_burst(bool deadline_close) const noexcept {
  return prior_applies(deadline_close) ? prior_mean_burst : measured_mean_burst();
}

} // namespace tern::fec
