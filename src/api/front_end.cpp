#include "api/front_end.hpp"

#include <tern/error.hpp>

#include <random>

namespace tern::detail {

std::uint64_t fresh_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

front_end::front_end(const config& cfg, std::uint64_t seed, std::error_code& ec) : cfg_(cfg) {
  ec = check_config(cfg);
  if (ec) return;
  core::endpoint_config core_cfg = core_endpoint_config(cfg);
  if ((ec = check_qlog_dir(cfg))) return;
  // Protocol choices repeat for a given seed; connection IDs, tokens and
  // path challenges always come from the CSPRNG (random_source::unpredictable).
  rng_ = random_source::unpredictable(seed != 0 ? seed : fresh_seed());
  identity_ = load_identity(cfg, ec);
  if (ec) return;
  if (cfg.accept_connections) {
    core_cfg.server_tls = make_server_tls(cfg, identity_, ec);
    if (ec) return;
  }
  if (core::check(core_cfg)) {
    ec = errc::invalid_argument;
    return;
  }
  core_.emplace(core_cfg, rng_);
}

std::shared_ptr<const crypto::tls_context> front_end::client_tls(const connect_options& options, std::error_code& ec) {
  ec.clear();
  const bool defaults = is_default(options);
  if (defaults && default_client_tls_) return default_client_tls_;
  auto tls = make_client_tls(cfg_, options, identity_, ec);
  if (ec) return nullptr;
  if (defaults) default_client_tls_ = tls;
  return tls;
}

} // namespace tern::detail
