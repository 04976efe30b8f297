// docs/api.md, "Early messages": a client endpoint `ep` (config with
// session_tickets) resuming with `ticket`, a video frame on a flow allowed
// early and a chat line on a flow that is not.
#include "snippet_context.hpp"

asio::awaitable<void> early_messages_snippet(tern::endpoint& ep, asio::ip::udp::endpoint server,
                                             tern::connect_options options, std::vector<std::byte> ticket,
                                             std::vector<std::byte> frame, std::string chat_line) {
#include "api_md/early_messages.inc"
}
