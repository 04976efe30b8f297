// Parsing of the authorized-keys file (authorized_keys.hpp). A bad line is
// an error rather than a skipped line: a typo in a fingerprint would
// otherwise lock a client out with no hint why.
#include "authorized_keys.hpp"

#include "crypto/certificate.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sys/stat.h>

namespace tern_cp {
namespace {

constexpr std::string_view blanks = " \t\r";

std::string_view trim_left(std::string_view s) {
  const auto p = s.find_first_not_of(blanks);
  return p == std::string_view::npos ? std::string_view{} : s.substr(p);
}

// The fingerprint at the start of `line` (after "sha-256 " if present), or
// nullopt when there is none.
std::optional<std::string> fingerprint_of(std::string_view line) {
  std::string_view rest = line;
  if (rest.size() > 8 && (rest.substr(0, 8) == "sha-256 " || rest.substr(0, 8) == "SHA-256 "))
    rest = trim_left(rest.substr(8));
  const std::string_view token = rest.substr(0, rest.find_first_of(blanks));
  tern::crypto::spki_digest digest{};
  if (tern::crypto::parse_fingerprint(token, digest)) return std::nullopt;
  return tern::crypto::format_fingerprint(digest);
}

} // namespace

std::optional<std::vector<std::string>> load_authorized_keys(const std::string& path, std::string& error) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    error = errno == ENOENT ? "no authorized-keys file " + path
                            : "cannot read the authorized-keys file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if ((st.st_mode & 022) != 0) {
    error = "the authorized-keys file " + path +
            " is writable by group or others, who could let anyone in; refusing it (chmod go-w " + path + ")";
    return std::nullopt;
  }
  std::ifstream in(path);
  if (!in) {
    error = "cannot read the authorized-keys file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::vector<std::string> keys;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const std::string_view text = trim_left(line);
    if (text.empty() || text[0] == '#') continue;
    const auto fp = fingerprint_of(text);
    if (!fp) {
      error = path + ":" + std::to_string(number) +
              ": not a fingerprint (expected 32 hex pairs such as AB:CD:...:EF, as `tern-cp id` prints them, "
              "then an optional comment)";
      return std::nullopt;
    }
    if (keys.size() == max_authorized_keys) {
      error = path + ":" + std::to_string(number) + ": more than " + std::to_string(max_authorized_keys) +
              " keys";
      return std::nullopt;
    }
    keys.push_back(*fp);
  }
  if (in.bad()) {
    error = "cannot read the authorized-keys file " + path;
    return std::nullopt;
  }
  if (keys.empty()) {
    error = "the authorized-keys file " + path + " lists no key";
    return std::nullopt;
  }
  return keys;
}

std::optional<authorized_keys_file::version> authorized_keys_file::stat_version(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  auto ns = [](const timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; };
  return version{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino),
                 static_cast<std::uint64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim)};
}

std::optional<authorized_keys_file> authorized_keys_file::open(std::string path, std::string& error) {
  // The version is taken before reading: a change during the read is seen
  // as a change at the next handshake, never missed.
  const auto v = stat_version(path);
  const auto keys = load_authorized_keys(path, error);
  if (!keys || !v) {
    if (error.empty()) error = "cannot read the authorized-keys file " + path;
    return std::nullopt;
  }
  authorized_keys_file f;
  f.path_ = std::move(path);
  f.keys_.insert(keys->begin(), keys->end());
  f.loaded_ = *v;
  return f;
}

void authorized_keys_file::refresh(std::ostream& log) {
  const auto v = stat_version(path_);
  if (!v) {
    if (!missing_reported_)
      log << "tern-cp: the authorized-keys file " << path_ << " is gone (" << std::strerror(errno)
          << "); keeping the " << keys_.size() << " key(s) loaded before" << std::endl;
    missing_reported_ = true;
    return;
  }
  missing_reported_ = false;
  if (*v == loaded_ || v == refused_) return;
  std::string error;
  const auto keys = load_authorized_keys(path_, error);
  if (!keys) {
    refused_ = v;
    log << "tern-cp: " << error << "; keeping the " << keys_.size() << " key(s) loaded before" << std::endl;
    return;
  }
  keys_.clear();
  keys_.insert(keys->begin(), keys->end());
  loaded_ = *v;
  refused_.reset();
  log << "tern-cp: re-read " << path_ << ": " << keys_.size() << " authorized key(s)" << std::endl;
}

bool authorized_keys_file::allows(std::string_view fingerprint, std::ostream& log) {
  refresh(log);
  return keys_.contains(std::string(fingerprint));
}

} // namespace tern_cp
