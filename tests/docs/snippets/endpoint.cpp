// docs/api.md, "Endpoint": a server and a client endpoint in one coroutine,
// the client connecting to the server (examples/echo does it for real).
#include "snippet_context.hpp"

asio::awaitable<void> endpoint_snippet() {
#include "api_md/endpoint.inc"
}
