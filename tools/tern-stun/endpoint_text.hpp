#pragma once

// Turning "HOST:PORT" text into UDP endpoints and back, and converting
// between Asio endpoints and tern::stun::transport_address.

#include "stun/address.hpp"

#include <asio/ip/udp.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace tern::tools {

/// Splits "host:port", "[v6]:port" into host and port text. Returns an
/// error message on malformed input (unbracketed IPv6, missing port, a port
/// outside 0-65535), nullopt on success.
std::optional<std::string> split_host_port(std::string_view text, std::string& host, std::uint16_t& port);

/// Resolves "HOST:PORT" to one UDP endpoint (names allowed). `family`: 0
/// any, 4 or 6 to insist on one. Throws nothing; on failure returns nullopt
/// and sets `error` to a one-line explanation.
std::optional<asio::ip::udp::endpoint> resolve(asio::io_context& io, std::string_view text, int family,
                                               std::string& error);

/// Parses a numeric "ADDR:PORT" (no name lookup), for --listen.
std::optional<asio::ip::udp::endpoint> parse_numeric(std::string_view text, std::string& error);

stun::transport_address to_transport(const asio::ip::udp::endpoint& ep);
asio::ip::udp::endpoint to_asio(const stun::transport_address& a);

/// "1.2.3.4:5" or "[::1]:5"; v4-mapped IPv6 addresses are shown as IPv4.
std::string to_text(const asio::ip::udp::endpoint& ep);

} // namespace tern::tools
