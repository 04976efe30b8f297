#pragma once

// Platform arrays behind udp_recv_batch and udp_socket. Internal to the
// udp_* sources; nothing outside src/asio includes this.

#include <cstddef>
#include <vector>

#if defined(__linux__)
#define TERN_IO_LINUX 1
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
#else
#define TERN_IO_LINUX 0
#endif

namespace tern::io {

#if TERN_IO_LINUX
/// Room for every control message tern asks for on one datagram: TOS or
/// traffic class, GRO segment size, and (on send) GSO segment size.
inline constexpr std::size_t cmsg_room =
    CMSG_SPACE(sizeof(int)) * 3 + CMSG_SPACE(sizeof(in6_pktinfo));

struct alignas(cmsghdr) cmsg_buffer {
  unsigned char bytes[cmsg_room];
};
#endif

struct recv_batch_native {
#if TERN_IO_LINUX
  std::vector<mmsghdr> msgs;
  std::vector<iovec> iovs;
  std::vector<sockaddr_storage> names;
  std::vector<cmsg_buffer> controls;
  // Headers the kernel may have written since they were last reset: only
  // those need resetting before the next recvmmsg.
  std::size_t dirty = 0;
#endif
};

} // namespace tern::io
