#pragma once

#include "sim/distribution.hpp"
#include "sim/netem_spec.hpp"

#include <tern/random.hpp>

#include <cstdint>

namespace tern::sim {

/// netem's loss generators (sch_netem.c loss_event): random with
/// correlation, the 4-state Markov model, and Gilbert-Elliott. One call per
/// packet offered to the link.
class loss_model {
public:
  loss_model() = default;
  /// Builds the generator for `spec` in its initial state (gap period / good
  /// state); draws the correlation seed from rng.
  loss_model(const loss_model_spec& spec, random_source& rng) noexcept;

  /// True when the next packet is lost.
  bool lost(random_source& rng) noexcept;

  /// 4-state model states, numbered as tc-netem(8) numbers them.
  enum class state : std::uint8_t { tx_gap = 1, tx_burst = 2, lost_burst = 3, lost_gap = 4 };

private:
  enum class kind : std::uint8_t { none, random, four_state, gilbert_elliott };
  bool four_state_lost(random_source& rng) noexcept;
  bool gilbert_elliott_lost(random_source& rng) noexcept;

  kind kind_ = kind::none;
  std::uint32_t loss_ = 0;
  correlated_random corr_;
  // 4-state: a1 = p13, a2 = p31, a3 = p32, a4 = p14, a5 = p23 (netem's names).
  // Gilbert-Elliott: a1 = p, a2 = r, a3 = h (1 - loss_bad), a4 = loss_good.
  std::uint64_t a1_ = 0, a2_ = 0, a3_ = 0, a4_ = 0, a5_ = 0;
  state state_ = state::tx_gap;
  bool bad_ = false;
};

} // namespace tern::sim
