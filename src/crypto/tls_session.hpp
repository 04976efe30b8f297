#pragma once

#include "crypto/aead.hpp"
#include "crypto/certificate.hpp"
#include "crypto/replay_guard.hpp"
#include "crypto/ticket_keys.hpp"
#include "crypto/tls_role.hpp"

#include <openssl/types.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

// openssl/types.h leaves this one to ssl.h; the same typedef again is fine.
typedef struct ssl_session_st SSL_SESSION;

namespace tern::crypto {

/// Whether a server asks for, and insists on, a client certificate.
enum class client_authentication : std::uint8_t { none, optional, required };

/// How to authenticate the peer's certificate: EITHER pinned SPKI
/// fingerprints OR trust anchors (CA), never both.
struct peer_verification {
  /// SPKI SHA-256 fingerprints (parse_fingerprint() syntax). The peer's leaf
  /// must match one of them; its chain, validity dates and names are then
  /// not examined: the pin is the identity.
  std::vector<std::string> pinned_fingerprints;
  /// Trust anchors for CA mode: a PEM bundle file, an OpenSSL hashed
  /// directory (c_rehash), and/or in-memory PEM certificates.
  std::string ca_file;
  std::string ca_directory;
  std::string ca_pem;
  /// Neither pins nor CA: any certificate is accepted and the caller judges
  /// peer_spki() after the handshake (trust on first use). Exclusive with
  /// both; an active attacker can impersonate the peer until it is checked.
  bool accept_any = false;
  /// Neither pins nor CA: each certificate's SPKI fingerprint is put to
  /// this function in the handshake; false refuses it (fingerprint_mismatch),
  /// as an unlisted pin would. Lets the caller change the accepted keys
  /// without a new context. Must not throw (an exception refuses).
  std::function<bool(const spki_digest&)> check;

  bool uses_pins() const noexcept { return !pinned_fingerprints.empty(); }
  bool uses_ca() const noexcept { return !ca_file.empty() || !ca_directory.empty() || !ca_pem.empty(); }
};

/// Server: session tickets and 0-RTT (docs/crypto.md, "Resumption").
struct ticket_config {
  /// The keys tickets are sealed with; null issues no tickets. Rotating the
  /// ring (ticket_key_ring::rotate) retires tickets two keys old.
  std::shared_ptr<ticket_key_ring> keys;
  /// How long a ticket resumes (capped at RFC 8446's 7 days).
  std::chrono::seconds lifetime{std::chrono::hours(2)};
  /// Accept early data from a resuming client. Requires `replay`.
  bool accept_early_data = false;
  /// The single-use register of tickets whose early data was accepted
  /// (shared by every connection of the server).
  std::shared_ptr<replay_guard> replay;
  /// Seconds since the Unix epoch (tickets outlive processes); the system
  /// clock when empty. For tests.
  std::function<std::int64_t()> unix_time;
};

/// Configuration of one side of tern's TLS 1.3 handshake.
struct tls_config {
  /// Certificate chain and key. Required on a server; on a client, sent when
  /// the server asks for a certificate (mutual TLS).
  tls_identity identity;
  /// Client: how to authenticate the server (required: tern has no
  /// unauthenticated mode). Server: how to verify client certificates
  /// (required iff client_auth != none).
  peer_verification peer;
  /// Client: the server's name, sent as SNI (unless an IP literal) and, in
  /// CA mode, matched against the certificate's subjectAltName (required in
  /// CA mode). Ignored on a server.
  std::string server_name;
  /// Server only.
  client_authentication client_auth = client_authentication::none;
  /// Client: protocols offered, in preference order. Server: protocols
  /// accepted, in the server's preference order. When non-empty on either
  /// side, the handshake fails (alpn_mismatch) unless one is agreed.
  std::vector<std::string> alpn;
  /// TLS 1.3 cipher suites allowed, by their AEAD, in preference order (the
  /// server's order decides). null_for_tests_only is not allowed here.
  std::vector<aead_algorithm> cipher_suites{aead_algorithm::aes_128_gcm, aead_algorithm::chacha20_poly1305};
  /// Server: tickets (none unless tickets.keys is set).
  ticket_config tickets;
  /// Client: keep the tickets the server sends (tls_session::ticket()).
  bool resumption = false;
};

/// Whether a handshake's early data went through (client and server agree
/// once the handshake completed).
enum class early_data_status : std::uint8_t { not_offered, offered, accepted, rejected };

/// One side's validated configuration, compiled into an OpenSSL SSL_CTX
/// (certificates parsed, trust store loaded) once and shared by every
/// session of that side. Immutable; sessions keep it alive.
class tls_context {
public:
  /// Errors: invalid_configuration (missing identity on a server, missing
  /// or ambiguous peer verification, CA mode without server_name on a
  /// client, bad fingerprint syntax, empty or invalid cipher_suites, ALPN
  /// names empty or longer than 255 bytes); certificate_load_failed (CA
  /// file/dir/PEM unreadable); key_mismatch; internal_error.
  static std::shared_ptr<const tls_context> create(tls_role role, const tls_config& config, std::error_code& ec);

  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  tls_role role() const noexcept { return role_; }
  const tls_config& config() const noexcept { return config_; }

private:
  friend class tls_session;
  tls_context() = default;

  tls_role role_ = tls_role::client;
  tls_config config_;
  SSL_CTX* ctx_ = nullptr;
  std::vector<spki_digest> pins_;
  std::vector<unsigned char> alpn_wire_; // client: the length-prefixed offer
  std::int64_t unix_time() const;
};

enum class handshake_state : std::uint8_t { in_progress, complete, failed };

/// A sans-IO TLS 1.3 handshake over memory BIOs. The connection feeds it the
/// bytes received in CRYPTO frames (in stream order) and sends what it
/// produces in CRYPTO frames; the bytes are TLS records.
///
///   client: start() -> take_output() -> ... provide_input(server flight)
///           -> take_output() (its Finished) -> handshake_complete()
///   server: provide_input(ClientHello) -> take_output() -> ...
///           provide_input(client Finished) -> handshake_complete()
///
/// Failure is final: state() becomes failed, error() says why, and
/// pending_output() usually holds the TLS alert that tells the peer; send it
/// before closing. A client can complete and then fail: in TLS 1.3 the
/// server verifies a client certificate after the client has finished, and
/// rejects it with an alert the client receives later. Resumption and 0-RTT:
/// offer_ticket(), ticket() and tls_resumption.cpp. Not thread-safe; never moves (OpenSSL holds a
/// pointer to it), hence the factory.
class tls_session {
public:
  /// Errors: internal_error.
  static std::unique_ptr<tls_session> create(std::shared_ptr<const tls_context> context, std::error_code& ec);

  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  /// Client: produces the ClientHello. Server: does nothing (it starts on
  /// the first input). Same errors as provide_input().
  std::error_code start() noexcept;

  /// Processes handshake bytes received from the peer, in order; partial
  /// records are buffered. After completion, further input is still
  /// processed (a late alert, see above); TLS application data is a protocol
  /// violation. Returns error() (empty while the handshake is healthy).
  /// Errors: handshake_failed, certificate_untrusted, certificate_invalid,
  /// hostname_mismatch, fingerprint_mismatch, peer_certificate_required,
  /// alpn_mismatch (detected here; an alert to the peer is queued),
  /// alert_received (the peer's alert; see alert_received()).
  std::error_code provide_input(std::span<const std::byte> bytes) noexcept;

  /// Bytes waiting to be sent to the peer.
  std::size_t pending_output() const noexcept;
  /// Moves up to out.size() pending bytes into `out`; returns how many.
  std::size_t take_output(std::span<std::byte> out) noexcept;

  tls_role role() const noexcept { return context_->role(); }
  const tls_config& context_config() const noexcept { return context_->config(); }
  handshake_state state() const noexcept { return state_; }
  bool handshake_complete() const noexcept { return state_ == handshake_state::complete; }
  std::error_code error() const noexcept { return error_; }
  /// The OpenSSL reason behind a failure, for logs ("" if none).
  const char* failure_detail() const noexcept { return detail_.data(); }

  /// The TLS alert description (RFC 8446 §6) this side sent / received, if any.
  std::optional<std::uint8_t> alert_sent() const noexcept { return alert_sent_; }
  std::optional<std::uint8_t> alert_received() const noexcept { return alert_received_; }

  /// The agreed application protocol; empty if none was negotiated.
  std::string_view alpn() const noexcept;
  /// The AEAD of the negotiated cipher suite. Valid once the server's hello
  /// has been processed (in particular after completion).
  aead_algorithm aead() const noexcept;
  /// The SPKI fingerprint of the peer's certificate, once received; nullopt
  /// if the peer has sent none (yet).
  std::optional<spki_digest> peer_spki() const noexcept;
  /// The SPKI fingerprint of the certificate the peer presented, accepted
  /// or not (a refused client's key, for logs); nullopt if it sent none.
  std::optional<spki_digest> presented_spki() const noexcept { return presented_spki_; }

  /// TLS 1.3 exporter (RFC 8446 §7.5) with an empty context.
  /// Errors: handshake_incomplete; invalid_argument (empty label or output);
  /// internal_error.
  std::error_code export_keying_material(std::string_view label, std::span<std::byte> out) const noexcept;

  // --- resumption and early data (tls_resumption.cpp) ----------------------

  /// Client, before start(): resume with `ticket` (an earlier session's
  /// ticket()), with early data if `early_data` and the ticket allows it.
  /// A refused ticket is not offered and the handshake is a full one.
  /// Errors: ticket_invalid (malformed, not TLS 1.3, expired by its own
  /// lifetime); ticket_mismatch (another server name or ALPN, a server
  /// key the current verification would not accept, or another client
  /// identity than the one the session was made with); invalid_configuration
  /// (a server, or start() already called).
  std::error_code offer_ticket(std::span<const std::byte> ticket, bool early_data);
  /// Client: the last ticket received (empty until one arrives); holds a
  /// secret: store it like a key, never log it.
  const std::vector<std::byte>& ticket() const noexcept { return ticket_; }
  std::uint64_t tickets_received() const noexcept { return tickets_received_; }
  /// The handshake resumed a session (no certificate was sent or checked).
  bool resumed() const noexcept;
  /// Client: the server asked for a certificate (CertificateRequest), so it
  /// judges this client only after the client's Finished.
  bool certificate_requested() const noexcept { return certificate_requested_; }
  early_data_status early_data() const noexcept;
  /// The TLS 1.3 early exporter (RFC 8446 §7.5, early_exporter_master_secret)
  /// with an empty context: a client once start() offered early data, a
  /// server once it accepted some. Errors: key_unavailable otherwise;
  /// invalid_argument; internal_error.
  std::error_code export_early_keying_material(std::string_view label, std::span<std::byte> out) const noexcept;

private:
  explicit tls_session(std::shared_ptr<const tls_context> context) noexcept;
  std::error_code drive() noexcept;
  void fail(std::error_code ec) noexcept;
  std::error_code classify_failure(int ssl_error) noexcept;

  void scan_records(std::span<const std::byte> bytes) noexcept;
  void queue_plaintext_alert(std::uint8_t description) noexcept;

  static int verify_callback(X509_STORE_CTX* store, void* arg) noexcept;
  static int alpn_select_callback(SSL* ssl, const unsigned char** out, unsigned char* out_length,
                                  const unsigned char* in, unsigned in_length, void* arg) noexcept;
  static int client_hello_callback(SSL* ssl, int* alert, void* arg) noexcept;
  /// The first of `ours` in `offer` (ALPN wire format), as the server picks.
  static std::optional<std::span<const unsigned char>> select_alpn(const std::vector<std::string>& ours,
                                                                   std::span<const unsigned char> offer) noexcept;
  static void info_callback(const SSL* ssl, int where, int ret) noexcept;
  // tls_resumption.cpp.
  static int new_session_callback(SSL* ssl, SSL_SESSION* session) noexcept;
  static int ticket_key_callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                                 EVP_MAC_CTX* mac, int encrypt) noexcept;
  static int generate_ticket_callback(SSL* ssl, void* arg) noexcept;
  static int decrypt_ticket_callback(SSL* ssl, SSL_SESSION* session, const unsigned char* name,
                                     std::size_t name_length, int status, void* arg) noexcept;
  static int allow_early_data_callback(SSL* ssl, void* arg) noexcept;
  static std::error_code configure_resumption(SSL_CTX* ctx, tls_role role, const tls_config& config,
                                              const tls_context* self) noexcept;
  /// Whether the session a ticket holds may be resumed now (server).
  bool ticket_acceptable(SSL_SESSION* session) const noexcept;
  /// Server with early data: reads the ClientHello and any early data;
  /// true once the handshake can go on with SSL_do_handshake.
  bool drive_early_data() noexcept;
  friend class tls_context;

  std::shared_ptr<const tls_context> context_;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;  // owned by ssl_
  BIO* out_ = nullptr; // owned by ssl_
  handshake_state state_ = handshake_state::in_progress;
  std::error_code error_;
  std::optional<std::uint8_t> alert_sent_;
  std::optional<std::uint8_t> alert_received_;
  bool certificate_requested_ = false;
  // Set by the callbacks, which detect what OpenSSL can only report as a
  // generic verification or handshake failure.
  bool fingerprint_mismatch_ = false;
  std::optional<spki_digest> presented_spki_;
  bool alpn_mismatch_ = false;
  std::array<char, 160> detail_{};
  // Record framing of the input, tracked alongside OpenSSL to spot plaintext
  // alerts it refuses to read once it expects encrypted records (a peer
  // that fails before it has handshake keys can only send those).
  std::array<std::uint8_t, 5> record_header_{};
  std::size_t header_bytes_ = 0;
  std::size_t body_left_ = 0;
  std::size_t body_offset_ = 0;
  bool in_plaintext_alert_ = false;
  std::optional<std::uint8_t> plaintext_alert_;
  // Resumption.
  std::vector<std::byte> ticket_;                 // client: last ticket received
  std::uint64_t tickets_received_ = 0;
  std::vector<unsigned char> alpn_offered_;        // server: the client's ALPN list, for ticket checks
  std::string sni_offered_;                         // server: the client's SNI host name (at most 255 bytes)
  bool early_data_offered_ = false;                // client
  bool early_data_allowed_ = false;                // server: first use of this ticket
  bool early_data_done_ = false;                   // server: SSL_read_early_data finished
  bool started_ = false;
};

} // namespace tern::crypto
