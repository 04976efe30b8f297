#include "nat_table.hpp"

#include <arpa/inet.h>

namespace tern::netem {

std::optional<nat_filtering> parse_nat_filtering(std::string_view text) {
  if (text == "eif") return nat_filtering::endpoint_independent;
  if (text == "adf") return nat_filtering::address_dependent;
  if (text == "apdf") return nat_filtering::address_and_port_dependent;
  return std::nullopt;
}

std::string_view to_string(nat_filtering f) noexcept {
  switch (f) {
  case nat_filtering::endpoint_independent:
    return "eif";
  case nat_filtering::address_dependent:
    return "adf";
  case nat_filtering::address_and_port_dependent:
    return "apdf";
  }
  return "apdf";
}

std::string nat_table::key_of(const endpoint& remote) const {
  if (filtering_ == nat_filtering::address_and_port_dependent) return endpoint_key(remote);
  // Address-dependent: the host only, whatever the port.
  char text[INET6_ADDRSTRLEN] = {};
  if (remote.family() == AF_INET)
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(remote.addr())->sin_addr, text, sizeof text);
  else
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(remote.addr())->sin6_addr, text,
                sizeof text);
  return text;
}

void nat_table::on_outbound(const endpoint& remote, time_point now) {
  last_outbound_ = now;
  if (filtering_ != nat_filtering::endpoint_independent) last_sent_to_[key_of(remote)] = now;
}

bool nat_table::permits(const endpoint& remote, time_point now) const {
  if (!last_outbound_ || now - *last_outbound_ >= timeout_) return false; // no live mapping
  if (filtering_ == nat_filtering::endpoint_independent) return true;
  const auto it = last_sent_to_.find(key_of(remote));
  return it != last_sent_to_.end() && now - it->second < timeout_;
}

std::size_t nat_table::live_permissions(time_point now) const {
  if (!last_outbound_ || now - *last_outbound_ >= timeout_) return 0;
  if (filtering_ == nat_filtering::endpoint_independent) return 1;
  std::size_t n = 0;
  for (const auto& [key, at] : last_sent_to_)
    if (now - at < timeout_) ++n;
  return n;
}

} // namespace tern::netem
