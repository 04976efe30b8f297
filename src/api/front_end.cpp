#include "api/front_end.hpp"

#include "crypto/tls_warm_up.hpp"

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
  // OpenSSL's first context costs milliseconds; pay them now rather than
  // between a client's connect() and its first packet.
  crypto::warm_up_tls();
}

std::shared_ptr<const crypto::tls_context> front_end::client_tls(const connect_options& options, std::error_code& ec) {
  return client_tls_.get(cfg_, options, identity_, ec);
}

} // namespace tern::detail
