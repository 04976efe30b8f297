#include "api/client_tls_cache.hpp"

#include "api/tls.hpp"

#include <algorithm>

namespace tern::detail {

std::shared_ptr<const crypto::tls_context> client_tls_cache::get(const config& cfg, const connect_options& options,
                                                                 const crypto::tls_identity& identity,
                                                                 std::error_code& ec) {
  ec.clear();
  key k{options.accept_any_server_key, options.pinned_fingerprints, options.server_name, options.alpn};
  auto hit = std::find_if(entries_.begin(), entries_.end(), [&k](const entry& e) { return e.k == k; });
  if (hit != entries_.end()) {
    std::rotate(entries_.begin(), hit, hit + 1);
    return entries_.front().tls;
  }
  auto tls = make_client_tls(cfg, options, identity, ec);
  if (ec) return nullptr;
  if (entries_.size() == capacity) entries_.pop_back();
  entries_.insert(entries_.begin(), entry{std::move(k), tls});
  return tls;
}

} // namespace tern::detail
