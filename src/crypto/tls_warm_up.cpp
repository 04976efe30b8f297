#include "crypto/tls_warm_up.hpp"

#include "crypto/openssl_util.hpp"

#include <mutex>

namespace tern::crypto {

void warm_up_tls() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    detail::error_queue_guard guard;
    // A throwaway context: its construction is what fills OpenSSL's caches.
    const detail::ssl_ctx_ptr ctx(SSL_CTX_new_ex(nullptr, nullptr, TLS_method()));
  });
}

} // namespace tern::crypto
