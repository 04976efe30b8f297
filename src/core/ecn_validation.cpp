// ECN validation (core/ecn_validation.hpp): an ACK that newly acknowledges
// marked packets without counts, or with counts that grew by less than the
// marked packets it acknowledges, means a router bleaches the marks or the
// peer does not report them.

#include "core/ecn_validation.hpp"

#include <algorithm>

namespace tern::core {

void ecn_validation::on_marked_sent(std::uint64_t packet_number) noexcept {
  if (first_marked_ == recovery::no_packet) first_marked_ = packet_number;
}

bool ecn_validation::was_marked(std::uint64_t packet_number) const noexcept {
  return first_marked_ != recovery::no_packet && packet_number >= first_marked_ && !failed_;
}

void ecn_validation::on_ack(const std::optional<wire::ecn_counts>& counts,
                            std::uint64_t newly_marked) noexcept {
  if (newly_marked > 0 && !failed_) {
    if (!counts) {
      failed_ = true;
    } else {
      const std::uint64_t before = peer_ect0_ + peer_ce_;
      const std::uint64_t now_reported = counts->ect0 + counts->ce;
      if (now_reported < before + newly_marked) failed_ = true;
    }
  }
  // Counts only grow; an ACK that arrives late carries smaller ones.
  if (counts) {
    peer_ect0_ = std::max(peer_ect0_, counts->ect0);
    peer_ce_ = std::max(peer_ce_, counts->ce);
  }
}

} // namespace tern::core
