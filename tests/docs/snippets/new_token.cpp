// docs/api.md, "Skipping the Retry next time (NEW_TOKEN)": a client endpoint
// `ep` connecting twice to `server`.
#include "snippet_context.hpp"

asio::awaitable<void> new_token_snippet(tern::endpoint& ep, asio::ip::udp::endpoint server,
                                        tern::connect_options options) {
#include "api_md/new_token.inc"
}
