#pragma once

// The receiver's temp file DIR/.../.tern-partial-<name>, next to its
// target. Content is appended and hashed as it arrives; the file becomes
// <name> (fsync, chmod, rename) only through commit(), after size and hash
// were checked. A transfer that was cut off (connection lost) keeps its
// partial, fsynced, so `send --resume` can continue from its prefix; any
// other failure discards it. A lock (flock) keeps two transfers of the same
// path from writing one partial at once.

#include "protocol.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace tern_cp {

class partial_file {
public:
  /// Opens (creating, without following a symlink) and locks the partial of
  /// `name` in `dir_fd`. `fresh` empties it (a transfer not resuming).
  /// nullptr with `why` set on failure, "busy" if another transfer holds it.
  static std::unique_ptr<partial_file> open(int dir_fd, const std::string& name, bool fresh,
                                            std::string& why);
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
  /// fsync, chmod `mode`, rename to the target name, fsync the directory.
  bool commit(std::uint32_t mode, std::string& why);
  /// Removes the partial.
  void discard();
  /// Leaves the partial (fsynced) for a later --resume.
  void keep();

private:
  partial_file(int dir_fd, int fd, std::string name, std::string temp);
  int dir_fd_; ///< not owned
  int fd_;
  std::string name_, temp_;
  static constexpr std::uint64_t writeback_step = 8 * 1024 * 1024;
  std::uint64_t end_ = 0;          ///< bytes in the file, for writeback
  std::uint64_t written_back_ = 0; ///< writeback was started up to here
};

} // namespace tern_cp
