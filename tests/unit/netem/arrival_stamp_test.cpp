// arrival_stamp: the relay counts a datagram's delay from when the kernel
// received it, not from when the relay read it.

#include "arrival_stamp.hpp"

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

using namespace tern;
using namespace tern::netem;
using namespace std::chrono_literals;

namespace {

const time_point t0{std::chrono::seconds(100)};

time_point steady_now() { return from_steady(std::chrono::steady_clock::now()); }

} // namespace

TEST_CASE("arrival_stamp: a stamp's age is taken off the steady clock") {
  const std::int64_t wall = 1'700'000'000'000'000'000;
  CHECK(arrival_from_age(t0, wall, wall - 3'000'000) == t0 - 3ms);
  CHECK(arrival_from_age(t0, wall, wall) == t0);
}

TEST_CASE("arrival_stamp: a stamp in the future or over a second old is not trusted") {
  const std::int64_t wall = 1'700'000'000'000'000'000;
  CHECK(arrival_from_age(t0, wall, wall + 1) == t0);
  CHECK(arrival_from_age(t0, wall, wall - 1'000'000'001) == t0);
  CHECK(arrival_from_age(t0, wall, wall - 1'000'000'000) == t0 - 1s);
}

TEST_CASE("arrival_stamp: no stamp in the control data gives the read time") {
  msghdr h{};
  CHECK(arrival_time(h, t0, wall_clock_ns()) == t0);
}

TEST_CASE("arrival_stamp: a loopback datagram read 30 ms late is dated at its arrival") {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  enable_arrival_stamps(fd);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  const char out = 'x';
  // Linux turns receive stamping on for the whole system lazily (from a
  // work queue) when the first socket asks: until then a datagram is
  // stamped when it is read. So the measurement is repeated until a stamp
  // shows the wait (at most 50 times: a kernel that never stamps fails).
  // Each try: the datagram waits 30 ms in the socket before the read.
  bool dated_at_arrival = false;
  for (int attempt = 0; attempt < 50 && !dated_at_arrival; ++attempt) {
    const time_point before = steady_now();
    REQUIRE(::sendto(fd, &out, 1, 0, reinterpret_cast<sockaddr*>(&a), sizeof a) == 1);
    std::this_thread::sleep_for(30ms);
    std::byte got[1];
    const auto r = read_stamped(fd, got, 0);
    const time_point read_at = steady_now();
    REQUIRE(r.size == 1);
    // Loopback delivers within the send call, so a live stamp is at or
    // after `before` (1 ms of slack for the two clocks' reading order) and
    // at least the 30 ms slept before the read.
    CHECK(r.arrived >= before - 1ms);
    dated_at_arrival = read_at - r.arrived >= 29ms;
  }
  ::close(fd);
  CHECK(dated_at_arrival);
}
