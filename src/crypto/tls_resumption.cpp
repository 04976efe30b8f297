// Session tickets, resumption and early data for tern's TLS 1.3 handshake
// (docs/crypto.md, "Resumption").
//
// Server: stateless tickets (OpenSSL's format: AES-256-CBC + HMAC-SHA256
// under the keys of a ticket_key_ring, selected by key name). A ticket
// decrypts only under a key the ring still holds; the decrypt callback then
// refuses it - a full handshake follows, never a failure - when it expired
// by tern's lifetime, names another SNI, was issued for another ALPN than
// the one this handshake would pick, or carries a client certificate the
// server's current verification would refuse. Early data is accepted only
// for a ticket's first use (replay_guard).
//
// Client: every NewSessionTicket is turned into a client_ticket (the
// serialized session plus what the client checks before offering it), and
// offer_ticket() refuses, before anything is sent, a ticket for another
// server name or ALPN, or for a server key the current pins would refuse.
// Resumption is PSK with (EC)DHE: OpenSSL's TLS 1.3 client offers
// psk_dhe_ke only, so 1-RTT keys keep forward secrecy; the resumed
// handshake sends no Certificate and no CertificateVerify.

#include "crypto/client_ticket.hpp"
#include "crypto/crypto_error.hpp"
#include "crypto/openssl_util.hpp"
#include "crypto/tls_session.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <ctime>
#include <cstring>

namespace tern::crypto {
namespace {

/// RFC 8446 §4.6.1: a ticket lives at most 7 days.
constexpr std::int64_t max_ticket_lifetime = 7 * 24 * 3600;
/// Early data tern reads or skips at most: its own one-byte marker. Set
/// on every server (a client may offer early data from an older ticket to
/// a server that now takes none; OpenSSL then skips up to this much).
constexpr std::uint32_t max_early_data_bytes = 1024;
/// The layout of what a server binds into its tickets (the SNI).
constexpr unsigned char ticket_appdata_version = 1;
/// Clock skew tolerated between ticket issue time and now.
constexpr std::int64_t clock_skew = 60;

std::int64_t lifetime_seconds(const ticket_config& t) {
  return std::clamp<std::int64_t>(t.lifetime.count(), 1, max_ticket_lifetime);
}

bool key_accepted(const tls_context& ctx, const std::vector<spki_digest>& pins, const peer_verification& peer,
                  const std::optional<spki_digest>& key) {
  if (peer.accept_any) return true;
  if (peer.check) {
    try {
      return key && peer.check(*key);
    } catch (...) {
      return false;
    }
  }
  if (!pins.empty())
    return key && std::any_of(pins.begin(), pins.end(), [&](const spki_digest& pin) {
             return CRYPTO_memcmp(pin.data(), key->data(), key->size()) == 0;
           });
  (void)ctx;
  return true; // CA mode: verified for this name when the ticket was issued
}

std::optional<spki_digest> spki_of(X509* cert) {
  spki_digest d{};
  if (cert == nullptr || spki_sha256(cert, d)) return std::nullopt;
  return d;
}

} // namespace

std::int64_t tls_context::unix_time() const {
  if (config_.tickets.unix_time) return config_.tickets.unix_time();
  return static_cast<std::int64_t>(std::time(nullptr));
}

std::error_code tls_session::configure_resumption(SSL_CTX* ctx, tls_role role, const tls_config& config,
                                                  const tls_context* self) noexcept {
  const ticket_config& t = config.tickets;
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (SSL_CTX_set_max_early_data(ctx, 0) != 1) return crypto_errc::internal_error;
  if (role == tls_role::client) {
    if (SSL_CTX_set_recv_max_early_data(ctx, 0) != 1) return crypto_errc::internal_error;
    if (!config.resumption) {
      SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
      return {};
    }
    // Sessions go to the callback, never to a cache inside the context.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, &tls_session::new_session_callback);
    return {};
  }
  if (SSL_CTX_set_recv_max_early_data(ctx, max_early_data_bytes) != 1) return crypto_errc::internal_error;
  if (!t.keys) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return SSL_CTX_set_num_tickets(ctx, 0) == 1 ? std::error_code{} : crypto_errc::internal_error;
  }
  if (t.lifetime.count() <= 0 || (t.accept_early_data && !t.replay)) return crypto_errc::invalid_configuration;
  static constexpr unsigned char id_context[] = {'t', 'e', 'r', 'n'};
  if (SSL_CTX_set_num_tickets(ctx, 1) != 1 ||
      SSL_CTX_set_session_id_context(ctx, id_context, sizeof id_context) != 1 ||
      SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &tls_session::ticket_key_callback) != 1 ||
      SSL_CTX_set_session_ticket_cb(ctx, &tls_session::generate_ticket_callback,
                                    &tls_session::decrypt_ticket_callback, const_cast<tls_context*>(self)) != 1)
    return crypto_errc::internal_error;
  SSL_CTX_set_timeout(ctx, static_cast<long>(lifetime_seconds(t)));
  if (t.accept_early_data) {
    // tern's replay_guard replaces OpenSSL's anti-replay, which needs a
    // stateful session cache.
    SSL_CTX_set_options(ctx, SSL_OP_NO_ANTI_REPLAY);
    if (SSL_CTX_set_max_early_data(ctx, max_early_data_bytes) != 1) return crypto_errc::internal_error;
    SSL_CTX_set_allow_early_data_cb(ctx, &tls_session::allow_early_data_callback, nullptr);
  }
  return {};
}

// --- client -------------------------------------------------------------------

std::error_code tls_session::offer_ticket(std::span<const std::byte> bytes, bool early_data) {
  if (role() != tls_role::client || started_) return crypto_errc::invalid_configuration;
  detail::error_queue_guard guard;
  std::error_code ec;
  const auto ticket = client_ticket::decode(bytes, ec);
  if (!ticket) return crypto_errc::ticket_invalid;
  const tls_config& cfg = context_->config_;
  if (ticket->server_name != cfg.server_name) return crypto_errc::ticket_mismatch;
  const bool alpn_ok = cfg.alpn.empty() ? ticket->alpn.empty()
                                        : std::find(cfg.alpn.begin(), cfg.alpn.end(), ticket->alpn) != cfg.alpn.end();
  if (!alpn_ok) return crypto_errc::ticket_mismatch;
  if (!key_accepted(*context_, context_->pins_, cfg.peer, ticket->peer_key)) return crypto_errc::ticket_mismatch;
  // Resuming authenticates this client as the session's client key again:
  // under another identity the ticket is not ours to offer.
  if (ticket->own_key != spki_of(SSL_get_certificate(ssl_))) return crypto_errc::ticket_mismatch;

  const unsigned char* p = detail::uc(ticket->session.data());
  SSL_SESSION* session = d2i_SSL_SESSION(nullptr, &p, static_cast<long>(ticket->session.size()));
  if (session == nullptr) return crypto_errc::ticket_invalid;
  const std::int64_t expires = SSL_SESSION_get_time(session) + SSL_SESSION_get_timeout(session);
  const bool usable = SSL_SESSION_get_protocol_version(session) == TLS1_3_VERSION &&
                      SSL_SESSION_is_resumable(session) == 1 && expires > context_->unix_time();
  const bool set = usable && SSL_set_session(ssl_, session) == 1;
  early_data_offered_ = set && early_data && SSL_SESSION_get_max_early_data(session) > 0;
  SSL_SESSION_free(session);
  return set ? std::error_code{} : crypto_errc::ticket_invalid;
}

int tls_session::new_session_callback(SSL* ssl, SSL_SESSION* session) noexcept {
  auto* self = static_cast<tls_session*>(SSL_get_app_data(ssl));
  if (self == nullptr || SSL_SESSION_is_resumable(session) != 1) return 0;
  try {
    client_ticket t;
    t.server_name = self->context_->config_.server_name;
    const unsigned char* alpn = nullptr;
    std::size_t alpn_length = 0;
    SSL_SESSION_get0_alpn_selected(session, &alpn, &alpn_length);
    if (alpn != nullptr) t.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
    t.peer_key = spki_of(SSL_SESSION_get0_peer(session));
    t.own_key = spki_of(SSL_get_certificate(ssl)); // what a server asking for one was sent
    const int length = i2d_SSL_SESSION(session, nullptr);
    if (length <= 0 || length > 0xffff) return 0;
    t.session.resize(static_cast<std::size_t>(length));
    unsigned char* out = detail::uc(t.session.data());
    if (i2d_SSL_SESSION(session, &out) != length) return 0;
    auto encoded = t.encode();
    OPENSSL_cleanse(t.session.data(), t.session.size());
    if (encoded.empty()) return 0;
    if (!self->ticket_.empty()) OPENSSL_cleanse(self->ticket_.data(), self->ticket_.size());
    self->ticket_ = std::move(encoded);
    ++self->tickets_received_;
  } catch (...) {
    // Out of memory: no ticket this time, the connection is unaffected.
  }
  return 0; // OpenSSL keeps ownership of `session`
}

// --- server -------------------------------------------------------------------

int tls_session::ticket_key_callback(SSL* ssl, unsigned char* name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                                     EVP_MAC_CTX* mac, int encrypt) noexcept {
  auto* self = static_cast<tls_session*>(SSL_get_app_data(ssl));
  if (self == nullptr || !self->context_->config_.tickets.keys) return -1;
  ticket_key_ring& ring = *self->context_->config_.tickets.keys;
  // A rotating ring turns on the server's clock, at the first ticket sealed
  // or opened in a new period (no timer needed; tests move the clock).
  // Without the period's key: no ticket issued (0 on sealing), a full
  // handshake (0 on opening).
  if (ring.advance(self->context_->unix_time())) return 0;
  std::optional<std::pair<ticket_key, bool>> found;
  if (encrypt == 1) {
    found.emplace(ring.current(), true);
    std::memcpy(name, found->first.name.data(), ticket_key::name_length);
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH < 16 ? EVP_MAX_IV_LENGTH : 16) != 1) return -1;
  } else {
    found = ring.find(std::span{name, ticket_key::name_length});
    if (!found) return 0; // another server's or a retired key: full handshake
  }
  ticket_key& key = found->first;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key.mac_key.data(), key.mac_key.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  // The prefetched cipher: EVP_aes_256_cbc() would make every handshake
  // look the algorithm up in the provider again.
  const EVP_CIPHER* aes = detail::fetched_cipher(detail::cipher_id::aes_256_cbc);
  const int cipher_ok = aes == nullptr ? 0
                        : encrypt == 1 ? EVP_EncryptInit_ex2(cipher, aes, key.cipher_key.data(), iv, nullptr)
                                       : EVP_DecryptInit_ex2(cipher, aes, key.cipher_key.data(), iv, nullptr);
  const int mac_ok = EVP_MAC_CTX_set_params(mac, params);
  OPENSSL_cleanse(&key, sizeof key);
  if (cipher_ok != 1 || mac_ok != 1) return -1;
  // 2: valid, but sealed with the previous key; OpenSSL issues a fresh one.
  return encrypt == 1 || found->second ? 1 : 2;
}

int tls_session::generate_ticket_callback(SSL* ssl, void*) noexcept {
  // Binds the SNI of this handshake to the ticket (OpenSSL's server session
  // does not keep it for TLS 1.3): version byte, then the name.
  const auto* self = static_cast<const tls_session*>(SSL_get_app_data(ssl));
  SSL_SESSION* session = SSL_get_session(ssl);
  if (self == nullptr || session == nullptr) return 0;
  unsigned char data[1 + 255];
  data[0] = ticket_appdata_version;
  std::memcpy(data + 1, self->sni_offered_.data(), self->sni_offered_.size());
  return SSL_SESSION_set1_ticket_appdata(session, data, 1 + self->sni_offered_.size());
}

int tls_session::decrypt_ticket_callback(SSL* ssl, SSL_SESSION* session, const unsigned char*, std::size_t,
                                         int status, void*) noexcept {
  auto* self = static_cast<tls_session*>(SSL_get_app_data(ssl));
  if (self == nullptr) return SSL_TICKET_RETURN_ABORT;
  self->early_data_allowed_ = false;
  if (status != SSL_TICKET_SUCCESS && status != SSL_TICKET_SUCCESS_RENEW) {
    // No ticket, an empty one, or one no key of ours opens: a full handshake.
    return status == SSL_TICKET_FATAL_ERR_MALLOC || status == SSL_TICKET_FATAL_ERR_OTHER
               ? SSL_TICKET_RETURN_ABORT
               : SSL_TICKET_RETURN_IGNORE_RENEW;
  }
  if (session == nullptr || !self->ticket_acceptable(session)) return SSL_TICKET_RETURN_IGNORE_RENEW;
  const ticket_config& t = self->context_->config_.tickets;
  if (t.accept_early_data && t.replay) {
    // The resumption secret differs per ticket (RFC 8446 §4.6.1 ticket
    // nonce): the register remembers each ticket whose early data it took.
    unsigned char secret[64]; // SSL_MAX_MASTER_KEY_LENGTH (48) and the largest TLS 1.3 hash
    const std::size_t n = SSL_SESSION_get_master_key(session, secret, sizeof secret);
    const std::int64_t now = self->context_->unix_time();
    const std::int64_t expires = SSL_SESSION_get_time(session) + lifetime_seconds(t);
    try {
      self->early_data_allowed_ = n > 0 && t.replay->first_use(std::span{secret, n}, now, expires);
    } catch (...) {
      self->early_data_allowed_ = false;
    }
    OPENSSL_cleanse(secret, sizeof secret);
  }
  // Always renew: the client gets a fresh ticket (a fresh resumption
  // secret) from every connection, so it never needs to reuse one.
  return SSL_TICKET_RETURN_USE_RENEW;
}

bool tls_session::ticket_acceptable(SSL_SESSION* session) const noexcept {
  const tls_config& cfg = context_->config_;
  const std::int64_t now = context_->unix_time();
  const std::int64_t issued = SSL_SESSION_get_time(session);
  if (issued > now + clock_skew || now - issued >= lifetime_seconds(cfg.tickets)) return false;

  // The SNI the ticket was issued under, bound by generate_ticket_callback.
  void* bound = nullptr;
  std::size_t bound_length = 0;
  if (SSL_SESSION_get0_ticket_appdata(session, &bound, &bound_length) != 1 || bound_length != 1 + sni_offered_.size() ||
      static_cast<const unsigned char*>(bound)[0] != ticket_appdata_version ||
      std::memcmp(static_cast<const unsigned char*>(bound) + 1, sni_offered_.data(), sni_offered_.size()) != 0)
    return false;

  const unsigned char* alpn = nullptr;
  std::size_t alpn_length = 0;
  SSL_SESSION_get0_alpn_selected(session, &alpn, &alpn_length);
  const auto now_selected = select_alpn(cfg.alpn, alpn_offered_);
  const std::size_t selected_length = now_selected ? now_selected->size() : 0;
  if (alpn_length != selected_length ||
      (selected_length > 0 && std::memcmp(alpn, now_selected->data(), selected_length) != 0))
    return false;

  if (cfg.client_auth != client_authentication::none) {
    const auto key = spki_of(SSL_SESSION_get0_peer(session));
    if (!key) return cfg.client_auth == client_authentication::optional;
    try {
      return key_accepted(*context_, context_->pins_, cfg.peer, key);
    } catch (...) {
      return false;
    }
  }
  return true;
}

int tls_session::allow_early_data_callback(SSL* ssl, void*) noexcept {
  const auto* self = static_cast<const tls_session*>(SSL_get_app_data(ssl));
  return self != nullptr && self->early_data_allowed_ ? 1 : 0;
}

bool tls_session::drive_early_data() noexcept {
  if (role() == tls_role::client || early_data_done_ || !context_->config_.tickets.accept_early_data) return true;
  for (;;) {
    unsigned char sink[64];
    std::size_t n = 0;
    const int r = SSL_read_early_data(ssl_, sink, sizeof sink, &n);
    OPENSSL_cleanse(sink, sizeof sink);
    // tern's one-byte marker (bounded by max_early_data_bytes); its content
    // means nothing.
    if (r == SSL_READ_EARLY_DATA_SUCCESS) continue;
    if (r == SSL_READ_EARLY_DATA_FINISH) {
      early_data_done_ = true;
      return true;
    }
    const int err = SSL_get_error(ssl_, 0);
    if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) fail(classify_failure(err));
    return false;
  }
}

// --- both ---------------------------------------------------------------------

bool tls_session::resumed() const noexcept { return SSL_session_reused(ssl_) == 1; }

early_data_status tls_session::early_data() const noexcept {
  const int status = SSL_get_early_data_status(ssl_);
  if (role() == tls_role::client) {
    if (!early_data_offered_) return early_data_status::not_offered;
    if (state_ != handshake_state::complete) return early_data_status::offered;
  }
  switch (status) {
  case SSL_EARLY_DATA_ACCEPTED: return early_data_status::accepted;
  case SSL_EARLY_DATA_REJECTED: return early_data_status::rejected;
  default: return early_data_status::not_offered;
  }
}

std::error_code tls_session::export_early_keying_material(std::string_view label,
                                                          std::span<std::byte> out) const noexcept {
  if (label.empty() || out.empty()) return crypto_errc::invalid_argument;
  const bool available = role() == tls_role::client
                             ? early_data_offered_ && started_
                             : SSL_get_early_data_status(ssl_) == SSL_EARLY_DATA_ACCEPTED;
  if (!available) return crypto_errc::key_unavailable;
  detail::error_queue_guard guard;
  if (SSL_export_keying_material_early(ssl_, detail::uc(out.data()), out.size(), label.data(), label.size(), nullptr,
                                       0) != 1)
    return crypto_errc::internal_error;
  return {};
}

} // namespace tern::crypto
