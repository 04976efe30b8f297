// The client's side of a Retry (docs/protocol.md §4.5, §9.4): accept at
// most one, only before any other server packet, only with the right
// integrity tag; then send the Initial again to the server's new
// connection ID with the token. Anything else is dropped and counted.

#include "core/connection.hpp"
#include "core/retry.hpp"

namespace tern::core {

void connection::on_retry(std::span<const std::byte> packet, const wire::decoded_header& layout) {
  const auto& h = layout.header;
  const bool acceptable = is_client() && !handshake_.heard_from_peer && !handshake_.retry_received &&
                          (std::to_integer<std::uint8_t>(packet[0]) & wire::long_reserved_mask) == 0 &&
                          h.dcid == local_initial_cid_ && !h.token.empty() && h.scid != original_dcid_ &&
                          h.scid.size() >= 4 && retry_integrity_valid(original_dcid_, packet);
  if (!acceptable) {
    ++counters_.packets_dropped;
    return;
  }
  handshake_.retry_received = true;
  tokens_.initial.assign(h.token.begin(), h.token.end());
  ids_.set_initial_peer(h.scid);
  // Everything sent so far went unanswered by design: send the crypto data
  // again now. Handshake keys stay those of the original DCID, which the
  // server recovers from the token.
  requeue_crypto_in_flight();
  ++counters_.packets_received;
}

} // namespace tern::core
