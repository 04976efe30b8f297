#pragma once

// ECN validation on the sending side (RFC 9000 §13.4.2, simplified; the
// whole of ECN in the connection is described in connection_ecn.cpp): which
// packets went out ECT(0), the counts the peer reported so far, and whether
// the marks were found not to survive the path - after which nothing is
// marked again on this connection.

#include "recovery/sent_packet_map.hpp"
#include "wire/ack_frame.hpp"

#include <cstdint>
#include <optional>

namespace tern::core {

class ecn_validation {
public:
  /// Packet `packet_number` went out marked ECT(0).
  void on_marked_sent(std::uint64_t packet_number) noexcept;
  /// Whether `packet_number` was sent marked. Every datagram after the first
  /// marked one is marked until validation fails (PATH_RESPONSE-only
  /// datagrams to another address aside, rare enough not to matter here).
  [[nodiscard]] bool was_marked(std::uint64_t packet_number) const noexcept;
  /// Checks an ACK's ECN counts (`counts`, absent for a plain ACK) against
  /// the `newly_marked` packets it newly acknowledges: they must be there
  /// and ECT(0) + CE must have grown by at least as many.
  void on_ack(const std::optional<wire::ecn_counts>& counts, std::uint64_t newly_marked) noexcept;

  [[nodiscard]] bool failed() const noexcept { return failed_; }
  /// The CE count the peer last reported for packets this side sent.
  [[nodiscard]] std::uint64_t peer_ce() const noexcept { return peer_ce_; }

private:
  std::uint64_t first_marked_ = recovery::no_packet;
  std::uint64_t peer_ect0_ = 0;
  std::uint64_t peer_ce_ = 0;
  bool failed_ = false;
};

} // namespace tern::core
