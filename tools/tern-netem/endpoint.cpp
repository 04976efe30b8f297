#include "endpoint.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace tern::netem {

std::uint16_t endpoint::port() const noexcept {
  if (storage.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

bool endpoint::operator==(const endpoint& other) const noexcept {
  return length == other.length && std::memcmp(&storage, &other.storage, length) == 0;
}

std::optional<endpoint> parse_endpoint(std::string_view text) {
  std::string host;
  std::string_view port_text;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    host = std::string{text.substr(1, close - 1)};
    port_text = text.substr(close + 2);
    v6 = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = std::string{text.substr(0, colon)};
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || ptr != port_text.data() + port_text.size() || port > 65535)
    return std::nullopt;
  if (host == "localhost") host = "127.0.0.1";

  endpoint e;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&e.storage);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET6, host.c_str(), &a->sin6_addr) != 1) return std::nullopt;
    e.length = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&e.storage);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<std::uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &a->sin_addr) != 1) return std::nullopt;
    e.length = sizeof(sockaddr_in);
  }
  return e;
}

std::string to_string(const endpoint& e) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (e.family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&e.storage)->sin_addr, buf, sizeof buf);
    return std::string{buf} + ":" + std::to_string(e.port());
  }
  if (e.family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&e.storage)->sin6_addr, buf, sizeof buf);
    return "[" + std::string{buf} + "]:" + std::to_string(e.port());
  }
  return "?";
}

std::string endpoint_key(const endpoint& e) {
  return std::string{reinterpret_cast<const char*>(&e.storage), e.length};
}

} // namespace tern::netem
