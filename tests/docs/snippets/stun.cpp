// docs/api.md, "STUN on the endpoint's socket": an endpoint `ep` asking
// `stun_server` for its reflexive address, then waiting for it to change.
#include "snippet_context.hpp"

asio::awaitable<void> stun_snippet(tern::endpoint& ep, asio::ip::udp::endpoint stun_server) {
#include "api_md/stun.inc"
}
