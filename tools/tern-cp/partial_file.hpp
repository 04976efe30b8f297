#pragma once

// The receiver's temp file for one transfer. Partials live in
// DIR/.tern-partial/ (mode 0700), a folder no sender can name (safe_path
// refuses components starting with ".tern-"), under a name that is the
// SHA-256 of the owner (the client identity that started the transfer) and
// the relative path: no peer text reaches a file name, and one client can
// neither find, read the hash of, nor truncate another client's kept
// partial. The same owner sending the same path finds its partial again
// (send --resume from a later connection).
//
// Content is appended through the descriptor it is hashed with and becomes
// the target only through commit(), after size and hash were checked: it
// renames the partial from the folder descriptor it holds, after checking
// (fstatat) that the name still is the very inode written, so the file
// verified is the file put in place. A lock (flock) keeps two transfers of
// the same owner and path from writing one partial at once.

#include "protocol.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <sys/stat.h>

namespace tern_cp {

/// The folder of partials, directly in the destination.
inline constexpr const char* partial_dir_name = ".tern-partial";

/// The partial's file name in partial_dir_name: 64 hex digits of SHA-256
/// over `owner` (length-prefixed) and `relative_path`.
std::string partial_name(std::string_view owner, std::string_view relative_path);

/// The mode a received file gets: the sender's permission bits without
/// setuid, setgid and sticky, and without what the receiver's umask removes.
constexpr std::uint32_t masked_mode(std::uint32_t sender_mode, std::uint32_t umask) {
  return sender_mode & 0777 & ~umask;
}

class partial_file {
public:
  /// Opens (creating the folder and file as needed, following no symlink)
  /// and locks the partial of (`owner`, `relative_path`) under the
  /// destination `root_fd` (not owned; must outlive the partial). `fresh`
  /// empties it (a transfer not resuming). nullptr with `why` set on
  /// failure, "busy: ..." if another transfer holds it.
  static std::unique_ptr<partial_file> open(int root_fd, std::string_view owner,
                                            std::string_view relative_path, bool fresh, std::string& why);
  ~partial_file();
  partial_file(const partial_file&) = delete;
  partial_file& operator=(const partial_file&) = delete;

  /// Hashes what is kept into `hash` and returns its length; a partial
  /// longer than `limit` (another version of the file) is emptied first.
  bool measure(std::uint64_t limit, tern::crypto::sha256_hasher& hash, std::uint64_t& length,
               std::string& why);
  /// Cuts the partial to `offset` bytes; appends go on from there.
  bool truncate(std::uint64_t offset, std::string& why);
  /// Writes at the end. Every writeback_step bytes, the kernel is asked to
  /// start writing the new part to disk (without waiting), so commit()'s
  /// fsync finds little left to do.
  bool append(const char* p, std::size_t n, std::string& why);
  /// Puts the content in place as `name` in `parent_fd`: fsync, fchmod
  /// `mode` (already masked), check that the partial's name still is this
  /// file, rename it (an existing target is refused with "exists: ..."
  /// unless `overwrite`, atomically: RENAME_NOREPLACE), fsync the folder.
  /// false with `why` on failure; the partial is then still there.
  bool commit(int parent_fd, const std::string& name, std::uint32_t mode, bool overwrite, std::string& why);
  /// fstat of the file written (after commit(): of the file put in place).
  bool stat(struct stat& out) const;
  /// Removes the partial, and the partial folder if it is then empty.
  void discard();
  /// Leaves the partial (fdatasynced) for a later --resume and returns
  /// true; an empty one is worth nothing and is discarded instead (false).
  bool keep();

private:
  partial_file(int root_fd, int dir_fd, int fd, std::string temp);
  int root_fd_; ///< not owned
  int dir_fd_;  ///< DIR/.tern-partial, owned
  int fd_;
  std::string temp_; ///< name in dir_fd_
  static constexpr std::uint64_t writeback_step = 8 * 1024 * 1024;
  std::uint64_t end_ = 0;          ///< bytes in the file, for writeback
  std::uint64_t written_back_ = 0; ///< writeback was started up to here
};

} // namespace tern_cp
