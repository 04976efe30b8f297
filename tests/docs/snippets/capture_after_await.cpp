// docs/api.md, "A GCC 12 pitfall with coroutines": a coroutine that hands
// its connection `c` to another coroutine it spawns.
#include "snippet_context.hpp"

asio::awaitable<void> capture_after_await_snippet(tern::connection c) {
#include "api_md/capture_after_await.inc"
}
