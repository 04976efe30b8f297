#include <tern/address.hpp>

#include <arpa/inet.h>

#include <charconv>

namespace tern {

address address::ipv4(std::array<std::uint8_t, 4> octets, std::uint16_t port) noexcept {
  address a;
  a.family = address_family::ipv4;
  for (std::size_t i = 0; i < 4; ++i) a.ip[i] = octets[i];
  a.port = port;
  return a;
}

address address::ipv6(const std::array<std::uint8_t, 16>& octets,
                                          std::uint16_t port) noexcept {
  address a;
  a.family = address_family::ipv6;
  a.ip = octets;
  a.port = port;
  return a;
}

std::string address::ip_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  const int af = family == address_family::ipv4 ? AF_INET : AF_INET6;
  if (inet_ntop(af, ip.data(), text, sizeof text) == nullptr) return {};
  return text;
}

std::string address::to_string() const {
  const std::string host = ip_string();
  const std::string p = std::to_string(port);
  return family == address_family::ipv4 ? host + ":" + p : "[" + host + "]:" + p;
}

std::optional<address> parse_address(std::string_view text) {
  std::string host;
  std::string_view port_text;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    v6 = true;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) return std::nullopt;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535)
    return std::nullopt;
  address a;
  a.port = static_cast<std::uint16_t>(port);
  if (v6) {
    a.family = address_family::ipv6;
    if (inet_pton(AF_INET6, host.c_str(), a.ip.data()) != 1) return std::nullopt;
  } else {
    a.family = address_family::ipv4;
    if (inet_pton(AF_INET, host.c_str(), a.ip.data()) != 1) return std::nullopt;
  }
  return a;
}

} // namespace tern
