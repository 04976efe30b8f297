#pragma once

#include <system_error>

namespace tern::recovery {

/// Errors the recovery area reports. Each is a protocol violation by the peer.
enum class recovery_errc {
  ack_of_unsent_packet = 1, ///< an ACK names a packet number never sent
  invalid_ack_ranges,       ///< ranges empty, unsorted, overlapping or adjacent
};

const std::error_category& recovery_category() noexcept;

inline std::error_code make_error_code(recovery_errc e) noexcept {
  return {static_cast<int>(e), recovery_category()};
}

} // namespace tern::recovery

template <>
struct std::is_error_code_enum<tern::recovery::recovery_errc> : std::true_type {};
