#pragma once

// What the receiver remembers of the files it put in place, so that a
// sender whose connection was cut after its file was placed, but before
// the "OK" reached it, hears "already complete" on its retry instead of
// "exists". One record per (owner, path), in DIR/.tern-placed/ (mode 0700;
// no sender can name a `.tern-` component), named as partials are
// (partial_name: a hash of the owner and the path, no peer text).
//
// A record holds the size and SHA-256 the file was verified against when
// it was placed and the placed inode's identity: device, inode, size and
// ctime. An existing target counts as already complete for an announced
// (size, SHA-256) only if its owner's record says so and the target still
// is that inode, unchanged since (a write, chmod, link or rename changes
// its ctime). So a probe costs a stat, never a read of the file: a client
// cannot make the receiver hash a large file per header it sends, and it
// learns nothing about a file it did not place (another client's, or one
// changed since).
//
// Bounds: a record older than max_age is ignored and removed; the log
// prunes to max_records (oldest first) at its first write and then every
// max_records / 4 writes, so the folder holds at most
// max_records + max_records / 4 records (about 200 bytes each) whatever
// clients send. A record pushed out that way only means its client's
// retry hears "exists" again.

#include "protocol.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>

namespace tern_cp {

/// The folder of placement records, directly in the destination.
inline constexpr const char* placed_dir_name = ".tern-placed";

/// One placed file, as its record stores it.
struct placed_file {
  std::uint64_t size = 0;
  std::string sha256_hex;  ///< what the content was verified against
  std::uint64_t device = 0; ///< the placed inode, as fstat saw it after the rename
  std::uint64_t inode = 0;
  std::int64_t ctime_ns = 0;
  std::int64_t placed_at = 0; ///< seconds since the epoch
};

/// The record of a file just placed: `target` is its fstat after the
/// rename, `sha256_hex` what it was verified against.
placed_file describe_placement(const struct stat& target, std::string sha256_hex, std::int64_t now);

/// The decision: whether the existing `target` (its lstat) is the file
/// `record` describes, holding what `announced` announces, and the record
/// is younger than `max_age` seconds at `now`. False without a record.
bool already_placed(const std::optional<placed_file>& record, const file_header& announced,
                    const struct stat& target, std::int64_t now, std::int64_t max_age);

/// A record's text (one line) and back; nullopt if malformed.
std::string encode_placement(const placed_file& p);
std::optional<placed_file> decode_placement(std::string_view text);

class placement_log {
public:
  struct limits {
    std::size_t max_records = 1024;
    std::int64_t max_age = 24 * 3600; ///< seconds
  };

  /// The records of the destination `root_fd` (not owned; must outlive
  /// the log).
  placement_log(int root_fd, limits l);

  const limits& bounds() const noexcept { return limits_; }

  /// Remembers that `owner` placed `relative_path` (replacing an earlier
  /// record of theirs), pruning as the header says. Best effort: a record
  /// that cannot be written costs the client only an "exists" on a retry;
  /// false with `why` then.
  bool record(std::string_view owner, std::string_view relative_path, const placed_file& p, std::int64_t now,
              std::string& why);
  /// `owner`'s record of `relative_path`, if any (of any age: the age is
  /// already_placed's to judge).
  std::optional<placed_file> find(std::string_view owner, std::string_view relative_path) const;
  /// Removes records older than max_age at `now`, malformed ones, and the
  /// oldest beyond max_records; the folder too once it is empty. Returns
  /// the records left.
  std::size_t prune(std::int64_t now);

private:
  int root_fd_;
  limits limits_;
  std::size_t writes_since_prune_ = 0;
  bool pruned_ = false;
};

} // namespace tern_cp
