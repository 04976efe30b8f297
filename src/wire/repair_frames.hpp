#pragma once

// The forward error correction frames (docs/fec.md, docs/protocol.md
// "Forward error correction"): REPAIR carries one Reed-Solomon repair symbol
// over a block of 1-RTT packets named by packet number; REPAIR_REPORT tells
// the sender what the receiver's side of the path lost, which the sender
// cannot see once repair hides its losses from the ACKs.
//
// Codecs as in frames.hpp (encoded_size / encode / decode, the type byte
// included); the frames also belong to the `frame` variant.

#include "wire/reader.hpp"
#include "wire/writer.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>

namespace tern::wire {

/// Bounds every REPAIR frame keeps (more is FRAME_ENCODING_ERROR), so what
/// a receiver holds for a block is bounded by what the frame itself says.
namespace repair_bounds {
/// Packet numbers a block's source mask spans: first_packet .. first_packet + 63.
inline constexpr std::uint64_t max_span = 64;
/// Source packets in one block (set bits of the mask).
inline constexpr std::uint64_t max_sources = 32;
/// Repair symbols of one block.
inline constexpr std::uint64_t max_repairs = 16;
/// Bytes of one symbol: a source packet's 2-byte length and payload, padded.
inline constexpr std::uint64_t max_symbol_length = 2 + 1500;
} // namespace repair_bounds

/// REPAIR (0x38): repair symbol `repair_index` of the `repair_count` of a
/// block whose sources are the 1-RTT packets first_packet + i for every bit
/// i set in source_mask (bit 0 always set).
struct repair_frame {
  std::uint64_t first_packet = 0;
  std::uint64_t source_mask = 1;
  std::uint64_t repair_count = 1;
  std::uint64_t repair_index = 0;
  std::span<const std::byte> symbol;
  /// Sources in the block.
  std::size_t source_count() const noexcept;
  friend bool operator==(const repair_frame& a, const repair_frame& b) noexcept {
    return a.first_packet == b.first_packet && a.source_mask == b.source_mask && a.repair_count == b.repair_count &&
           a.repair_index == b.repair_index && std::ranges::equal(a.symbol, b.symbol);
  }
};

/// REPAIR_REPORT (0x39): the receiver's counts since the connection began,
/// each never decreasing: 1-RTT packet numbers it has accounted for,
/// those that never arrived (before repair), the loss events they formed
/// (runs of consecutive missing numbers), and packets rebuilt by repair.
struct repair_report_frame {
  std::uint64_t packets_seen = 0;
  std::uint64_t packets_missing = 0;
  std::uint64_t loss_events = 0;
  std::uint64_t packets_recovered = 0;
  friend constexpr bool operator==(const repair_report_frame&, const repair_report_frame&) noexcept = default;
};

/// Most bytes a REPAIR frame adds around its symbol (type, packet number,
/// mask, counts, length).
inline constexpr std::size_t max_repair_frame_overhead = 1 + 8 + 8 + 1 + 1 + 2;

std::size_t encoded_size(const repair_frame& f) noexcept;
/// Errors: no_space; invalid_repair_block when the frame breaks repair_bounds.
[[nodiscard]] std::error_code encode(writer& w, const repair_frame& f) noexcept;
/// Errors: truncated, wrong_frame_type, invalid_repair_block (mask without
/// bit 0, too many sources, repair_count 0 or above max_repairs, index not
/// below the count, an empty or oversized symbol).
[[nodiscard]] std::error_code decode(reader& r, repair_frame& f) noexcept;

std::size_t encoded_size(const repair_report_frame& f) noexcept;
[[nodiscard]] std::error_code encode(writer& w, const repair_report_frame& f) noexcept;
/// Errors: truncated, wrong_frame_type, invalid_repair_block (more missing
/// than seen, more loss events than missing packets).
[[nodiscard]] std::error_code decode(reader& r, repair_report_frame& f) noexcept;

/// The type byte of each (for the `frame` variant's type_of).
std::uint8_t type_byte(const repair_frame&) noexcept;
std::uint8_t type_byte(const repair_report_frame&) noexcept;

namespace detail {
/// The bodies, after a type byte decode_frame already consumed.
[[nodiscard]] std::error_code decode_repair_body(reader& r, repair_frame& f) noexcept;
[[nodiscard]] std::error_code decode_repair_report_body(reader& r, repair_report_frame& f) noexcept;
} // namespace detail

} // namespace tern::wire
