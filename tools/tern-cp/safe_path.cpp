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
    const auto part = path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..")
      return why = "unsafe path component in " + std::string(path), false;
    if (part.size() > 255) return why = "path component too long", false;
    parts.emplace_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

int open_parent_dir(int root_fd, const std::vector<std::string>& parts, std::error_code& ec) {
  int fd = ::dup(root_fd);
  if (fd < 0) return ec.assign(errno, std::generic_category()), -1;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = ::openat(fd, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (next < 0 && errno == ENOENT) {
      if (::mkdirat(fd, parts[i].c_str(), 0755) != 0 && errno != EEXIST) {
        ec.assign(errno, std::generic_category());
        ::close(fd);
        return -1;
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

} // namespace tern_cp
