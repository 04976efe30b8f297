#pragma once

// The clients `tern-cp serve` lets in, ssh-style: an authorized-keys file
// (default config_dir()/authorized_keys) with one client fingerprint per
// line, as `tern-cp id` prints it on the client, optionally followed by a
// comment naming the client; lines starting with '#' and blank lines are
// skipped:
//
//   # laptop and build server
//   3F:1A:...:9C  alice@laptop
//   sha-256 0E:77:...:D2 ci
//
// serve checks each client key against the list in the TLS handshake
// (tern::config::client_key_check): a client whose key is not listed never
// gets a connection. authorized_keys_file re-reads the file when it changed,
// so keys are added and revoked without a restart.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace tern_cp {

/// Keys one file may list: a bound on what serve pins, far above any real
/// list (the handshake compares each).
inline constexpr std::size_t max_authorized_keys = 10000;

/// The fingerprints of `path`, normalised as tern prints them. Returns
/// nullopt with `error` set, naming the file (and line), when the file is
/// missing or unreadable, writable by group or others (anyone who can add a
/// line can let himself in), lists more than max_authorized_keys, has a line
/// that does not start with a fingerprint, or lists no key at all (an empty
/// list would mean "anyone": that is --accept-any-client's job).
std::optional<std::vector<std::string>> load_authorized_keys(const std::string& path, std::string& error);

/// The authorized-keys file as serve holds it. allows() is asked at each
/// new client handshake: it first stats the file and, when its inode,
/// size, modification or change time differ from the version loaded,
/// parses it again (load_authorized_keys). A version that does not load
/// (a bad line, a group-writable file, no key, the file gone) keeps the
/// previous list and says so on the log, once per version. A revocation
/// applies to new connections; those accepted stay.
class authorized_keys_file {
public:
  /// Loads `path`; nullopt with `error` (load_authorized_keys's) if it
  /// does not load.
  static std::optional<authorized_keys_file> open(std::string path, std::string& error);

  /// Whether `fingerprint` (as tern prints it) is listed in the file's
  /// latest version that loaded. A reload, or a version refused, is
  /// reported on `log` in one line.
  bool allows(std::string_view fingerprint, std::ostream& log);
  std::size_t size() const noexcept { return keys_.size(); }

private:
  struct version {
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_ns = 0, ctime_ns = 0;
    friend bool operator==(const version&, const version&) = default;
  };
  static std::optional<version> stat_version(const std::string& path);
  void refresh(std::ostream& log);

  std::string path_;
  std::unordered_set<std::string> keys_;
  version loaded_;                 ///< the version keys_ come from
  std::optional<version> refused_; ///< the last version that did not load, reported once
  bool missing_reported_ = false;  ///< the file's absence, reported once
};

} // namespace tern_cp
