// Kernel receive stamps for the relay (see arrival_stamp.hpp).

#include "arrival_stamp.hpp"

#include <chrono>
#include <cstring>
#include <ctime>

namespace tern::netem {

void enable_arrival_stamps(int fd) noexcept {
  const int on = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
}

std::int64_t wall_clock_ns() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

time_point arrival_from_age(time_point now, std::int64_t wall_now, std::int64_t stamp) noexcept {
  const std::int64_t age = wall_now - stamp;
  if (age < 0 || age > 1'000'000'000) return now;
  return now - std::chrono::nanoseconds{age};
}

time_point arrival_time(const msghdr& h, time_point now, std::int64_t wall_now) noexcept {
  for (const cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec ts{};
    std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
    return arrival_from_age(now, wall_now, static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec);
  }
  return now;
}

stamped_read read_stamped(int fd, std::span<std::byte> into, int flags) noexcept {
  iovec iov{into.data(), into.size()};
  alignas(cmsghdr) char control[arrival_stamp_space];
  msghdr h{};
  h.msg_iov = &iov;
  h.msg_iovlen = 1;
  h.msg_control = control;
  h.msg_controllen = sizeof control;
  stamped_read r;
  r.size = ::recvmsg(fd, &h, flags);
  if (r.size >= 0) r.arrived = arrival_time(h, from_steady(std::chrono::steady_clock::now()), wall_clock_ns());
  return r;
}

} // namespace tern::netem
