#pragma once

// When a datagram reached the relay's socket, by the kernel's clock rather
// than by when the relay got round to reading it. The emulated delay counts
// from that moment: on a loaded machine the relay can wake a few
// milliseconds after a datagram arrived (2-8 ms seen for a connection's
// first datagram at load 11 on 2 cores, docs/benchmarks.md, "Real sockets:
// resumption and 0-RTT"), and counted from the read that wake-up latency was
// added to the delay of whichever client happened to meet it.

#include <tern/time.hpp>

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace tern::netem {

/// Asks the kernel to stamp each received datagram (SO_TIMESTAMPNS, on the
/// wall clock). Harmless if refused: arrival_time() then falls back to `now`.
/// Linux switches stamping on system-wide lazily when the first socket asks,
/// so datagrams in the first moments may be stamped when read, as before.
void enable_arrival_stamps(int fd) noexcept;

/// Control-message space one datagram's stamp needs.
inline constexpr std::size_t arrival_stamp_space = CMSG_SPACE(sizeof(struct timespec));

/// When the datagram whose header is `h` arrived, on the relay's steady
/// clock: `now` (steady) minus how long ago its stamp is by the wall clock
/// (`wall_now`, nanoseconds since the epoch). No stamp, a stamp in the future
/// or more than a second old (the wall clock was set meanwhile) gives `now`.
time_point arrival_time(const msghdr& h, time_point now, std::int64_t wall_now) noexcept;

/// One datagram read by read_stamped(): its size (-1 on error, errno set)
/// and when it arrived (arrival_time() of its stamp).
struct stamped_read {
  ssize_t size = -1;
  time_point arrived{};
};

/// recvmsg() of one datagram from `fd` into `into` with `flags`, dated by
/// its kernel stamp (the steady clock's now if it has none).
stamped_read read_stamped(int fd, std::span<std::byte> into, int flags) noexcept;

/// The wall clock in nanoseconds since the epoch, for arrival_time().
std::int64_t wall_clock_ns() noexcept;

/// arrival_time's arithmetic: `now` minus (`wall_now` - `stamp`), or `now`
/// when that age is negative or above a second.
time_point arrival_from_age(time_point now, std::int64_t wall_now, std::int64_t stamp) noexcept;

} // namespace tern::netem
