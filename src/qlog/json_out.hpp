#pragma once

// The few JSON pieces the qlog writer emits, formatted straight into a
// string (integer formatting, no printf and its locale).

#include <tern/time.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tern::qlog::json {

void append(std::string& out, std::uint64_t v);
/// Milliseconds with microsecond precision, qlog's unit for times and RTTs.
void append_ms(std::string& out, duration d);
/// A JSON string of a name we control or a controller's state name:
/// anything outside printable ASCII, quotes and backslashes is dropped.
void append_string(std::string& out, std::string_view s);
/// `bytes` as a JSON string of lowercase hex digits.
void append_hex(std::string& out, std::span<const std::byte> bytes);

} // namespace tern::qlog::json
