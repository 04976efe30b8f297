#pragma once

// tern-cp's application protocol, version 1 (docs/tern-cp.md). One
// bidirectional stream per file. Sender -> receiver: one header line
//   "TERNCP1 <size> <mode-octal> <sha256-hex> <path>\n"
// then exactly <size> bytes of content, then FIN. Receiver -> sender: one
// result line, "OK\n" or "ERR <reason>\n", then FIN.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tern_cp {

inline constexpr std::string_view protocol_magic = "TERNCP1";
/// A header line longer than this is refused (paths are capped well below).
inline constexpr std::size_t max_header_line = 8192;

struct file_header {
  std::string path; ///< relative, '/'-separated; checked by safe_path on receipt
  std::uint64_t size = 0;
  std::uint32_t mode = 0644;
  std::string sha256_hex; ///< 64 lowercase hex digits
};

/// The header line, newline included.
std::string encode_header(const file_header& h);
/// Parses one header line (without its newline); nullopt if malformed.
std::optional<file_header> decode_header(std::string_view line);

std::string encode_result(bool ok, std::string_view reason);
/// true for "OK"; false with `reason` filled otherwise.
bool decode_result(std::string_view line, std::string& reason);

/// Incremental SHA-256 (OpenSSL EVP).
class sha256 {
public:
  sha256();
  ~sha256();
  sha256(const sha256&) = delete;
  sha256& operator=(const sha256&) = delete;
  void update(const void* data, std::size_t n);
  std::string hex_digest(); ///< finishes; call once
private:
  void* ctx_;
};

} // namespace tern_cp
