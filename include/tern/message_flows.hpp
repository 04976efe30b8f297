#pragma once

// Message flows: how deadline messages are grouped, ordered, related and
// prioritised (docs/streams.md, "Message flows"). Plain types shared by the
// Asio API (tern::connection) and the bring-your-own-I/O API
// (tern::sans_io).

#include <tern/fec_mode.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tern {

/// Flows per connection, ids 0 to 15. Flow 0 exists without configuration
/// (ordered, priority 3, weight 16): what send_message without options uses.
inline constexpr std::size_t max_message_flows = 16;

/// How one flow delivers and competes for the path (the sending side
/// decides; the receiver learns ordering from each message).
struct message_flow_options {
  /// Ordered: the receiver hands this flow's messages out in id order
  /// (a whole message waits for earlier ones still being repaired).
  /// Unordered: each message as soon as it is whole.
  bool ordered = true;
  /// Priority class, 0 (sent first) to 7. A flow's data, new or
  /// retransmitted, goes before any data of a flow in a higher-numbered
  /// class, and all message flows before stream data.
  std::uint8_t priority = 3;
  /// Share of the path within the class, 1 to 256: flows of one class with
  /// data waiting get bytes in proportion to their weights.
  std::uint16_t weight = 16;
  /// Send each fragment twice, in two packets: a single lost packet then
  /// costs no round trip (loss 2% per packet becomes 0.04% per fragment),
  /// for twice the bytes. Meant for a low-rate flow whose frames are useless
  /// late, such as audio.
  bool redundant = false;
  /// Forward error correction of this flow's messages (docs/fec.md,
  /// "Per flow"): none follows the connection's config::fec; off never
  /// protects them (their packets join no block, so they get no repair);
  /// adaptive or fixed as config::fec describes, whatever the connection's
  /// default. A packet that also carries a protected flow's fragment is
  /// protected with it.
  std::optional<fec_mode> fec{};
  /// Repair packets per source packet when fec is fixed: 0 < ratio <= 1.
  double fec_fixed_ratio = 0.25;
  /// Early data (docs/api.md, "Early messages"): on a connection made with
  /// connect_options::early_data and a ticket, this flow's messages sent
  /// before the handshake completes go in the first flight (0-RTT), one
  /// one-way delay after connect; other flows wait for the handshake. An
  /// attacker who captured the flight can replay it to another server
  /// sharing the ticket key, so a message of an early flow may reach an
  /// application twice, on two connections: allow early only what is safe
  /// to act on twice (media frames, not a payment). If the server rejects
  /// the early data, the messages go again under 1-RTT keys while their
  /// deadline allows, each byte once. Off by default; ignored by a server.
  bool allow_early = false;
};

/// Per-message choices for send_message / async_send_message.
struct message_options {
  /// The flow, 0 to max_message_flows - 1. Message ids count per flow.
  std::uint8_t flow = 0;
  /// An earlier message of the same flow this one cannot be used without
  /// (a P-frame's reference frame). If that message is given up (deadline,
  /// or its own dependency), this one is given up with it and never sent
  /// again; the receiver gets a drop notice with reason dependency. At
  /// most 4096 ids back.
  std::optional<std::uint64_t> depends_on = std::nullopt;
};

/// Why a message was not delivered (received_message::reason).
enum class message_drop_reason : std::uint8_t {
  none,       ///< delivered
  abandoned,  ///< the sender gave up: its deadline passed
  expired,    ///< its deadline passed on the way (ttl elapsed at the receiver)
  no_memory,  ///< the receiver's budget or event queue was exhausted
  overrun,    ///< the sender moved too far ahead for the receiver to wait
  dependency, ///< a message it depends on was given up, so it was never sent
};
inline constexpr std::size_t message_drop_reason_count = 6;

} // namespace tern
