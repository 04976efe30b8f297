// Conversions between Asio's types and the core's.

#include "asio/api_impl.hpp"

#include <algorithm>

namespace tern::detail {

core::address to_core(const asio::ip::udp::endpoint& e) noexcept {
  const auto a = e.address();
  if (a.is_v4()) return core::address::ipv4(a.to_v4().to_bytes(), e.port());
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped())
    return core::address::ipv4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes(), e.port());
  return core::address::ipv6(v6.to_bytes(), e.port());
}

asio::ip::udp::endpoint to_asio(const core::address& a) noexcept {
  if (a.family == address_family::ipv4) {
    asio::ip::address_v4::bytes_type b{};
    std::copy_n(a.ip.begin(), 4, b.begin());
    return {asio::ip::address_v4(b), a.port};
  }
  asio::ip::address_v6::bytes_type b{};
  std::copy_n(a.ip.begin(), 16, b.begin());
  return {asio::ip::address_v6(b), a.port};
}

recovery::ecn_mark to_core(io::ecn_codepoint e) noexcept {
  switch (e) {
  case io::ecn_codepoint::ect0: return recovery::ecn_mark::ect0;
  case io::ecn_codepoint::ect1: return recovery::ecn_mark::ect1;
  case io::ecn_codepoint::ce: return recovery::ecn_mark::ce;
  case io::ecn_codepoint::not_ect: break;
  }
  return recovery::ecn_mark::not_ect;
}

} // namespace tern::detail
