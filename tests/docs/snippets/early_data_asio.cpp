// docs/api.md, "Resumption and 0-RTT", through the Asio API: a client
// endpoint `ep` (config with session_tickets) resuming with `ticket`, one
// request that is safe to replay and an upload that is not.
#include "snippet_context.hpp"

asio::awaitable<void> early_data_asio_snippet(tern::endpoint& ep, asio::ip::udp::endpoint server,
                                              tern::connect_options options, std::vector<std::byte> ticket,
                                              std::string idempotent_request, std::vector<std::byte> upload) {
#include "api_md/early_data_asio.inc"
}
