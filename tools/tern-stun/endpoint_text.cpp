#include "endpoint_text.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/address.hpp>

#include <charconv>

namespace tern::tools {

std::optional<std::string> split_host_port(std::string_view text, std::string& host, std::uint16_t& port) {
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return "missing ']' after the IPv6 address";
    if (close + 1 >= text.size() || text[close + 1] != ':') return "missing ':PORT' after ']'";
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return "missing ':PORT'";
    if (text.find(':') != colon) return "IPv6 addresses need brackets, as in [2001:db8::1]:3478";
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (host.empty()) return "missing host";
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
  if (port_text.empty() || ec != std::errc{} || end != port_text.data() + port_text.size() || value > 65535)
    return "port must be a number from 0 to 65535";
  port = static_cast<std::uint16_t>(value);
  return std::nullopt;
}

std::optional<asio::ip::udp::endpoint> resolve(asio::io_context& io, std::string_view text, int family,
                                               std::string& error) {
  std::string host;
  std::uint16_t port = 0;
  if (auto why = split_host_port(text, host, port)) {
    error = "invalid address '" + std::string(text) + "': " + *why;
    return std::nullopt;
  }
  if (port == 0) {
    error = "invalid address '" + std::string(text) + "': port 0 cannot be queried";
    return std::nullopt;
  }
  asio::ip::udp::resolver resolver{io};
  std::error_code ec;
  const auto results =
      resolver.resolve(host, std::to_string(port), asio::ip::udp::resolver::numeric_service, ec);
  if (ec) {
    error = "cannot resolve '" + host + "': " + ec.message();
    return std::nullopt;
  }
  for (const auto& entry : results) {
    const auto ep = entry.endpoint();
    if (family == 4 && !ep.address().is_v4()) continue;
    if (family == 6 && !ep.address().is_v6()) continue;
    return ep;
  }
  error = "'" + host + "' has no IPv" + std::to_string(family) + " address";
  return std::nullopt;
}

std::optional<asio::ip::udp::endpoint> parse_numeric(std::string_view text, std::string& error) {
  std::string host;
  std::uint16_t port = 0;
  if (auto why = split_host_port(text, host, port)) {
    error = "invalid address '" + std::string(text) + "': " + *why;
    return std::nullopt;
  }
  std::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) {
    error =
        "invalid address '" + std::string(text) + "': '" + host + "' is not a numeric IPv4 or IPv6 address";
    return std::nullopt;
  }
  return asio::ip::udp::endpoint{address, port};
}

stun::transport_address to_transport(const asio::ip::udp::endpoint& ep) {
  auto address = ep.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
  if (address.is_v4()) return stun::transport_address::ipv4(address.to_v4().to_bytes(), ep.port());
  return stun::transport_address::ipv6(address.to_v6().to_bytes(), ep.port());
}

asio::ip::udp::endpoint to_asio(const stun::transport_address& a) {
  if (a.family == stun::address_family::ipv4)
    return {asio::ip::address_v4{{a.ip[0], a.ip[1], a.ip[2], a.ip[3]}}, a.port};
  return {asio::ip::address_v6{a.ip}, a.port};
}

std::string to_text(const asio::ip::udp::endpoint& ep) { return to_transport(ep).to_string(); }

} // namespace tern::tools
