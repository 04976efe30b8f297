// Session tickets and 0-RTT at the connection (docs/crypto.md,
// "Resumption"; docs/protocol.md §4.9).
//
// Tickets: a client whose TLS context keeps them holds its TLS session past
// confirmation until the server's NewSessionTicket arrived in CRYPTO frames,
// then frees it like any other (connection.cpp, release_handshake_state).
//
// 0-RTT: a client that offered early data seals the data of the streams and
// the message fragments of the flows the application allowed early
// (stream::allow_early, message_flow_options::allow_early; the rest waits
// for 1-RTT keys, since early data can be replayed) in 0-RTT packets (keys from the
// TLS early exporter) from its first datagram on, within the protocol's initial limits (§9.2), which a server cannot lower,
// so nothing remembered from the earlier connection can be wrong. A server
// that accepted the early data opens them and, since its own flight is
// written, derives its 1-RTT keys at once and may answer in 1-RTT packets
// before the handshake completes (0.5-RTT). If the server rejected the
// early data, the client queues the frames of every 0-RTT packet again as
// soon as its handshake completes: they go under 1-RTT keys, each byte once
// (the server never opened the 0-RTT packets); a message whose deadline
// passed meanwhile is given up with the usual notice instead.

#include "core/connection.hpp"
#include "core/message_one_way_delay.hpp"

#include "wire/transport_error.hpp"

namespace tern::core {

bool connection::awaiting_ticket() const noexcept {
  const auto& tls = handshake_.tls;
  return tls && is_client() && tls->context_config().resumption && tls->tickets_received() == 0 &&
         tls->state() == crypto::handshake_state::complete;
}

const std::vector<std::byte>& connection::session_ticket() const noexcept {
  return handshake_.tls && handshake_.tls->tickets_received() > 0 ? handshake_.tls->ticket() : handshake_.ticket;
}

bool connection::early_data_pending(time_point now) noexcept {
  if (!is_client() || !keys_.has_zero_rtt_keys() || handshake_.complete ||
      early_.sent.size() >= early_data_state::max_packets)
    return false;
  if (early_.datagrams && datagrams_out_.size() > 0) return true;
  const std::uint32_t early_flows = messages_out_.early_flows();
  if (early_flows != 0 && messages_out_.has_pending(now, message_one_way_delay(sender_), early_flows)) return true;
  return streams_.next_early_to_send() != nullptr && conn_send_credit_.available() > 0;
}

bool connection::sends_before_handshake() const noexcept {
  if (handshake_.complete) return false;
  return is_client() ? keys_.has_zero_rtt_keys() : early_.accepted;
}

bool connection::can_send_one_rtt() const noexcept {
  return keys_.has_one_rtt_keys() && (handshake_.complete || early_.accepted);
}

bool connection::early_data_accepted() const noexcept {
  if (!is_client()) return early_.accepted;
  return handshake_.complete && !early_.rejected && !early_.sent.empty();
}

void connection::on_early_keys(time_point now) {
  auto& tls = *handshake_.tls;
  if (keys_.has_zero_rtt_keys() || early_.accepted) return;
  if (is_client()) {
    if (tls.early_data() == crypto::early_data_status::offered) (void)keys_.install_zero_rtt(tls);
    return;
  }
  if (tls.early_data() != crypto::early_data_status::accepted) return;
  if (keys_.install_zero_rtt(tls)) return;
  if (keys_.install_one_rtt(tls, config_.key_update)) {
    close_transport(wire::transport_error::internal_error, 0, "1-RTT key derivation failed", now);
    return;
  }
  keys_.one_rtt().set_old_key_retention(3 * pto());
  early_.accepted = true;
}

void connection::settle_early_data() {
  if (!is_client() || !keys_.has_zero_rtt_keys()) return;
  keys_.discard_zero_rtt();
  if (handshake_.tls->early_data() == crypto::early_data_status::accepted) return;
  // The server opened none of them: their frames go again, under 1-RTT.
  // The packets were dropped unopened by the server, not lost on the path:
  // recovery forgets them (they leave bytes in flight) without a congestion
  // event, so the window, ssthresh and the loss counters are untouched
  // (RFC 9002 §6.4), and they can never be declared lost later.
  early_.rejected = !early_.sent.empty();
  for (const auto& packet : early_.sent) {
    (void)sender_.discard(packet.packet_number);
    on_lost_frames(packet.cookie);
  }
  early_.sent.clear();
}

} // namespace tern::core
