#pragma once

// tern::config -> TLS identity and contexts. One place for what the Asio
// endpoint and the public sans-IO context both need, so a certificate, a pin
// or an ALPN list means the same thing whichever driver runs the connection.

#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"

#include <tern/config.hpp>

#include <memory>
#include <system_error>

namespace tern::detail {

/// This side's identity: the PEM chain and key of `cfg` (in memory or
/// files), or a generated self-signed ECDSA P-256 certificate when
/// config::generate_certificate (a server's, or a client's it sends when
/// asked), or none. Errors: the certificate layer's (unreadable file, key
/// mismatch, malformed PEM).
crypto::tls_identity load_identity(const config& cfg, std::error_code& ec);

/// A server context for `identity` with the config's ALPN, cipher suites
/// and client authentication (client_auth; pinned_client_fingerprints
/// checked in the handshake, or any client key when the list is empty).
/// Errors: invalid_argument for an empty identity, the TLS layer's
/// (invalid_configuration for a malformed client pin).
std::shared_ptr<const crypto::tls_context> make_server_tls(const config& cfg, const crypto::tls_identity& identity,
                                                           std::error_code& ec);

/// A client context: the connect options' pins, server name and ALPN where
/// given, else the config's; CA verification only without pins. `identity`
/// (possibly empty) is sent when the server asks for a client certificate.
std::shared_ptr<const crypto::tls_context> make_client_tls(const config& cfg, const connect_options& options,
                                                           const crypto::tls_identity& identity,
                                                           std::error_code& ec);

} // namespace tern::detail
