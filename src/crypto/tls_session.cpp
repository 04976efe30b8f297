// tern's TLS 1.3 handshake driver (docs/crypto.md, "Handshake").
//
// OpenSSL 3.0 has no QUIC TLS interface, so tern runs ordinary TLS 1.3 over
// a pair of memory BIOs and carries the resulting records in CRYPTO frames,
// a reliable ordered byte stream: the record layer's own framing and
// handshake-key encryption stay in place inside tern's packet protection.
//
// Peer authentication is done in one certificate-verification callback
// (SSL_CTX_set_cert_verify_callback) for all modes:
//  - pinned fingerprints: SHA-256 of the leaf's SPKI against the pins; the
//    chain is not built (self-signed certificates are the point);
//  - CA: X509_verify_cert with the trust store and, on a client, the host
//    name (SSL_set1_host / IP) OpenSSL put into the verification parameters;
//  - accept any: the certificate still proves the key (CertificateVerify),
//    but which key is acceptable is the caller's call, after completion.
// The same callback makes the client insist on an ALPN answer: OpenSSL
// processes EncryptedExtensions (which carries the server's ALPN choice)
// before the Certificate, so rejecting there aborts the handshake with an
// alert, which checking after completion could not.
//
// Failures are classified from, in order: the callbacks' own flags, the
// alert received (info callback), the X.509 verification result, and the
// OpenSSL error queue. The queue is always emptied before returning.
//
// Session tickets, resumption and early data are off unless configured
// (tls_resumption.cpp); the TLS 1.3 middlebox-compatibility ChangeCipherSpec
// records are disabled (nothing in a CRYPTO stream needs to look like TLS 1.2).

#include "crypto/tls_session.hpp"

#include "crypto/crypto_error.hpp"
#include "crypto/openssl_util.hpp"

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>

namespace tern::crypto {
namespace {

std::error_code map_verify_result(long result) noexcept {
  switch (result) {
  case X509_V_ERR_HOSTNAME_MISMATCH:
  case X509_V_ERR_IP_ADDRESS_MISMATCH: return crypto_errc::hostname_mismatch;
  case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
  case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
  case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
  case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
  case X509_V_ERR_CERT_UNTRUSTED: return crypto_errc::certificate_untrusted;
  default: return crypto_errc::certificate_invalid;
  }
}

const char* suite_name(aead_algorithm a) noexcept {
  switch (a) {
  case aead_algorithm::aes_128_gcm: return "TLS_AES_128_GCM_SHA256";
  case aead_algorithm::chacha20_poly1305: return "TLS_CHACHA20_POLY1305_SHA256";
  case aead_algorithm::null_for_tests_only: return nullptr;
  }
  return nullptr;
}

std::error_code load_trust(SSL_CTX* ctx, const peer_verification& peer) {
  if (!peer.ca_file.empty() || !peer.ca_directory.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, peer.ca_file.empty() ? nullptr : peer.ca_file.c_str(),
                                      peer.ca_directory.empty() ? nullptr : peer.ca_directory.c_str()) != 1)
      return crypto_errc::certificate_load_failed;
  }
  if (!peer.ca_pem.empty()) {
    if (peer.ca_pem.size() > static_cast<std::size_t>(INT_MAX)) return crypto_errc::certificate_load_failed;
    detail::bio_ptr bio{BIO_new_mem_buf(peer.ca_pem.data(), static_cast<int>(peer.ca_pem.size()))};
    if (!bio) return crypto_errc::internal_error;
    X509_STORE* store = SSL_CTX_get_cert_store(ctx);
    int added = 0;
    while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
      const int ok = X509_STORE_add_cert(store, x);
      X509_free(x);
      if (ok != 1) return crypto_errc::certificate_load_failed;
      ++added;
    }
    if (added == 0) return crypto_errc::certificate_load_failed;
  }
  return {};
}

} // namespace

// ---------------------------------------------------------------------------
// tls_context

tls_context::~tls_context() { SSL_CTX_free(ctx_); }

std::shared_ptr<const tls_context> tls_context::create(tls_role role, const tls_config& config, std::error_code& ec) {
  detail::error_queue_guard guard;
  ec.clear();
  const bool server = role == tls_role::server;
  const peer_verification& peer = config.peer;

  // Validate before touching OpenSSL.
  const bool verify_peer = !server || config.client_auth != client_authentication::none;
  auto invalid = [&ec] {
    ec = crypto_errc::invalid_configuration;
    return nullptr;
  };
  const int modes = int(peer.uses_pins()) + int(peer.uses_ca()) + int(peer.accept_any) + int(bool(peer.check));
  if (modes > 1) return invalid();
  if (verify_peer && modes == 0) return invalid();
  if (!verify_peer && modes != 0) return invalid();
  if (server && config.identity.empty()) return invalid();
  if (!server && peer.uses_ca() && config.server_name.empty()) return invalid();
  if (config.cipher_suites.empty()) return invalid();
  std::string suites;
  for (const aead_algorithm a : config.cipher_suites) {
    const char* name = suite_name(a);
    if (name == nullptr) return invalid();
    if (!suites.empty()) suites += ':';
    suites += name;
  }

  std::shared_ptr<tls_context> self{new tls_context};
  self->role_ = role;
  self->config_ = config;
  for (const auto& text : peer.pinned_fingerprints) {
    spki_digest d{};
    if (parse_fingerprint(text, d)) return invalid();
    self->pins_.push_back(d);
  }
  for (const auto& proto : config.alpn) {
    if (proto.empty() || proto.size() > 255) return invalid();
    self->alpn_wire_.push_back(static_cast<unsigned char>(proto.size()));
    self->alpn_wire_.insert(self->alpn_wire_.end(), proto.begin(), proto.end());
  }

  SSL_CTX* ctx = SSL_CTX_new_ex(nullptr, nullptr, TLS_method());
  if (ctx == nullptr) {
    ec = crypto_errc::internal_error;
    return nullptr;
  }
  self->ctx_ = ctx;

  if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1 || SSL_CTX_set_ciphersuites(ctx, suites.c_str()) != 1) {
    ec = crypto_errc::internal_error;
    return nullptr;
  }
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_clear_options(ctx, SSL_OP_ENABLE_MIDDLEBOX_COMPAT);
  // Tickets, resumption and early data only as configured (tls_resumption.cpp).
  if ((ec = tls_session::configure_resumption(ctx, role, config, self.get()))) return nullptr;
  SSL_CTX_set_info_callback(ctx, &tls_session::info_callback);

  if (!config.identity.empty()) {
    if (SSL_CTX_use_certificate(ctx, config.identity.certificate()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, config.identity.private_key()) != 1) {
      ec = crypto_errc::certificate_load_failed;
      return nullptr;
    }
    for (const auto& x : config.identity.chain()) {
      if (SSL_CTX_add1_chain_cert(ctx, x.get()) != 1) {
        ec = crypto_errc::certificate_load_failed;
        return nullptr;
      }
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
      ec = crypto_errc::key_mismatch;
      return nullptr;
    }
  }

  if (verify_peer) {
    if (peer.uses_ca()) {
      if ((ec = load_trust(ctx, peer))) return nullptr;
    }
    int mode = SSL_VERIFY_PEER;
    if (server) {
      mode |= SSL_VERIFY_CLIENT_ONCE;
      if (config.client_auth == client_authentication::required) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    }
    SSL_CTX_set_verify(ctx, mode, nullptr);
    // The context outlives every session (they hold it), so `self.get()` is
    // a valid callback argument for as long as OpenSSL can call back.
    SSL_CTX_set_cert_verify_callback(ctx, &tls_session::verify_callback, self.get());
  } else {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  }

  if (server && !config.alpn.empty()) SSL_CTX_set_alpn_select_cb(ctx, &tls_session::alpn_select_callback, self.get());
  // Tickets need the client's ALPN offer too, to refuse one for another ALPN.
  if (server && (!config.alpn.empty() || config.tickets.keys))
    SSL_CTX_set_client_hello_cb(ctx, &tls_session::client_hello_callback, self.get());
  return self;
}

// ---------------------------------------------------------------------------
// tls_session

tls_session::tls_session(std::shared_ptr<const tls_context> context) noexcept : context_(std::move(context)) {}

tls_session::~tls_session() {
  SSL_free(ssl_); // frees both BIOs; null-safe
}

std::unique_ptr<tls_session> tls_session::create(std::shared_ptr<const tls_context> context, std::error_code& ec) {
  detail::error_queue_guard guard;
  ec.clear();
  if (!context || context->ctx_ == nullptr) {
    ec = crypto_errc::invalid_configuration;
    return nullptr;
  }
  std::unique_ptr<tls_session> self{new tls_session(std::move(context))};
  const tls_context& ctx = *self->context_;
  auto internal = [&ec] {
    ec = crypto_errc::internal_error;
    return nullptr;
  };
  self->ssl_ = SSL_new(ctx.ctx_);
  if (self->ssl_ == nullptr) return internal();
  SSL* ssl = self->ssl_;
  SSL_set_app_data(ssl, self.get());
  // Record buffers only while a record is in progress: a handshake waiting
  // for its peer (a half-open connection) holds none (docs/security.md).
  SSL_set_mode(ssl, SSL_MODE_RELEASE_BUFFERS);

  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  if (in == nullptr || out == nullptr) {
    BIO_free(in);
    BIO_free(out);
    return internal();
  }
  // An empty input BIO means "wait for more", never end-of-stream.
  BIO_set_mem_eof_return(in, -1);
  BIO_set_mem_eof_return(out, -1);
  SSL_set_bio(ssl, in, out);
  self->in_ = in;
  self->out_ = out;

  if (ctx.role_ == tls_role::server) {
    SSL_set_accept_state(ssl);
    return self;
  }
  SSL_set_connect_state(ssl);
  const std::string& name = ctx.config_.server_name;
  const bool ip = !name.empty() && detail::is_ip_literal(name);
  if (!name.empty() && !ip && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return internal();
  if (ctx.config_.peer.uses_ca()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) : SSL_set1_host(ssl, name.c_str());
    if (ok != 1) return internal();
  }
  // SSL_set_alpn_protos returns 0 on success.
  if (!ctx.alpn_wire_.empty() &&
      SSL_set_alpn_protos(ssl, ctx.alpn_wire_.data(), static_cast<unsigned>(ctx.alpn_wire_.size())) != 0)
    return internal();
  return self;
}

std::error_code tls_session::start() noexcept {
  if (started_) return provide_input({});
  started_ = true;
  if (early_data_offered_) {
    // tern carries no TLS application data: one byte of early data makes
    // OpenSSL send the early_data extension and derive the early secrets;
    // the server reads and discards it.
    detail::error_queue_guard guard;
    const unsigned char marker = 0;
    std::size_t written = 0;
    if (SSL_write_early_data(ssl_, &marker, 1, &written) != 1) {
      fail(classify_failure(SSL_get_error(ssl_, 0)));
      return error_;
    }
  }
  return provide_input({});
}

std::error_code tls_session::provide_input(std::span<const std::byte> bytes) noexcept {
  if (state_ == handshake_state::failed) return error_;
  detail::error_queue_guard guard;
  scan_records(bytes);
  while (!bytes.empty()) {
    const int chunk = static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 20));
    if (BIO_write(in_, bytes.data(), chunk) != chunk) {
      fail(crypto_errc::internal_error);
      return error_;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(chunk));
  }
  return drive();
}

std::error_code tls_session::drive() noexcept {
  if (state_ == handshake_state::in_progress && !drive_early_data()) return error_;
  if (state_ == handshake_state::in_progress) {
    const int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      const int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return {};
      fail(classify_failure(err));
      return error_;
    }
    state_ = handshake_state::complete;
    // Backstop for the ALPN check made during verification (see top).
    if (role() == tls_role::client && !context_->alpn_wire_.empty() && alpn().empty()) {
      alpn_mismatch_ = true;
      fail(crypto_errc::alpn_mismatch);
      return error_;
    }
  }
  // After completion only an alert (or, harmlessly, a TLS KeyUpdate) may
  // arrive; SSL_read processes such records. tern never sends TLS
  // application data.
  for (;;) {
    unsigned char sink[64];
    const int r = SSL_read(ssl_, sink, sizeof sink);
    if (r > 0) {
      OPENSSL_cleanse(sink, sizeof sink);
      std::snprintf(detail_.data(), detail_.size(), "unexpected TLS application data");
      fail(crypto_errc::handshake_failed);
      return error_;
    }
    const int err = SSL_get_error(ssl_, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return {};
    fail(classify_failure(err));
    return error_;
  }
}

void tls_session::fail(std::error_code ec) noexcept {
  state_ = handshake_state::failed;
  error_ = ec;
}

void tls_session::scan_records(std::span<const std::byte> bytes) noexcept {
  for (const std::byte b : bytes) {
    const auto v = static_cast<std::uint8_t>(b);
    if (header_bytes_ < record_header_.size()) {
      record_header_[header_bytes_++] = v;
      if (header_bytes_ == record_header_.size()) {
        body_left_ = (std::size_t{record_header_[3]} << 8) | record_header_[4];
        body_offset_ = 0;
        // Content type 21 (alert), length 2: level, description.
        in_plaintext_alert_ = record_header_[0] == 21 && body_left_ == 2;
        if (body_left_ == 0) header_bytes_ = 0;
      }
      continue;
    }
    if (in_plaintext_alert_ && body_offset_ == 1) plaintext_alert_ = v;
    ++body_offset_;
    if (--body_left_ == 0) header_bytes_ = 0;
  }
}

void tls_session::queue_plaintext_alert(std::uint8_t description) noexcept {
  const unsigned char record[] = {21, 3, 3, 0, 2, 2 /* fatal */, description};
  if (BIO_write(out_, record, sizeof record) == static_cast<int>(sizeof record)) alert_sent_ = description;
}

std::error_code tls_session::classify_failure(int ssl_error) noexcept {
  // Keep the first OpenSSL reason for failure_detail(), then empty the queue.
  const unsigned long first = ERR_peek_error();
  if (first != 0 && detail_[0] == '\0') ERR_error_string_n(first, detail_.data(), detail_.size());

  bool no_peer_certificate = false;
  bool no_application_protocol = false;
  bool not_tls = false;
  while (const unsigned long e = ERR_get_error()) {
    if (ERR_GET_LIB(e) != ERR_LIB_SSL) continue;
    const int reason = ERR_GET_REASON(e);
    no_peer_certificate = no_peer_certificate || reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE;
    no_application_protocol = no_application_protocol || reason == SSL_R_NO_APPLICATION_PROTOCOL;
    not_tls = not_tls || reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST ||
              reason == SSL_R_HTTPS_PROXY_REQUEST;
  }
  // OpenSSL stays silent when the very first record is not TLS at all (it
  // cannot know the peer speaks TLS); tern's peer always does, and must
  // learn of the failure. No keys exist before the first record, so a
  // plaintext alert is the right form.
  const bool first_record_not_tls = not_tls && !alert_sent_;
  if (first_record_not_tls) queue_plaintext_alert(50 /* decode_error */);

  if (fingerprint_mismatch_) return crypto_errc::fingerprint_mismatch;
  if (alpn_mismatch_ || no_application_protocol) return crypto_errc::alpn_mismatch;
  if (ssl_error == SSL_ERROR_ZERO_RETURN || alert_received_) return crypto_errc::alert_received;
  // A plaintext alert OpenSSL would not read (it expected encrypted records)
  // is the peer's. Not when the stream was garbage from its first byte: then
  // alert-like bytes inside it mean nothing.
  if (plaintext_alert_ && !first_record_not_tls) {
    alert_received_ = plaintext_alert_;
    return crypto_errc::alert_received;
  }
  if (no_peer_certificate) return crypto_errc::peer_certificate_required;
  if (const long v = SSL_get_verify_result(ssl_); v != X509_V_OK) return map_verify_result(v);
  return crypto_errc::handshake_failed;
}

std::size_t tls_session::pending_output() const noexcept { return BIO_ctrl_pending(out_); }

std::size_t tls_session::take_output(std::span<std::byte> out) noexcept {
  if (out.empty()) return 0;
  detail::error_queue_guard guard;
  const int n = BIO_read(out_, out.data(), static_cast<int>(std::min<std::size_t>(out.size(), INT_MAX)));
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

std::string_view tls_session::alpn() const noexcept {
  const unsigned char* data = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl_, &data, &length);
  if (data == nullptr) return {};
  return {reinterpret_cast<const char*>(data), length};
}

aead_algorithm tls_session::aead() const noexcept {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  if (cipher != nullptr && SSL_CIPHER_get_protocol_id(cipher) == 0x1303) return aead_algorithm::chacha20_poly1305;
  return aead_algorithm::aes_128_gcm;
}

std::optional<spki_digest> tls_session::peer_spki() const noexcept {
  detail::error_queue_guard guard;
  X509* peer = SSL_get0_peer_certificate(ssl_);
  spki_digest d{};
  if (peer == nullptr || spki_sha256(peer, d)) return std::nullopt;
  return d;
}

std::error_code tls_session::export_keying_material(std::string_view label, std::span<std::byte> out) const noexcept {
  // A server that accepted early data has written its Finished, so its
  // exporter secret exists before completion (0.5-RTT keys).
  const bool server_early = role() == tls_role::server && state_ == handshake_state::in_progress &&
                            early_data() == early_data_status::accepted;
  if (state_ != handshake_state::complete && !server_early) return crypto_errc::handshake_incomplete;
  if (label.empty() || out.empty()) return crypto_errc::invalid_argument;
  detail::error_queue_guard guard;
  if (SSL_export_keying_material(ssl_, detail::uc(out.data()), out.size(), label.data(), label.size(), nullptr, 0,
                                 0) != 1)
    return crypto_errc::internal_error;
  return {};
}

// ---------------------------------------------------------------------------
// OpenSSL callbacks. They must not throw and must not leave the error queue
// in a state the caller misreads; none allocates.

int tls_session::verify_callback(X509_STORE_CTX* store, void* arg) noexcept {
  const auto* ctx = static_cast<const tls_context*>(arg);
  SSL* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* self = ssl != nullptr ? static_cast<tls_session*>(SSL_get_app_data(ssl)) : nullptr;
  if (self == nullptr || ctx == nullptr) {
    X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
    return 0;
  }
  if (ctx->role_ == tls_role::client && !ctx->alpn_wire_.empty() && self->alpn().empty()) {
    self->alpn_mismatch_ = true;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  spki_digest presented{};
  const bool digested = !spki_sha256(X509_STORE_CTX_get0_cert(store), presented);
  if (digested) self->presented_spki_ = presented;
  if (ctx->config_.peer.accept_any) {
    X509_STORE_CTX_set_error(store, X509_V_OK);
    return 1;
  }
  if (const auto& check = ctx->config_.peer.check) {
    bool accepted = false;
    try {
      accepted = digested && check(presented);
    } catch (...) {
      accepted = false; // the caller's failure refuses, never lets in
    }
    if (accepted) {
      X509_STORE_CTX_set_error(store, X509_V_OK);
      return 1;
    }
    self->fingerprint_mismatch_ = true;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  if (!ctx->pins_.empty()) {
    spki_digest d{};
    if (spki_sha256(X509_STORE_CTX_get0_cert(store), d)) {
      X509_STORE_CTX_set_error(store, X509_V_ERR_UNSPECIFIED);
      return 0;
    }
    for (const spki_digest& pin : ctx->pins_) {
      if (CRYPTO_memcmp(pin.data(), d.data(), d.size()) == 0) {
        X509_STORE_CTX_set_error(store, X509_V_OK);
        return 1;
      }
    }
    self->fingerprint_mismatch_ = true;
    // Maps to the bad_certificate alert.
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  return X509_verify_cert(store) == 1 ? 1 : 0;
}

std::optional<std::span<const unsigned char>> tls_session::select_alpn(const std::vector<std::string>& ours,
                                                                       std::span<const unsigned char> offer) noexcept {
  for (const std::string& wanted : ours) {
    for (std::size_t pos = 0; pos < offer.size();) {
      const std::size_t length = offer[pos];
      if (length == 0 || pos + 1 + length > offer.size()) break; // malformed offer: no match
      if (length == wanted.size() && std::memcmp(offer.data() + pos + 1, wanted.data(), length) == 0)
        return offer.subspan(pos + 1, length);
      pos += 1 + length;
    }
  }
  return std::nullopt;
}

int tls_session::alpn_select_callback(SSL* ssl, const unsigned char** out, unsigned char* out_length,
                                      const unsigned char* in, unsigned in_length, void* arg) noexcept {
  const auto* ctx = static_cast<const tls_context*>(arg);
  if (const auto chosen = select_alpn(ctx->config_.alpn, std::span{in, in_length})) {
    *out = chosen->data();
    *out_length = static_cast<unsigned char>(chosen->size());
    return SSL_TLSEXT_ERR_OK;
  }
  if (auto* self = static_cast<tls_session*>(SSL_get_app_data(ssl))) self->alpn_mismatch_ = true;
  return SSL_TLSEXT_ERR_ALERT_FATAL; // no_application_protocol
}

int tls_session::client_hello_callback(SSL* ssl, int* alert, void* arg) noexcept {
  // Installed on servers with an ALPN list or tickets. It keeps the offer
  // (a ticket is refused for another ALPN), and refuses a client that
  // offers no ALPN at all to a server with a list: such a client never
  // reaches the select callback.
  const auto* ctx = static_cast<const tls_context*>(arg);
  auto* self = static_cast<tls_session*>(SSL_get_app_data(ssl));
  const unsigned char* ext = nullptr;
  std::size_t length = 0;
  // server_name: list length (2), name type (1) = host_name, length (2), name.
  if (self != nullptr && SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &length) == 1 && length > 5 &&
      ext[2] == TLSEXT_NAMETYPE_host_name) {
    const std::size_t name_length = (std::size_t{ext[3]} << 8) | ext[4];
    if (name_length <= 255 && 5 + name_length <= length)
      self->sni_offered_.assign(reinterpret_cast<const char*>(ext + 5), name_length);
  }
  if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &ext, &length) == 1) {
    // The extension body: a 2-byte list length, then the list.
    if (self != nullptr && length >= 2 && length <= 2 + 1024) self->alpn_offered_.assign(ext + 2, ext + length);
    return SSL_CLIENT_HELLO_SUCCESS;
  }
  if (ctx == nullptr || ctx->config_.alpn.empty()) return SSL_CLIENT_HELLO_SUCCESS;
  if (self != nullptr) self->alpn_mismatch_ = true;
  *alert = SSL_AD_NO_APPLICATION_PROTOCOL;
  return SSL_CLIENT_HELLO_ERROR;
}

void tls_session::info_callback(const SSL* ssl, int where, int ret) noexcept {
  auto* self = static_cast<tls_session*>(SSL_get_app_data(ssl));
  if (self == nullptr) return;
  // A client's loop reports each state it enters; this one is entered
  // only by reading the server's CertificateRequest.
  if ((where & SSL_CB_CONNECT_LOOP) != 0 && SSL_get_state(ssl) == TLS_ST_CR_CERT_REQ)
    self->certificate_requested_ = true;
  if ((where & SSL_CB_ALERT) == 0) return;
  const auto description = static_cast<std::uint8_t>(ret & 0xff);
  if (where & SSL_CB_READ)
    self->alert_received_ = description;
  else
    self->alert_sent_ = description;
}

} // namespace tern::crypto
