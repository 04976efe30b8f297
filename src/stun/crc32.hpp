#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace tern::stun {

/// CRC-32 as used by FINGERPRINT (RFC 8489 §14.7 refers to ITU-T V.42 /
/// ISO-HDLC: reflected polynomial 0xEDB88320, initial and final XOR
/// 0xFFFFFFFF). `crc` lets a checksum run over several pieces: pass the
/// previous return value to continue. crc32("123456789") == 0xCBF43926.
std::uint32_t crc32(std::span<const std::byte> data, std::uint32_t crc = 0) noexcept;

} // namespace tern::stun
