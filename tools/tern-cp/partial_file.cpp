#include "partial_file.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tern_cp {
namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

} // namespace

std::string partial_name(std::string_view owner, std::string_view relative_path) {
  // Length-prefixed, so no (owner, path) pair can pose as another.
  const std::string key = "tern-cp partial 1\n" + std::to_string(owner.size()) + ":" + std::string(owner) +
                          std::string(relative_path);
  tern::crypto::sha256_hasher h;
  h.update(std::as_bytes(std::span{key}));
  return hex_digest(h);
}

partial_file::partial_file(int root_fd, int dir_fd, int fd, std::string temp)
    : root_fd_(root_fd), dir_fd_(dir_fd), fd_(fd), temp_(std::move(temp)) {}

partial_file::~partial_file() {
  if (fd_ >= 0) ::close(fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

std::unique_ptr<partial_file> partial_file::open(int root_fd, std::string_view owner,
                                                 std::string_view relative_path, bool fresh,
                                                 std::string& why) {
  if (::mkdirat(root_fd, partial_dir_name, 0700) != 0 && errno != EEXIST)
    return why = errno_text("cannot create the partial folder"), nullptr;
  const int dir_fd = ::openat(root_fd, partial_dir_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir_fd < 0) return why = errno_text("cannot open the partial folder"), nullptr;
  const std::string temp = partial_name(owner, relative_path);
  const int fd = ::openat(dir_fd, temp.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    why = errno_text("cannot create the partial file");
    ::close(dir_fd);
    ::unlinkat(root_fd, partial_dir_name, AT_REMOVEDIR); // only if this left it empty
    return nullptr;
  }
  std::unique_ptr<partial_file> f(new partial_file(root_fd, dir_fd, fd, temp));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
    return why = "busy: another transfer of " + std::string(relative_path) + " is running", nullptr;
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    why = "the partial is not a regular file";
    return nullptr;
  }
  if (fresh && !f->truncate(0, why)) {
    f->discard();
    return nullptr;
  }
  return f;
}

bool partial_file::measure(std::uint64_t limit, tern::crypto::sha256_hasher& hash, std::uint64_t& length,
                           std::string& why) {
  struct stat sb {};
  if (::fstat(fd_, &sb) != 0) return why = errno_text("stat"), false;
  length = static_cast<std::uint64_t>(sb.st_size);
  if (length > limit) {
    length = 0;
    return truncate(0, why);
  }
  std::array<char, 64 * 1024> buf;
  std::uint64_t done = 0;
  while (done < length) {
    const ssize_t n = ::pread(fd_, buf.data(), buf.size(), static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return why = errno_text("cannot read the kept partial"), false;
    hash.update(std::as_bytes(std::span{buf.data(), static_cast<std::size_t>(n)}));
    done += static_cast<std::uint64_t>(n);
  }
  end_ = written_back_ = length;
  return ::lseek(fd_, static_cast<off_t>(length), SEEK_SET) >= 0 || (why = errno_text("seek"), false);
}

bool partial_file::truncate(std::uint64_t offset, std::string& why) {
  if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0) return why = errno_text("truncate"), false;
  end_ = written_back_ = offset;
  return ::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) >= 0 || (why = errno_text("seek"), false);
}

bool partial_file::append(const char* p, std::size_t n, std::string& why) {
  while (n > 0) {
    const ssize_t w = ::write(fd_, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return why = errno_text("write failed"), false;
    p += w;
    n -= static_cast<std::size_t>(w);
    end_ += static_cast<std::uint64_t>(w);
  }
  if (end_ - written_back_ >= writeback_step) {
    // Only a hint: an error here changes nothing, commit()'s fsync decides.
    ::sync_file_range(fd_, static_cast<off_t>(written_back_), static_cast<off_t>(end_ - written_back_),
                      SYNC_FILE_RANGE_WRITE);
    written_back_ = end_;
  }
  return true;
}

bool partial_file::commit(int parent_fd, const std::string& name, std::uint32_t mode, bool overwrite,
                          std::string& why) {
  if (::fsync(fd_) != 0) return why = errno_text("fsync failed"), false;
  if (::fchmod(fd_, mode) != 0) return why = errno_text("chmod failed"), false;
  // The name renamed below must be the inode hashed and written: nothing
  // a sender can name lives in the partial folder, this checks that nobody
  // else (a local user, a bug) swapped it either.
  struct stat mine {
  }, named{};
  if (::fstat(fd_, &mine) != 0 || ::fstatat(dir_fd_, temp_.c_str(), &named, AT_SYMLINK_NOFOLLOW) != 0 ||
      mine.st_dev != named.st_dev || mine.st_ino != named.st_ino)
    return why = "the partial was replaced during the transfer", false;
  const int renamed = overwrite
                          ? ::renameat(dir_fd_, temp_.c_str(), parent_fd, name.c_str())
                          : ::renameat2(dir_fd_, temp_.c_str(), parent_fd, name.c_str(), RENAME_NOREPLACE);
  if (renamed != 0) {
    if (errno == EEXIST)
      return why = "exists: the receiver does not overwrite (serve --overwrite does)", false;
    return why = errno_text("rename failed"), false;
  }
  ::fsync(parent_fd);
  ::unlinkat(root_fd_, partial_dir_name, AT_REMOVEDIR); // only if it is now empty
  return true;
}

bool partial_file::stat(struct stat& out) const { return ::fstat(fd_, &out) == 0; }

void partial_file::discard() {
  ::unlinkat(dir_fd_, temp_.c_str(), 0);
  ::unlinkat(root_fd_, partial_dir_name, AT_REMOVEDIR); // only if it is now empty
}

bool partial_file::keep() {
  struct stat sb {};
  if (::fstat(fd_, &sb) == 0 && sb.st_size == 0) {
    discard();
    return false;
  }
  ::fdatasync(fd_);
  return true;
}

} // namespace tern_cp
