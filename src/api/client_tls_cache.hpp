#pragma once

// The client TLS contexts of one front end, kept for the next connect with
// the same verification choices. Building a context (SSL_CTX_new, cipher
// suites, verification mode) costs 0.2-0.4 ms of CPU on this project's VM,
// and it sits between connect() and the first packet: a reconnect (tern-cp
// --retries, a media app after a network change) with the same options
// should not pay it again. The key is every connect option that shapes the
// context, so a connection never inherits another's verification (a
// connect that accepts any server key must not leave its context to a
// later one that pins).

#include "crypto/certificate.hpp"
#include "crypto/tls_session.hpp"

#include <tern/config.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace tern::detail {

class client_tls_cache {
public:
  /// Contexts kept at most; the least recently used goes first. Few
  /// applications connect with more distinct option sets than this.
  static constexpr std::size_t capacity = 8;

  /// The context for `options` (built with make_client_tls on a miss).
  /// Errors: the TLS layer's configuration errors (nothing is kept then).
  std::shared_ptr<const crypto::tls_context> get(const config& cfg, const connect_options& options,
                                                 const crypto::tls_identity& identity, std::error_code& ec);

  std::size_t size() const noexcept { return entries_.size(); }

private:
  /// What make_client_tls reads from the connect options.
  struct key {
    bool accept_any = false;
    std::vector<std::string> pins;
    std::string server_name;
    std::vector<std::string> alpn;
    bool operator==(const key&) const = default;
  };
  struct entry {
    key k;
    std::shared_ptr<const crypto::tls_context> tls;
  };
  std::vector<entry> entries_; ///< most recently used first
};

} // namespace tern::detail
