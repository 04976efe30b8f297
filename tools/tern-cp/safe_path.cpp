#include "safe_path.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tern_cp {

bool split_relative_path(std::string_view path, std::vector<std::string>& parts, std::string& why) {
  parts.clear();
  if (path.empty()) return why = "empty path", false;
  if (path.front() == '/') return why = "absolute path refused: " + std::string(path), false;
  if (path.size() > 4096) return why = "path too long", false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto part =
        path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..")
      return why = "unsafe path component in " + std::string(path), false;
    if (part.size() > 255) return why = "path component too long", false;
    if (part.starts_with(reserved_prefix))
      return why = "reserved name (components starting with .tern- are the receiver's own) in " +
                   std::string(path),
             false;
    parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

int open_parent_dir(int root_fd, const std::vector<std::string>& parts, std::error_code& ec,
                    std::size_t* created_from) {
  if (created_from) *created_from = parts.empty() ? 0 : parts.size() - 1;
  int fd = ::dup(root_fd);
  if (fd < 0) return ec.assign(errno, std::generic_category()), -1;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = ::openat(fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (::mkdirat(fd, parts[i].c_str(), 0755) != 0) {
        if (errno != EEXIST) {
          ec.assign(errno, std::generic_category());
          ::close(fd);
          return -1;
        }
      } else if (created_from && *created_from == parts.size() - 1) {
        *created_from = i;
      }
      next = ::openat(fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    const int err = errno;
    ::close(fd);
    if (next < 0) return ec.assign(err, std::generic_category()), -1;
    fd = next;
  }
  return fd;
}

void remove_created_dirs(int root_fd, const std::vector<std::string>& parts, std::size_t created_from) {
  for (std::size_t last = parts.size() - 1; last-- > created_from;) {
    // The parent of parts[last]: parts[0 .. last-1], opened without creating.
    int fd = ::dup(root_fd);
    for (std::size_t i = 0; fd >= 0 && i < last; ++i) {
      const int next = ::openat(fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      ::close(fd);
      fd = next;
    }
    if (fd < 0) return;
    const bool removed = ::unlinkat(fd, parts[last].c_str(), AT_REMOVEDIR) == 0;
    ::close(fd);
    if (!removed) return;
  }
}

} // namespace tern_cp
