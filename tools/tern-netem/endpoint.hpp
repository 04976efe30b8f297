#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace tern::netem {

/// A UDP endpoint (IPv4 or IPv6).
struct endpoint {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* addr() const noexcept { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* addr() noexcept { return reinterpret_cast<sockaddr*>(&storage); }
  int family() const noexcept { return storage.ss_family; }
  std::uint16_t port() const noexcept;
  bool operator==(const endpoint& other) const noexcept;
};

/// Parses "HOST:PORT" with a numeric IPv4 host, "[IPV6]:PORT", or
/// "localhost:PORT" (127.0.0.1). Port 0 is allowed (bind to an ephemeral
/// port). Returns nothing when the text is not such an address.
std::optional<endpoint> parse_endpoint(std::string_view text);

/// "127.0.0.1:9000" / "[::1]:9000".
std::string to_string(const endpoint& e);

/// A key identifying the endpoint (address and port) for hash maps.
std::string endpoint_key(const endpoint& e);

} // namespace tern::netem
