#include "core/errc.hpp"

#include <string>

namespace tern::core {
namespace {

class category final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern.core"; }
  std::string message(int ev) const override {
    switch (static_cast<core_errc>(ev)) {
    case core_errc::idle_timeout: return "idle timeout";
    case core_errc::closed_locally: return "connection closed by the application";
    case core_errc::closed_by_peer: return "connection closed by the peer";
    case core_errc::transport_error: return "connection closed after a protocol error by the peer";
    case core_errc::handshake_timeout: return "handshake timed out";
    case core_errc::not_established: return "connection not established";
    case core_errc::connection_closed: return "connection closed";
    case core_errc::unknown_stream: return "unknown stream";
    case core_errc::invalid_stream_direction: return "stream has no half for this operation";
    case core_errc::path_validation_failed: return "path validation failed";
    case core_errc::aead_limit_reached: return "AEAD usage limit reached";
    case core_errc::too_many_connections: return "too many connections";
    }
    return "unknown tern.core error";
  }
};

} // namespace

const std::error_category& core_category() noexcept {
  static const category c;
  return c;
}

} // namespace tern::core
