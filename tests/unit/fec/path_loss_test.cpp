// fec::path_loss (docs/fec.md, "Before the first reports"): deadline blocks
// are protected at the prior before any evidence, the prior ends after
// prior_evidence clean packets, and measured loss replaces it as soon as
// any shows, locally or in the peer's reports.

#include <doctest/doctest.h>

#include "fec/path_loss.hpp"
#include "fec/repair_policy.hpp"

using namespace tern::fec;

namespace {

/// Repairs the adaptive policy gives a 14-source block with `path`'s view.
std::size_t repairs(const path_loss& path, bool deadline_close) {
  block_outlook b;
  b.sources = 14;
  b.loss_rate = path.loss_rate(deadline_close);
  b.mean_burst = path.mean_burst(deadline_close);
  return repairs_for(b, repair_policy_config{});
}

} // namespace

TEST_CASE("path_loss: before any evidence a block with a close deadline is protected at the prior") {
  path_loss path;
  CHECK(path.prior_holds());
  CHECK(path.loss_rate(true) == path_loss::prior_loss_rate);
  CHECK(path.measured_loss_rate() == 0);
  CHECK(repairs(path, true) >= 2);
  // Far deadlines (or none) survive a retransmission: no prior for them.
  CHECK(path.loss_rate(false) == 0);
  CHECK(repairs(path, false) == 0);
  // Some packets judged clean, not yet enough.
  path.on_local(150, path_loss::prior_evidence - 1, 0);
  CHECK(path.prior_holds());
  CHECK(repairs(path, true) >= 2);
}

TEST_CASE("path_loss: the prior ends after prior_evidence clean packets, from ACKs or from reports") {
  path_loss acked;
  acked.on_local(path_loss::prior_evidence + 50, path_loss::prior_evidence, 0);
  CHECK_FALSE(acked.prior_holds());
  CHECK(acked.loss_rate(true) == 0);
  CHECK(repairs(acked, true) == 0);

  path_loss reported;
  reported.on_local(path_loss::prior_evidence + 50, 10, 0);
  reported.on_report(tern::wire::repair_report_frame{path_loss::prior_evidence, 0, 0, 0});
  CHECK_FALSE(reported.prior_holds());
  CHECK(repairs(reported, true) == 0);
}

TEST_CASE("path_loss: loss shown before the prior ends keeps protection, at the measured rate or the floor") {
  path_loss local;
  local.on_local(100, 80, 1); // one loss: the early floor
  CHECK_FALSE(local.prior_holds());
  CHECK(local.loss_rate(true) == path_loss::early_loss_floor);
  CHECK(local.loss_rate(false) == path_loss::early_loss_floor);
  CHECK(repairs(local, true) >= 2);
  // Clean evidence after that does not bring the prior back, nor drop
  // the measured loss.
  local.on_local(600, 580, 1);
  CHECK(repairs(local, true) >= 2);

  path_loss reported;
  reported.on_local(3000, 2900, 0);
  reported.on_report(tern::wire::repair_report_frame{2000, 60, 58, 0}); // 3%
  CHECK(reported.loss_rate(true) == doctest::Approx(0.03));
  CHECK(repairs(reported, true) >= repairs(path_loss{}, true));

  // Reports past the early phase that show no loss end protection even
  // though the sender's detector once saw a loss.
  path_loss recovered;
  recovered.on_local(3000, 2990, 1);
  recovered.on_report(tern::wire::repair_report_frame{path_loss::early_report_packets, 0, 0, 0});
  CHECK(recovered.loss_rate(true) == 0);
  CHECK(repairs(recovered, true) == 0);
}
