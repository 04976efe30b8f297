// docs/api.md, "Streams": on a connection `c`, a stream written with `data`,
// then read into `line`.
#include "snippet_context.hpp"

asio::awaitable<void> streams_snippet(tern::connection& c, std::string data, std::string line) {
#include "api_md/streams.inc"
}
