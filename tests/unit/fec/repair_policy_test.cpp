#include <doctest/doctest.h>

#include "fec/repair_policy.hpp"

using namespace tern::fec;

TEST_CASE("repair_policy: no loss measured, no repair: a clean path stays clean") {
  const repair_policy_config adaptive;
  CHECK(repairs_for({14, 0.0, 1.0, true}, adaptive) == 0);
  CHECK(repairs_for({14, 0.00001, 1.0, true}, adaptive) == 0);
}

TEST_CASE("repair_policy: more repair for more loss, longer bursts and a deadline retransmission cannot meet") {
  const repair_policy_config adaptive;
  const std::size_t at_1 = repairs_for({14, 0.01, 1.0, true}, adaptive);
  const std::size_t at_2 = repairs_for({14, 0.02, 1.0, true}, adaptive);
  const std::size_t at_5 = repairs_for({14, 0.05, 1.0, true}, adaptive);
  CHECK(at_1 >= 1);
  CHECK(at_1 <= at_2);
  CHECK(at_2 < at_5);
  // 2% random loss over 14 packets: 3 repairs keep a block unrecoverable
  // about 3 times in 10 000.
  CHECK(at_2 == 3);
  CHECK(unrecoverable_probability(14, 3, 0.02, 1.0) < target_with_retransmission);
  CHECK(unrecoverable_probability(14, 2, 0.02, 1.0) > target_with_retransmission);
  CHECK(repairs_for({14, 0.02, 3.0, true}, adaptive) > at_2);
  CHECK(repairs_for({14, 0.02, 1.0, false}, adaptive) > at_2);
}

TEST_CASE("repair_policy: adaptive repair never exceeds max_ratio, fixed mode is its ratio, off is none") {
  repair_policy_config adaptive;
  adaptive.max_ratio = 0.25;
  CHECK(repairs_for({8, 0.3, 5.0, false}, adaptive) == 2);
  CHECK(repairs_for({32, 0.5, 5.0, false}, repair_policy_config{}) == 16); // the wire bound
  repair_policy_config fixed{repair_mode::fixed, 0.25, 0.5};
  CHECK(repairs_for({14, 0.0, 1.0, true}, fixed) == 4);
  CHECK(repairs_for({1, 0.0, 1.0, true}, fixed) == 1);
  repair_policy_config off{repair_mode::off, 0.25, 0.5};
  CHECK(repairs_for({14, 0.2, 1.0, true}, off) == 0);
}

TEST_CASE("repair_policy: the Gilbert model matches independent loss at burst length 1 and worsens with bursts") {
  // Independent 10% loss, 4 packets, more than 1 lost: 1 - 0.9^4 - 4*0.1*0.9^3.
  const double independent = 1 - 0.6561 - 4 * 0.1 * 0.729;
  // Burst length 1 in the model makes a loss never follow a loss
  // immediately, so it is close to (not exactly) independent loss.
  CHECK(unrecoverable_probability(3, 1, 0.1, 1.0) == doctest::Approx(independent).epsilon(0.35));
  CHECK(unrecoverable_probability(3, 1, 0.1, 4.0) > unrecoverable_probability(3, 1, 0.1, 1.0));
  CHECK(unrecoverable_probability(0, 0, 0.1, 1.0) == 0);
}

TEST_CASE("repair_policy: blocks span messages and interleave their repair only where losses come in bursts") {
  CHECK_FALSE(layout_for(0.0, 5.0).span_messages);             // no loss: nothing to lay out
  CHECK_FALSE(layout_for(0.02, 1.02).span_messages);           // random loss
  CHECK_FALSE(layout_for(0.02, 1.02).interleave_repairs);
  CHECK(layout_for(0.048, 5.0).span_messages);                 // gemodel 1% 20%
  CHECK(layout_for(0.048, 5.0).interleave_repairs);
  CHECK(layout_for(0.01, bursty_mean_burst).span_messages);
}
