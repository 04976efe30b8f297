// netem's loss generators, following Linux net/sched/sch_netem.c.
//
// Random: lost when `loss >= get_crandom()`, with loss 0 never losing.
//
// 4-state Markov model (loss_4state; Salsano et al., "Definition of a general
// and intuitive loss model for packet networks and its implementation in the
// Netem module in the Linux kernel", 2012). One 32-bit draw per packet picks
// the next state, and the packet is lost when that state is a loss state:
//   1 (tx in gap):    -> 4 with p14, -> 3 with p13, else stay;
//   2 (tx in burst):  -> 3 with p23, else stay;
//   3 (lost in burst):-> 2 with p32, -> 1 with p31, else stay (and lose);
//   4 (lost in gap):  -> 1.
// netem compares the draw with strict inequalities, so a draw exactly on a
// boundary keeps the state without losing; tern keeps that too.
//
// Gilbert-Elliott (loss_gilb_ell): per packet, first a draw against the
// transition probability of the current state (good->bad p, bad->good r),
// then a second draw decides loss with the probability of the state the
// packet started in: good loses with 1-k, bad with 1-h. tc passes the user's
// "1-h" to the kernel as h = 1 - (1-h), and the kernel loses in the bad state
// when the draw exceeds h; tern stores the user's numbers and derives h the
// same way.

#include "sim/loss_model.hpp"

#include <variant>

namespace tern::sim {

loss_model::loss_model(const loss_model_spec& spec, random_source& rng) noexcept {
  if (const auto* r = std::get_if<random_loss>(&spec)) {
    kind_ = kind::random;
    loss_ = probability_threshold(r->p.percent);
    corr_ = correlated_random{r->p.correlation, rng};
  } else if (const auto* m = std::get_if<state_loss>(&spec)) {
    kind_ = kind::four_state;
    a1_ = probability_threshold(m->p13);
    a2_ = probability_threshold(m->p31);
    a3_ = probability_threshold(m->p32);
    a4_ = probability_threshold(m->p14);
    a5_ = probability_threshold(m->p23);
    state_ = state::tx_gap;
  } else if (const auto* g = std::get_if<gemodel_loss>(&spec)) {
    kind_ = kind::gilbert_elliott;
    a1_ = probability_threshold(g->p);
    a2_ = probability_threshold(g->r);
    a3_ = 4294967295ULL - probability_threshold(g->loss_bad);
    a4_ = probability_threshold(g->loss_good);
    bad_ = false;
  }
}

bool loss_model::lost(random_source& rng) noexcept {
  switch (kind_) {
  case kind::none: return false;
  case kind::random: return loss_ != 0 && loss_ >= corr_.next(rng);
  case kind::four_state: return four_state_lost(rng);
  case kind::gilbert_elliott: return gilbert_elliott_lost(rng);
  }
  return false;
}

bool loss_model::four_state_lost(random_source& rng) noexcept {
  const std::uint64_t rnd = rng.next_u32();
  switch (state_) {
  case state::tx_gap:
    if (rnd < a4_) {
      state_ = state::lost_gap;
      return true;
    }
    if (a4_ < rnd && rnd < a1_ + a4_) {
      state_ = state::lost_burst;
      return true;
    }
    return false;
  case state::tx_burst:
    if (rnd < a5_) {
      state_ = state::lost_burst;
      return true;
    }
    return false;
  case state::lost_burst:
    if (rnd < a3_) {
      state_ = state::tx_burst;
      return false;
    }
    if (a3_ < rnd && rnd < a2_ + a3_) {
      state_ = state::tx_gap;
      return false;
    }
    if (a2_ + a3_ < rnd) return true;
    return false;
  case state::lost_gap: state_ = state::tx_gap; return false;
  }
  return false;
}

bool loss_model::gilbert_elliott_lost(random_source& rng) noexcept {
  if (!bad_) {
    if (rng.next_u32() < a1_) bad_ = true;
    return rng.next_u32() < a4_;
  }
  if (rng.next_u32() < a2_) bad_ = false;
  return rng.next_u32() > a3_;
}

} // namespace tern::sim
