// docs/api.md, "Resumption and 0-RTT": a client endpoint `ep` (config with
// session_tickets) connecting twice to `server`.
#include "snippet_context.hpp"

asio::awaitable<void> resumption_snippet(tern::endpoint& ep, asio::ip::udp::endpoint server,
                                         tern::connect_options options) {
#include "api_md/resumption.inc"
}
