#pragma once

#include "stun/address.hpp"
#include "stun/message.hpp"

#include <tern/time.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace tern::stun {

/// Short-term credentials (RFC 8489 §9.1): a username and the key, which is
/// the password after OpaqueString preparation (RFC 8265); for ASCII
/// passwords that is the password's bytes.
struct short_term_credentials {
  std::string username;
  std::vector<std::byte> key;
  /// Protect with MESSAGE-INTEGRITY-SHA256 instead of MESSAGE-INTEGRITY.
  bool sha256 = false;
};

struct binding_options {
  /// Initial retransmission timeout; RFC 8489 §6.2.1 recommends 500 ms.
  duration initial_rto = std::chrono::milliseconds{500};
  /// Rc: requests sent in total before giving up (RFC default 7, minimum 1).
  unsigned max_requests = 7;
  /// Rm: after the last request, wait Rm * initial RTO (RFC default 16).
  unsigned last_wait_factor = 16;
  /// Add FINGERPRINT to the request (needed when STUN shares the socket).
  bool fingerprint = true;
  /// Value of the SOFTWARE attribute; empty means none.
  std::string software;
  /// When set, the request carries USERNAME and MESSAGE-INTEGRITY(-SHA256),
  /// and responses without a valid integrity check are ignored.
  std::optional<short_term_credentials> credentials;
};

/// One STUN Binding client transaction over UDP (RFC 8489 §6.2.1, §7.3),
/// sans-IO. The driver sends what poll_transmit() returns, feeds received
/// STUN datagrams to on_response(), and calls on_timeout() when
/// next_timeout() passes. With the defaults and an RTO of 500 ms, requests
/// go out at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and the transaction
/// times out at 39.5 s.
///
/// Checking that a response came from the server's address is the
/// driver's business; the 96-bit random transaction ID is what the
/// transaction relies on.
class binding_transaction {
public:
  enum class state { in_progress, succeeded, failed };

  /// Builds the request. `id` must be fresh and random
  /// (random_transaction_id()). If the options cannot be encoded (a
  /// username or software string too long) the transaction starts failed
  /// with value_too_long.
  binding_transaction(const transaction_id& id, const binding_options& options = {});

  /// The request to send now, or an empty span if nothing is due. The first
  /// call sends the first request; after that a retransmission is due only
  /// once on_timeout() has reached the deadline. Every retransmission is
  /// the same datagram (RFC 8489 §6.2.1).
  std::span<const std::byte> poll_transmit(time_point now) noexcept;

  /// When on_timeout() must next be called; tern::never once finished or
  /// before the first transmission.
  time_point next_timeout() const noexcept { return deadline_; }

  /// Advances the schedule: at the deadline, either a retransmission
  /// becomes due (see poll_transmit) or, after the last request's final
  /// wait, the transaction fails with stun_errc::timeout.
  void on_timeout(time_point now) noexcept;

  /// Offers a received datagram. Returns false if it is not a Binding
  /// response to this transaction (the driver may hand it to someone else).
  /// Returns true if it was, whether or not it was usable: responses that
  /// fail validation or the integrity check are dropped as if never
  /// received (RFC 8489 §6.3, §9.1.4) and retransmission continues.
  bool on_response(std::span<const std::byte> datagram, time_point now) noexcept;

  state current_state() const noexcept { return state_; }
  bool done() const noexcept { return state_ != state::in_progress; }
  /// Why the transaction failed: timeout, error_response,
  /// unknown_comprehension_required, missing_mapped_address,
  /// value_too_long; empty on success or while running.
  std::error_code error() const noexcept { return error_; }

  /// The server-reflexive address: XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS
  /// from servers that predate it (RFC 8489 §12). Set on success.
  const std::optional<transport_address>& mapped_address() const noexcept { return mapped_; }
  /// Whether the address came from MAPPED-ADDRESS rather than XOR-MAPPED-ADDRESS.
  bool mapped_address_legacy() const noexcept { return legacy_mapped_; }
  /// For error_response: the ERROR-CODE (300-699, 0 if the attribute was
  /// missing) and its reason phrase; for a 420, the types the server listed.
  int error_response_code() const noexcept { return error_code_; }
  const std::string& error_reason() const noexcept { return error_reason_; }
  const std::vector<std::uint16_t>& unknown_attributes() const noexcept { return unknown_; }
  /// SOFTWARE of the server's response, if it sent one.
  const std::string& server_software() const noexcept { return server_software_; }

  const transaction_id& id() const noexcept { return id_; }
  /// Requests sent so far (1 to Rc).
  unsigned transmissions() const noexcept { return sent_; }
  /// The request datagram (the same bytes every transmission).
  std::span<const std::byte> request() const noexcept { return {request_.data(), request_size_}; }

private:
  void fail(stun_errc e) noexcept;

  transaction_id id_;
  binding_options options_;
  std::array<std::byte, 1536> request_{};
  std::size_t request_size_ = 0;
  state state_ = state::in_progress;
  std::error_code error_;
  bool transmit_due_ = true;
  unsigned sent_ = 0;
  duration rto_;
  time_point deadline_ = never;

  std::optional<transport_address> mapped_;
  bool legacy_mapped_ = false;
  int error_code_ = 0;
  std::string error_reason_;
  std::vector<std::uint16_t> unknown_;
  std::string server_software_;
};

} // namespace tern::stun
