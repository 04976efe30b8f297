#pragma once

// tern-cp's application protocol, version 1 (docs/tern-cp.md). One
// bidirectional stream per file. Sender -> receiver: one header line
//   "TERNCP1 <size> <mode-octal> <sha256-hex> <path>\n"
// then exactly <size> bytes of content, then FIN. Receiver -> sender: one
// result line, "OK\n" or "ERR <reason>\n", then FIN.
//
// Resuming (send --resume): the header starts with "TERNCP1R" instead; the
// receiver answers "HAVE <n> <sha256-hex of those n bytes>\n" for the
// prefix it kept from an interrupted transfer (0 and the empty hash if
// none), the sender answers "FROM <n>\n" if its own first n bytes hash the
// same, else "FROM 0\n", and sends the content from there.

#include "crypto/sha256.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern_cp {

inline constexpr std::string_view protocol_magic = "TERNCP1";
inline constexpr std::string_view resume_magic = "TERNCP1R";
/// A header line longer than this is refused (paths are capped well below).
inline constexpr std::size_t max_header_line = 8192;

struct file_header {
  std::string path; ///< relative, '/'-separated; checked by safe_path on receipt
  std::uint64_t size = 0;
  std::uint32_t mode = 0644;
  std::string sha256_hex; ///< 64 lowercase hex digits
  bool resume = false;    ///< the sender asks what the receiver kept (resume_magic)
};

/// The header line, newline included.
std::string encode_header(const file_header& h);
/// Parses one header line (without its newline); nullopt if malformed.
std::optional<file_header> decode_header(std::string_view line);

/// "HAVE <n> <sha256-hex>\n": the receiver kept `n` bytes hashing to `sha256_hex`.
std::string encode_have(std::uint64_t n, std::string_view sha256_hex);
/// nullopt if malformed; `sha256_hex` filled otherwise.
std::optional<std::uint64_t> decode_have(std::string_view line, std::string& sha256_hex);
/// "FROM <n>\n": the content that follows starts at byte `n`.
std::string encode_from(std::uint64_t n);
std::optional<std::uint64_t> decode_from(std::string_view line);

std::string encode_result(bool ok, std::string_view reason);
/// true for "OK"; false with `reason` filled otherwise.
bool decode_result(std::string_view line, std::string& reason);

/// The digest of what `hash` has seen so far as the protocol writes it (64
/// lowercase hex digits); `hash` may go on.
std::string hex_digest(const tern::crypto::sha256_hasher& hash);

} // namespace tern_cp
