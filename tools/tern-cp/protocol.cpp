#include "protocol.hpp"

#include <openssl/evp.h>

#include <charconv>
#include <cstdio>

namespace tern_cp {

std::string encode_header(const file_header& h) {
  char mode[16];
  std::snprintf(mode, sizeof mode, "%o", static_cast<unsigned>(h.mode & 07777));
  return std::string(protocol_magic) + " " + std::to_string(h.size) + " " + mode + " " + h.sha256_hex + " " +
         h.path + "\n";
}

namespace {
bool next_field(std::string_view& rest, std::string_view& field) {
  const auto sp = rest.find(' ');
  if (sp == std::string_view::npos || sp == 0) return false;
  field = rest.substr(0, sp);
  rest.remove_prefix(sp + 1);
  return true;
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
  if (!next_field(rest, magic) || magic != protocol_magic) return std::nullopt;
  if (!next_field(rest, size) || !next_field(rest, mode) || !next_field(rest, hash)) return std::nullopt;
  file_header h;
  auto r1 = std::from_chars(size.data(), size.data() + size.size(), h.size);
  if (r1.ec != std::errc{} || r1.ptr != size.data() + size.size()) return std::nullopt;
  auto r2 = std::from_chars(mode.data(), mode.data() + mode.size(), h.mode, 8);
  if (r2.ec != std::errc{} || r2.ptr != mode.data() + mode.size() || h.mode > 07777) return std::nullopt;
  if (!is_hex64(hash)) return std::nullopt;
  if (rest.empty() || rest.find('\0') != std::string_view::npos) return std::nullopt;
  h.sha256_hex = hash;
  h.path = rest;
  return h;
}

std::string encode_result(bool ok, std::string_view reason) {
  if (ok) return "OK\n";
  std::string r = "ERR ";
  for (char c : reason) r += (c == '\n' ? ' ' : c);
  return r + "\n";
}

bool decode_result(std::string_view line, std::string& reason) {
  if (line == "OK") return true;
  if (line.starts_with("ERR ")) reason = line.substr(4);
  else reason = "malformed result line from receiver";
  return false;
}

sha256::sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr); }
sha256::~sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void sha256::update(const void* data, std::size_t n) { EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, n); }
std::string sha256::hex_digest() {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len);
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += digits[md[i] >> 4];
    out += digits[md[i] & 15];
  }
  return out;
}

} // namespace tern_cp
