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
//   not report them, and marking stops for the rest of the connection
//   (core/ecn_validation.hpp).
// - Congestion: the recovery sender hands CE increases to the controller
//   (cc::controller::on_ecn); CUBIC and NewReno treat one like a loss event,
//   BBR does not react to it yet.

#include "core/connection.hpp"

namespace tern::core {

bool connection::ecn_marks_now() const noexcept {
  return config_.ecn && !ecn_.failed() && handshake_.confirmed && state_ == connection_state::established;
}

} // namespace tern::core
