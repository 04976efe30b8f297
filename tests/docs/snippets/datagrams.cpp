// docs/api.md, "Datagrams and deadline messages": on a connection `c`, an
// audio datagram and a video frame sent with deadlines, and their receipt.
#include "snippet_context.hpp"

#include <array>

asio::awaitable<void> datagrams_snippet(tern::connection& c, std::vector<std::byte> audio,
                                        std::vector<std::byte> frame) {
  std::array<std::byte, 1500> buf{};
#include "api_md/datagrams.inc"
}
