#include "core/initial_check.hpp"

#include "core/packet_protection.hpp"
#include "wire/packet_number.hpp"

#include <algorithm>

namespace tern::core {

bool initial_authenticates(std::span<const std::byte> datagram, const wire::decoded_header& h,
                           const wire::connection_id& key_dcid, time_point now, std::vector<std::byte>& scratch) {
  if (h.packet_length > datagram.size() || h.packet_number_offset + 2 > h.header_length) return false;
  scratch.assign(datagram.begin(), datagram.begin() + static_cast<std::ptrdiff_t>(h.packet_length));
  packet_protection keys;
  if (keys.install_handshake(crypto::tls_role::server, key_dcid.bytes())) return false;
  const std::span<std::byte> packet(scratch);
  if (keys.remove_header_protection(wire::packet_type::initial, packet, h.packet_number_offset)) return false;
  const std::size_t pn = h.packet_number_offset;
  const auto truncated = static_cast<std::uint16_t>((std::to_integer<unsigned>(packet[pn]) << 8) |
                                                    std::to_integer<unsigned>(packet[pn + 1]));
  std::span<std::byte> plaintext;
  if (keys.open(wire::packet_type::initial, false, wire::expand_packet_number(truncated, std::nullopt), packet, h.header_length, now,
                plaintext))
    return false;
  return (std::to_integer<std::uint8_t>(packet[0]) & wire::long_reserved_mask) == 0 && !plaintext.empty();
}

} // namespace tern::core
