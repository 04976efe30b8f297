#include "partial_file.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tern_cp {
namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

} // namespace

partial_file::partial_file(int dir_fd, int fd, std::string name, std::string temp)
    : dir_fd_(dir_fd), fd_(fd), name_(std::move(name)), temp_(std::move(temp)) {}

partial_file::~partial_file() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<partial_file> partial_file::open(int dir_fd, const std::string& name, bool fresh,
                                                 std::string& why) {
  const std::string temp = ".tern-partial-" + name;
  const int fd = ::openat(dir_fd, temp.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return why = errno_text(("cannot create " + temp).c_str()), nullptr;
  std::unique_ptr<partial_file> f(new partial_file(dir_fd, fd, name, temp));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0)
    return why = "busy: another transfer of " + name + " is running", nullptr;
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    why = temp + " is not a regular file";
    return nullptr;
  }
  if (fresh && !f->truncate(0, why)) return nullptr;
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

bool partial_file::commit(std::uint32_t mode, std::string& why) {
  if (::fsync(fd_) != 0) return why = errno_text("fsync failed"), false;
  ::fchmod(fd_, mode & 0777);
  if (::renameat(dir_fd_, temp_.c_str(), dir_fd_, name_.c_str()) != 0)
    return why = errno_text("rename failed"), false;
  ::fsync(dir_fd_);
  return true;
}

void partial_file::discard() { ::unlinkat(dir_fd_, temp_.c_str(), 0); }

void partial_file::keep() { ::fdatasync(fd_); }

} // namespace tern_cp
