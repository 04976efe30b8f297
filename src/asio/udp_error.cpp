#include "asio/udp_error.hpp"

#include <cerrno>
#include <string>

namespace tern::io {
namespace {

class io_category_impl final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern.io"; }

  std::string message(int ev) const override {
    switch (static_cast<io_errc>(ev)) {
    case io_errc::would_block: return "operation would block";
    case io_errc::message_too_big: return "datagram larger than the path or interface accepts";
    case io_errc::truncated: return "datagram larger than the receive buffer was truncated";
    case io_errc::not_open: return "socket is not open";
    }
    return "unknown tern.io error";
  }

  std::error_condition default_error_condition(int ev) const noexcept override {
    switch (static_cast<io_errc>(ev)) {
    case io_errc::would_block: return std::errc::operation_would_block;
    case io_errc::message_too_big: return std::errc::message_size;
    case io_errc::not_open: return std::errc::bad_file_descriptor;
    default: return {ev, *this};
    }
  }
};

} // namespace

const std::error_category& io_category() noexcept {
  static const io_category_impl instance;
  return instance;
}

std::error_code make_error_code(io_errc e) noexcept { return {static_cast<int>(e), io_category()}; }

bool is_path_error(const std::error_code& ec) noexcept {
  if (ec.category() != std::system_category() && ec.category() != std::generic_category())
    return false;
  switch (ec.value()) {
  case ECONNREFUSED:
  case ECONNRESET:
  case EHOSTUNREACH:
  case ENETUNREACH:
  case EHOSTDOWN:
  case ENETDOWN:
  case EPROTO:
  case EACCES: // a firewall reject on this destination
  case EPERM:  // a netfilter drop on send
#if defined(ENONET)
  case ENONET:
#endif
    return true;
  default:
    return false;
  }
}

} // namespace tern::io
