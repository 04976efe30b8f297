// docs/api.md, "Bring your own I/O": the event loop of an application that
// owns its socket, on <tern/sans_io.hpp> alone (no Asio). What the loop
// leaves to the application is declared here: its socket `fd` and a
// `sendto` for it, the datagram it just received (`bytes`, `from`), a
// buffer for outgoing packets, its connections (examples/poll_loop has
// all of it for real).
#include <tern/sans_io.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

using std::chrono::steady_clock;

namespace snippet {

// The application's send on its own socket (sendto(2) in examples/poll_loop).
void sendto(int fd, std::span<const std::byte> buf, std::size_t size, const tern::address& to);

void sans_io_loop_snippet(const tern::config& cfg, const tern::address& server, int fd,
                          std::span<const std::byte> bytes, const tern::address& from) {
  std::array<std::byte, 65536> storage{};
  std::span<std::byte> buf{storage};
  std::vector<std::unique_ptr<tern::sans_io::connection>> conns;
  std::vector<tern::sans_io::connection*> touched;
#include "api_md/sans_io_loop.inc"
}

} // namespace snippet
