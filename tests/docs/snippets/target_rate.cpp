// docs/api.md, "Target rate": an encoder on connection `c` follows the
// target rate.
#include "snippet_context.hpp"

#include <cstdint>

namespace {
struct video_encoder {
  void set_bitrate(std::uint64_t) {}
};
} // namespace

[[maybe_unused]] asio::awaitable<void> target_rate_snippet(tern::connection& c, video_encoder& encoder) {
#include "api_md/target_rate.inc"
}
