#pragma once

// Closes a file descriptor when it goes out of scope (-1: nothing).

#include <unistd.h>

namespace tern_cp {

struct fd_guard {
  int fd = -1;
  fd_guard() = default;
  explicit fd_guard(int f) : fd(f) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
};

} // namespace tern_cp
