// tern::errc and the translation of every layer's error codes into it.

#include "api/front_end.hpp"
#include "core/errc.hpp"
#include "stream/stream_errc.hpp"
#include "stun/errc.hpp"

#include <tern/error.hpp>

#include <string>

namespace tern {
namespace {

class api_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
    case errc::idle_timeout: return "idle timeout";
    case errc::closed_locally: return "connection closed by this side";
    case errc::closed_by_peer: return "connection closed by the peer";
    case errc::transport_error: return "connection closed after a protocol error";
    case errc::handshake_timeout: return "handshake timed out";
    case errc::not_established: return "connection not established";
    case errc::connection_closed: return "connection closed";
    case errc::unknown_stream: return "unknown stream";
    case errc::invalid_stream_direction: return "the stream has no half for this operation";
    case errc::path_validation_failed: return "path validation failed";
    case errc::aead_limit_reached: return "AEAD usage limit reached";
    case errc::endpoint_closed: return "endpoint closed";
    case errc::too_many_connections: return "too many connections";
    case errc::stream_reset: return "stream reset by the peer";
    case errc::stopped_by_peer: return "the peer asked to stop sending";
    case errc::stream_closed: return "stream closed for sending";
    case errc::message_too_large: return "message too large";
    case errc::buffer_full: return "send queue full";
    case errc::deadline_passed: return "deadline already passed";
    case errc::invalid_argument: return "invalid argument";
    case errc::stun_timeout: return "STUN server did not answer";
    case errc::stun_error_response: return "STUN server answered with an error";
    case errc::stun_bad_response: return "STUN server sent an unusable response";
    }
    return "unknown tern error";
  }
};

} // namespace

const std::error_category& error_category() noexcept {
  static const api_category c;
  return c;
}

namespace detail {

std::error_code public_error(std::error_code ec) noexcept {
  if (!ec) return ec;
  if (ec.category() == core::core_category()) {
    // core_errc values are mirrored one to one by tern::errc.
    return {ec.value(), error_category()};
  }
  if (ec.category() == stream::stream_category()) {
    switch (static_cast<stream::stream_errc>(ec.value())) {
    case stream::stream_errc::reset_by_peer: return errc::stream_reset;
    case stream::stream_errc::stopped_by_peer: return errc::stopped_by_peer;
    case stream::stream_errc::stream_closed: return errc::stream_closed;
    case stream::stream_errc::message_too_large: return errc::message_too_large;
    case stream::stream_errc::buffer_full: return errc::buffer_full;
    case stream::stream_errc::deadline_passed: return errc::deadline_passed;
    default: return errc::transport_error;
    }
  }
  if (ec.category() == stun::stun_category()) {
    switch (static_cast<stun::stun_errc>(ec.value())) {
    case stun::stun_errc::timeout: return errc::stun_timeout;
    case stun::stun_errc::error_response: return errc::stun_error_response;
    case stun::stun_errc::missing_mapped_address:
    case stun::stun_errc::unknown_comprehension_required: return errc::stun_bad_response;
    default: return ec; // no random transaction ID, and such: category "tern.stun"
    }
  }
  return ec;
}

} // namespace detail
} // namespace tern
