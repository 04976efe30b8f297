// docs/protocol.md against the frame type codes the library speaks
// (src/wire/frame_type.hpp), in both directions: the table of section 6.2
// (name, code, packet types that may carry it) and the section 7 headings.
#include <doctest/doctest.h>

#include "markdown.hpp"

#include "wire/frame_type.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using namespace tern::wire;
namespace md = tern::test::markdown;

namespace {

// Every frame type constant of the library, as a range of codes, with the
// name docs/protocol.md gives it. Kept in step with frame_type.hpp by the
// first test case below, with the document by the others.
struct frame_range {
  std::uint8_t first;
  std::uint8_t last;
  const char* doc_name;
};
constexpr frame_range library_frames[] = {
    {frame_type::padding, frame_type::padding, "PADDING"},
    {frame_type::ping, frame_type::ping, "PING"},
    {frame_type::ack, frame_type::ack_ecn, "ACK"},
    {frame_type::reset_stream, frame_type::reset_stream, "RESET_STREAM"},
    {frame_type::stop_sending, frame_type::stop_sending, "STOP_SENDING"},
    {frame_type::crypto, frame_type::crypto, "CRYPTO"},
    {frame_type::new_token, frame_type::new_token, "NEW_TOKEN"},
    {frame_type::stream, frame_type::stream_last, "STREAM"},
    {frame_type::max_data, frame_type::max_data, "MAX_DATA"},
    {frame_type::max_stream_data, frame_type::max_stream_data, "MAX_STREAM_DATA"},
    {frame_type::max_streams_bidi, frame_type::max_streams_uni, "MAX_STREAMS"},
    {frame_type::data_blocked, frame_type::data_blocked, "DATA_BLOCKED"},
    {frame_type::stream_data_blocked, frame_type::stream_data_blocked, "STREAM_DATA_BLOCKED"},
    {frame_type::streams_blocked_bidi, frame_type::streams_blocked_uni, "STREAMS_BLOCKED"},
    {frame_type::new_connection_id, frame_type::new_connection_id, "NEW_CONNECTION_ID"},
    {frame_type::retire_connection_id, frame_type::retire_connection_id, "RETIRE_CONNECTION_ID"},
    {frame_type::path_challenge, frame_type::path_challenge, "PATH_CHALLENGE"},
    {frame_type::path_response, frame_type::path_response, "PATH_RESPONSE"},
    {frame_type::connection_close, frame_type::connection_close, "CONNECTION_CLOSE (transport)"},
    {frame_type::connection_close_app, frame_type::connection_close_app, "CONNECTION_CLOSE (application)"},
    {frame_type::handshake_done, frame_type::handshake_done, "HANDSHAKE_DONE"},
    {frame_type::datagram, frame_type::datagram_last, "DATAGRAM"},
    {frame_type::message_abandon, frame_type::message_abandon, "MESSAGE_ABANDON"},
    {frame_type::flow_message, frame_type::flow_message, "FLOW_MESSAGE"},
    {frame_type::flow_abandon, frame_type::flow_abandon, "FLOW_ABANDON"},
    {frame_type::repair, frame_type::repair, "REPAIR"},
    {frame_type::repair_report, frame_type::repair_report, "REPAIR_REPORT"},
};

// Frame type codes are 1-byte varints (protocol.md 6.1): nothing above 63
// can be a frame type, so 0..255 covers every code and some beyond.
constexpr unsigned codes_checked = 256;

std::map<std::uint64_t, std::string> library_names() {
  std::map<std::uint64_t, std::string> out;
  for (const auto& f : library_frames)
    for (unsigned code = f.first; code <= f.last; ++code) out[code] = f.doc_name;
  return out;
}

std::string protocol_md() { return md::read_file(TERN_SOURCE_DIR "/docs/protocol.md"); }

// The codes a cell or heading names: "0x04", "0x08–0x0f" (an en dash or a
// hyphen: every code of the range), "0x02, 0x03", "0x1a) and ... (0x1b".
std::vector<std::uint64_t> codes_in(std::string_view text) {
  std::vector<std::uint64_t> out;
  std::size_t previous_end = std::string_view::npos;
  for (auto at = text.find("0x"); at != std::string_view::npos; at = text.find("0x", at)) {
    const auto digits = text.find_first_not_of("0123456789abcdefABCDEF", at + 2);
    const auto end = digits == std::string_view::npos ? text.size() : digits;
    if (end == at + 2) {
      at += 2;
      continue;
    }
    const std::uint64_t value = std::stoull(std::string(text.substr(at + 2, end - at - 2)), nullptr, 16);
    const auto between = previous_end == std::string_view::npos ? std::string_view{}
                                                                : text.substr(previous_end, at - previous_end);
    if ((between == "–" || between == "-") && !out.empty()) {
      for (std::uint64_t c = out.back() + 1; c <= value; ++c) out.push_back(c);
    } else {
      out.push_back(value);
    }
    previous_end = end;
    at = end;
  }
  return out;
}

// The title of a section 7 heading ("### 7.8 STREAM (0x08–0x0f)" gives
// "STREAM (0x08–0x0f)"), or "" for any other line.
std::string_view section_7_title(std::string_view line) {
  constexpr std::string_view prefix = "### 7.";
  if (!line.starts_with(prefix)) return {};
  const auto space = line.find_first_not_of("0123456789", prefix.size());
  if (space == prefix.size() || space == std::string_view::npos || line[space] != ' ') return {};
  return line.substr(space + 1);
}

// The name a heading must contain for a table name: "CONNECTION_CLOSE" for
// "CONNECTION_CLOSE (transport)".
std::string base_name(const std::string& doc_name) { return doc_name.substr(0, doc_name.find(" (")); }

} // namespace

TEST_CASE("frame types: the test's list holds every code the library knows, and only those") {
  const auto names = library_names();
  for (unsigned code = 0; code < codes_checked; ++code) {
    CAPTURE(code);
    CHECK(is_known_frame_type(code) == names.contains(code));
  }
}

TEST_CASE("frame types: docs/protocol.md 6.2 names every code as the library does, both ways") {
  const auto table = md::table_under(protocol_md(), "### 6.2 Frames permitted in each packet type");
  REQUIRE(table.header == std::vector<std::string>{"Frame", "Type", "Initial", "Handshake", "0-RTT", "1-RTT"});
  const auto library = library_names();
  std::map<std::uint64_t, std::string> documented;
  for (const auto& row : table.rows) {
    REQUIRE(row.size() == 6);
    CAPTURE(row[0]);
    const auto codes = codes_in(row[1]);
    CHECK_FALSE(codes.empty());
    for (const auto code : codes) {
      CAPTURE(code);
      CHECK_FALSE(documented.contains(code)); // one row per code
      documented[code] = row[0];
      // The packet types the row ticks are those the library accepts it in.
      CHECK(is_frame_allowed(code, packet_type::initial) == (row[2] == "✓"));
      CHECK(is_frame_allowed(code, packet_type::handshake) == (row[3] == "✓"));
      CHECK(is_frame_allowed(code, packet_type::zero_rtt) == (row[4] == "✓"));
      CHECK(is_frame_allowed(code, packet_type::one_rtt) == (row[5] == "✓"));
    }
  }
  for (const auto& [code, name] : documented) {
    CAPTURE(code);
    CHECK(library.contains(code));
    if (library.contains(code)) CHECK(library.at(code) == name);
  }
  for (const auto& [code, name] : library) {
    CAPTURE(code);
    CHECK_MESSAGE(documented.contains(code), name << " is missing from the table");
  }
}

TEST_CASE("frame types: the section 7 headings cover every code once, under its name") {
  const auto library = library_names();
  std::map<std::uint64_t, std::string> headed;
  const auto text = protocol_md();
  for (const auto line : md::lines(text)) {
    const std::string title{section_7_title(line)};
    if (title.empty()) continue;
    CAPTURE(title);
    const auto codes = codes_in(title);
    CHECK_FALSE(codes.empty());
    for (const auto code : codes) {
      CAPTURE(code);
      CHECK_FALSE(headed.contains(code));
      headed[code] = title;
      REQUIRE(library.contains(code));
      CHECK(title.find(base_name(library.at(code))) != std::string::npos);
    }
  }
  for (const auto& [code, name] : library) {
    CAPTURE(code);
    CHECK_MESSAGE(headed.contains(code), name << " has no section 7 heading");
  }
}
