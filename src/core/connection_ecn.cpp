// ECN in the connection (RFC 9000 §13.4, RFC 3168).
//
// - Receiving: the driver passes each datagram's codepoint to on_datagram;
//   the ack tracker counts ECT(0), ECT(1) and CE per packet, and once any
//   marked packet arrived every ACK carries the three counts (ACK_ECN, frame
//   0x03, docs/protocol.md §7.3). A CE mark also makes the ACK go at once.
// - Sending (connection_config::ecn): once the handshake is confirmed,
//   datagrams that hold only a 1-RTT packet are marked ECT(0)
//   (transmit::ect0); the driver writes the codepoint.
// - Validation (§13.4.2, simplified): an ACK that newly acknowledges marked
//   packets must carry ECN counts, and ECT(0) + CE must have grown by at least
//   as many packets. Otherwise a router bleaches the marks or the peer does
//   not report them, and marking stops for the rest of the connection.
// - Congestion: the recovery sender hands CE increases to the controller
//   (cc::controller::on_ecn); CUBIC and NewReno treat one like a loss event,
//   BBR does not react to it yet.

#include "core/connection.hpp"

#include <algorithm>

namespace tern::core {

bool connection::ecn_marks_now() const noexcept {
  return config_.ecn && !ecn_failed_ && handshake_confirmed_ && state_ == connection_state::established;
}

void connection::on_ecn_marked_sent(std::uint64_t packet_number) {
  if (ecn_first_marked_ == recovery::no_packet) ecn_first_marked_ = packet_number;
}

bool connection::was_ecn_marked(std::uint64_t packet_number) const noexcept {
  // Every datagram after the first marked one is marked until validation
  // fails (PATH_RESPONSE-only datagrams to another address aside, which
  // are rare enough not to matter here).
  return ecn_first_marked_ != recovery::no_packet && packet_number >= ecn_first_marked_ && !ecn_failed_;
}

void connection::on_ack_ecn(const wire::ack_frame& f, std::uint64_t newly_marked) {
  if (newly_marked > 0 && !ecn_failed_) {
    if (!f.ecn) {
      ecn_failed_ = true;
    } else {
      const std::uint64_t before = peer_ect0_ + peer_ce_;
      const std::uint64_t now_reported = f.ecn->ect0 + f.ecn->ce;
      if (now_reported < before + newly_marked) ecn_failed_ = true;
    }
  }
  // Counts only grow; an ACK that arrives late carries smaller ones.
  if (f.ecn) {
    peer_ect0_ = std::max(peer_ect0_, f.ecn->ect0);
    peer_ce_ = std::max(peer_ce_, f.ecn->ce);
  }
}

} // namespace tern::core
