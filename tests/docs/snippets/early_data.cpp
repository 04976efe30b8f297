// docs/api.md, "Resumption and 0-RTT": a sans-IO client endpoint `ep`
// resuming with a ticket kept from an earlier connection and writing its
// request before the handshake completes.
#include <tern/sans_io.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

namespace snippet {

void early_data_snippet(tern::sans_io::endpoint& ep, const tern::address& server, std::vector<std::byte> ticket,
                        std::span<const std::byte> idempotent_request, tern::time_point now) {
  std::error_code ec;
#include "api_md/early_data.inc"
  (void)conn;
}

} // namespace snippet
