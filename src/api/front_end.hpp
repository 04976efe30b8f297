#pragma once

// What every public front end of tern shares, Asio or not (docs/api.md):
// the one check of a tern::config, its translation for the core, this
// side's certificate and TLS contexts, the random source, and the sans-IO
// core::endpoint that routes and admits. tern::endpoint (src/asio) adds a
// socket, a timer and a send batch around it; tern::sans_io::endpoint
// (src/api/sans_io.cpp) hands it to the application's own loop.

#include "api/client_tls_cache.hpp"
#include "api/tls.hpp"
#include "core/endpoint.hpp"

#include <tern/config.hpp>
#include <tern/connection_stats.hpp>
#include <tern/random.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

namespace tern::detail {

/// Converts the core's and the stream layer's local error codes to
/// tern::errc; others (TLS, system, Asio) pass through unchanged.
std::error_code public_error(std::error_code ec) noexcept;

/// invalid_argument for a config that cannot work (sizes below 1200 bytes,
/// zero batch or connection limits, negative intervals, a zero token
/// lifetime with require_address_validation, client pins with client_auth
/// none, ...).
std::error_code check_config(const config& cfg);
/// tern::config -> the core's connection config (TLS fields excluded),
/// with a qlog::trace_directory for qlog_dir(cfg) when there is one.
core::connection_config core_config(const config& cfg);
/// cfg.qlog_dir, or the TERN_QLOG_DIR environment variable when it is
/// empty; empty when neither is set.
std::string qlog_dir(const config& cfg);
/// tern::config -> the core endpoint's config (server_tls left to the caller).
core::endpoint_config core_endpoint_config(const config& cfg);
/// invalid_argument when qlog_dir(cfg) is set and is not an existing
/// directory: a typo must not silently leave every connection untraced.
std::error_code check_qlog_dir(const config& cfg);

/// A message event of the core as the public API delivers it.
received_message public_message(stream::message_event&& e);

/// The core's counters as the public API reports them.
connection_stats public_stats(const core::connection_stats& c) noexcept;

/// A seed from the operating system, for front ends given none.
std::uint64_t fresh_seed();

/// One opened front end. Not movable: the core endpoint refers to the
/// random source beside it.
class front_end {
public:
  /// Checks `cfg`, loads or generates the certificate, builds the server
  /// TLS context (accept_connections) and the core endpoint. `seed` drives
  /// the random source; 0 draws one from the operating system. Errors:
  /// invalid_argument, the certificate and TLS layers'.
  front_end(const config& cfg, std::uint64_t seed, std::error_code& ec);
  front_end(const front_end&) = delete;
  front_end& operator=(const front_end&) = delete;

  const config& cfg() const noexcept { return cfg_; }
  const crypto::tls_identity& identity() const noexcept { return identity_; }
  core::endpoint& core() noexcept { return *core_; }
  random_source& rng() noexcept { return rng_; }

  /// The client TLS context for `options` (kept for later connects with the
  /// same options: client_tls_cache).
  /// Errors: the TLS layer's configuration errors.
  std::shared_ptr<const crypto::tls_context> client_tls(const connect_options& options, std::error_code& ec);

private:
  config cfg_;
  crypto::tls_identity identity_;
  client_tls_cache client_tls_;
  random_source rng_{0};
  std::optional<core::endpoint> core_;
};

} // namespace tern::detail
