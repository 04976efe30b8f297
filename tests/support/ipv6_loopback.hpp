#pragma once
// Whether this machine has IPv6 loopback. Containers and kernels booted with
// ipv6.disable=1 cannot bind ::1; tests of IPv6 paths skip there instead of
// failing on a missing capability (or passing without testing anything).

#include "support/skip.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tern::test {

/// True when a UDP socket can be bound to [::1]:0.
[[maybe_unused]] inline bool has_ipv6_loopback() {
  const int fd = ::socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

/// For a test case that needs ::1: skips it (tern::test::skip) and returns
/// true when there is none; the caller then returns.
[[nodiscard]] inline bool skipped_without_ipv6_loopback() {
  if (has_ipv6_loopback()) return false;
  skip("no IPv6 loopback here: [::1] cannot be bound");
  return true;
}

} // namespace tern::test
