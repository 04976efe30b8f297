// docs/api.md, "Message flows, unordered delivery, dependencies and
// priorities": on a connection `c`, an audio flow and an unordered video
// flow, a P-frame that depends on its I-frame, and a drop notice's reason.
#include "snippet_context.hpp"

asio::awaitable<void> message_flows_snippet(tern::connection& c, std::vector<std::byte> audio,
                                            std::vector<std::byte> key, std::vector<std::byte> delta) {
#include "api_md/message_flows.inc"
}
