// Fuzzes tern-cp's protocol parser and its path check (tools/tern-cp:
// protocol.cpp and safe_path.cpp, which touch no socket and are compiled
// into this target). The input is one line as a receiver or sender reads it
// (without its newline); every parser sees it:
//
//   decode_header: an accepted header re-encodes to a line that decodes
//     equal; its path has no NUL; split_relative_path on it agrees with an
//     independent model of the rule (relative, not empty, at most 4096
//     bytes, components 1..255 bytes, neither "." nor ".." nor starting
//     with ".tern-", the receiver's own namespace), and the
//     components it returns join back to the path.
//   decode_have / decode_from: an accepted line re-encodes and decodes equal.
//   decode_result: "OK" exactly; any other line gives a reason.
//
// The same model check runs on the raw input as a path, so the path rule is
// fuzzed without having to find a valid header first. open_parent_dir
// (which creates directories) is not fuzzed here.
//
// Seeds: tests/fuzz/corpus/tern_cp/.

#include "protocol.hpp"
#include "safe_path.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace tern_cp;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "tern_cp_fuzz: %s\n", what);
  std::abort();
}

void check(bool ok, const char* what) {
  if (!ok) fail(what);
}

/// The path rule, written independently of safe_path.cpp.
bool model_path_ok(std::string_view path) {
  if (path.empty() || path.size() > 4096 || path[0] == '/') return false;
  std::size_t length = 0;
  std::string_view component;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      component = path.substr(i - length, length);
      if (length == 0 || length > 255 || component == "." || component == ".." ||
          component.substr(0, 6) == ".tern-")
        return false;
      length = 0;
    } else {
      ++length;
    }
  }
  return true;
}

void check_path(std::string_view path) {
  std::vector<std::string> parts;
  std::string why;
  const bool ok = split_relative_path(path, parts, why);
  check(ok == model_path_ok(path), "split_relative_path disagrees with the path rule");
  if (!ok) {
    check(!why.empty(), "a refused path without a reason");
    return;
  }
  std::string joined;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const auto& p = parts[i];
    check(!p.empty() && p != "." && p != ".." && p.size() <= 255, "an unsafe component was returned");
    check(p.find('/') == std::string::npos, "a component holds a slash");
    if (i) joined += '/';
    joined += p;
  }
  check(joined == path, "the components do not join back to the path");
}

void check_header(std::string_view line) {
  const auto h = decode_header(line);
  if (!h) return;
  check(h->path.find('\0') == std::string::npos, "a header path holds NUL");
  check(!h->path.empty(), "a header with an empty path");
  check(h->mode <= 07777, "a header mode beyond 07777");
  check(h->sha256_hex.size() == 64, "a header hash is not 64 digits");
  std::string again = encode_header(*h);
  check(!again.empty() && again.back() == '\n', "an encoded header without its newline");
  again.pop_back();
  const auto h2 = decode_header(again);
  check(h2.has_value(), "a re-encoded header does not decode");
  check(h2->path == h->path && h2->size == h->size && h2->mode == h->mode && h2->sha256_hex == h->sha256_hex &&
            h2->resume == h->resume,
        "a header changed in a round trip");
  check_path(h->path);
}

void check_replies(std::string_view line) {
  std::string hash;
  if (const auto n = decode_have(line, hash)) {
    std::string again = encode_have(*n, hash);
    again.pop_back();
    std::string hash2;
    const auto n2 = decode_have(again, hash2);
    check(n2 && *n2 == *n && hash2 == hash, "a HAVE line changed in a round trip");
  }
  if (const auto n = decode_from(line)) {
    std::string again = encode_from(*n);
    again.pop_back();
    check(decode_from(again) == n, "a FROM line changed in a round trip");
  }
  std::string reason;
  const bool ok = decode_result(line, reason);
  check(ok == (line == "OK"), "decode_result accepted something other than OK");
  if (!ok) {
    check(!reason.empty() || line == "ERR ", "a refusal without a reason");
    // What a receiver sends is read back as its reason (newlines flattened).
    std::string sent = encode_result(false, reason);
    sent.pop_back();
    std::string back;
    check(!decode_result(sent, back), "an ERR line decoded as OK");
    check(back.find('\n') == std::string::npos, "a reason kept a newline");
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > max_header_line) return 0; // the reader refuses longer lines
  const std::string_view line{reinterpret_cast<const char*>(data), size};
  check_header(line);
  check_replies(line);
  check_path(line);
  return 0;
}
