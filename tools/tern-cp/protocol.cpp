#include "protocol.hpp"

#include "util/hex.hpp"

#include <charconv>
#include <cstdio>

namespace tern_cp {

std::string encode_header(const file_header& h) {
  char mode[16];
  std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(h.mode & 07777));
  return std::string(h.resume ? resume_magic : protocol_magic) + " " + std::to_string(h.size) + " " + mode +
         " " + h.sha256_hex + " " + h.path + "\n";
}

namespace {
bool next_field(std::string_view& rest, std::string_view& field) {
  const auto sp = rest.find(' ');
  if (sp == std::string_view::npos || sp == 0) return false;
  field = rest.substr(0, sp);
  rest.remove_prefix(sp + 1);
  return true;
}
bool parse_u64(std::string_view s, std::uint64_t& v) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return !s.empty() && r.ec == std::errc{} && r.ptr == s.data() + s.size();
}
bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}
} // namespace

std::optional<file_header> decode_header(std::string_view line) {
  std::string_view rest = line, magic, size, mode, hash;
  if (!next_field(rest, magic) || (magic != protocol_magic && magic != resume_magic)) return std::nullopt;
  if (!next_field(rest, size) || !next_field(rest, mode) || !next_field(rest, hash)) return std::nullopt;
  file_header h;
  h.resume = magic == resume_magic;
  if (!parse_u64(size, h.size)) return std::nullopt;
  auto r2 = std::from_chars(mode.data(), mode.data() + mode.size(), h.mode, 8);
  if (r2.ec != std::errc{} || r2.ptr != mode.data() + mode.size() || h.mode > 07777) return std::nullopt;
  if (!is_hex64(hash)) return std::nullopt;
  if (rest.empty() || rest.find('\0') != std::string_view::npos) return std::nullopt;
  h.sha256_hex = hash;
  h.path = rest;
  return h;
}

std::string encode_have(std::uint64_t n, std::string_view sha256_hex) {
  return "HAVE " + std::to_string(n) + " " + std::string(sha256_hex) + "\n";
}

std::optional<std::uint64_t> decode_have(std::string_view line, std::string& sha256_hex) {
  std::string_view rest = line, word, count;
  std::uint64_t n = 0;
  if (!next_field(rest, word) || word != "HAVE" || !next_field(rest, count) || !parse_u64(count, n))
    return std::nullopt;
  if (!is_hex64(rest)) return std::nullopt;
  sha256_hex = rest;
  return n;
}

std::string encode_from(std::uint64_t n) { return "FROM " + std::to_string(n) + "\n"; }

std::optional<std::uint64_t> decode_from(std::string_view line) {
  std::uint64_t n = 0;
  if (!line.starts_with("FROM ") || !parse_u64(line.substr(5), n)) return std::nullopt;
  return n;
}

std::string encode_result(bool ok, std::string_view reason) {
  if (ok) return "OK\n";
  std::string r = "ERR ";
  for (char c : reason) r += (c == '\n' ? ' ' : c);
  return r + "\n";
}

bool decode_result(std::string_view line, std::string& reason) {
  if (line == "OK") return true;
  if (line.starts_with("ERR "))
    reason = line.substr(4);
  else
    reason = "malformed result line from receiver";
  return false;
}

std::string hex_digest(const tern::crypto::sha256_hasher& hash) { return tern::util::to_hex(hash.digest()); }

} // namespace tern_cp
