#pragma once

#include "stun/address.hpp"
#include "stun/binding_transaction.hpp"
#include "stun/message.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <system_error>

namespace tern::stun {

struct responder_options {
  /// SOFTWARE in every response; empty means none.
  std::string software = "tern";
  /// Add FINGERPRINT to responses (not to RFC 3489 clients, which predate it).
  bool fingerprint = true;
  /// Answer Binding requests without the magic cookie (RFC 3489 clients,
  /// RFC 8489 §12) with MAPPED-ADDRESS. Right for a stand-alone server
  /// (RFC 8489 §13 recommends it), wrong on a socket shared with tern
  /// traffic, where the cookie is part of telling STUN apart.
  bool accept_rfc3489 = false;
  /// When set, requests must carry this USERNAME and a valid
  /// MESSAGE-INTEGRITY(-SHA256) (RFC 8489 §9.1.3): 400 without them, 401 for
  /// a wrong username or integrity. Responses are then integrity-protected.
  std::optional<short_term_credentials> credentials;
};

/// What the responder made of a datagram.
struct responder_result {
  enum class action {
    reply,   ///< send `reply` back to the source address
    ignore,  ///< valid STUN, but nothing to answer (an indication, a response)
    discard, ///< not a valid Binding request; dropped silently (see `reason`)
  };
  action what = action::discard;
  std::span<const std::byte> reply;
  /// For reply: 0 for a success response, else the ERROR-CODE sent (400,
  /// 401, 420). For discard: why.
  int error_code = 0;
  std::error_code reason;
};

/// Answers STUN Binding requests, sans-IO (RFC 8489 §6.3, §7.3.1).
///
/// - Header-level failures (not STUN, bad cookie, bad length, unsupported
///   method, bad FINGERPRINT) are dropped silently: RFC 8489 §6.3 says so,
///   and answering garbage would make the responder a reflector.
/// - A request whose header is valid but whose attributes are malformed is
///   answered 400 (Bad Request).
/// - Credential failures get 400 or 401 (§9.1.3).
/// - Unknown comprehension-required attributes get 420 with
///   UNKNOWN-ATTRIBUTES (§6.3.1). That includes CHANGE-REQUEST: this
///   responder has a single address, and RFC 5780 §6.1 requires 420 from a
///   server without an alternate address.
/// - Otherwise: a success response with XOR-MAPPED-ADDRESS of the source
///   (MAPPED-ADDRESS for RFC 3489 clients), SOFTWARE and FINGERPRINT.
///
/// Stateless: a retransmitted request gets an identical answer, which is
/// what §6.3.1 asks of a server that keeps no transaction state.
class binding_responder {
public:
  explicit binding_responder(responder_options options = {});

  /// Handles one datagram received from `source`. A reply is written into
  /// `out` (548 bytes always suffice without credentials or a long
  /// SOFTWARE; 1500 always do) and returned as a view of it.
  responder_result handle(std::span<const std::byte> datagram, const transport_address& source,
                          std::span<std::byte> out) const noexcept;

  const responder_options& options() const noexcept { return options_; }

private:
  responder_result error_reply(const message& request, int code, std::string_view reason,
                               std::span<const std::uint16_t> unknown, bool authenticated,
                               std::span<std::byte> out) const noexcept;

  responder_options options_;
};

} // namespace tern::stun
