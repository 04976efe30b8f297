// tern-netem --tun: two network namespaces joined through TUN devices, every
// IP packet between them crossing the link model. The test process is root:
// it opens its sockets inside the namespaces (a socket belongs to the
// namespace it was created in) and uses them from here. Each case exits 77
// (skipped) when this is not root or there is no /dev/net/tun. Bounds are
// generous and nothing asserts speed: these run on loaded machines.

#include <doctest/doctest.h>

#include "relay_process.hpp"
#include "support/json_line.hpp"
#include "support/seed.hpp"

#include "netns.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using tern::netem::test::now_ns;
using tern::netem::test::relay_process;
using tern::test::json_line_number;

namespace {

void skip_unless_capable() {
  if (::geteuid() != 0 || ::access("/dev/net/tun", R_OK | W_OK) != 0) {
    std::fprintf(stderr, "skipped: tern-netem --tun needs root and /dev/net/tun\n");
    std::exit(77);
  }
}

std::set<std::string> namespaces() {
  std::set<std::string> out;
  if (DIR* d = ::opendir("/run/netns")) {
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') out.insert(e->d_name);
    ::closedir(d);
  }
  return out;
}

// A running `tern-netem --tun`, with the namespaces it announced.
struct tun_netem {
  relay_process process;
  std::string ns_a, ns_b;

  explicit tun_netem(std::vector<std::string> args) : process(with_tun(std::move(args))) {
    char a[64] = {}, b[64] = {};
    if (std::sscanf(process.out().c_str(), "tun %63s 198.18.0.1 %63s 198.18.0.2", a, b) == 2) {
      ns_a = a;
      ns_b = b;
    }
  }
  bool ready() const { return !ns_a.empty() && !ns_b.empty(); }

  static std::vector<std::string> with_tun(std::vector<std::string> args) {
    args.insert(args.begin(), "--tun");
    return args;
  }
};

sockaddr_in ipv4(const char* host, std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, host, &a.sin_addr);
  return a;
}

// A socket created inside namespace `ns`, bound to host:port (port 0: any).
int socket_in(const std::string& ns, int type, const char* host, std::uint16_t port = 0) {
  tern::netem::netns_scope inside(ns);
  REQUIRE_MESSAGE(inside.error().empty(), inside.error());
  const int fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  const auto a = ipv4(host, port);
  REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

std::uint16_t local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

bool readable(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

bool device_exists(const std::string& ns, const char* device) {
  tern::netem::netns_scope inside(ns);
  REQUIRE_MESSAGE(inside.error().empty(), inside.error());
  return ::if_nametoindex(device) != 0;
}

} // namespace

// What this proves: each direction's delay applies to that direction only
// and is added to every packet: the leg A -> B never takes less than the
// 30 ms of --up, B -> A never less than the 20 ms of --down (swapped specs,
// or one spec for both ways, would fail one of them). These lower bounds
// hold under any load: a busy machine only makes packets later. Each leg's
// timestamps are taken after its packet was read and before the answer is
// sent, so both legs are measured at least as long as they took. There is
// no tight upper bound, as that would assert the speed of this machine; the
// one kept (median within a second of the configured delay) only tells a
// delay in milliseconds from one in seconds.
TEST_CASE("a UDP echo between the namespaces takes each direction's configured delay") {
  skip_unless_capable();
  constexpr double up_ms = 30.0, down_ms = 20.0;
  tun_netem netem({"--up", "delay 30ms", "--down", "delay 20ms"});
  REQUIRE_MESSAGE(netem.ready(), netem.process.err());
  const int server = socket_in(netem.ns_b, SOCK_DGRAM, "198.18.0.2");
  const int client = socket_in(netem.ns_a, SOCK_DGRAM, "198.18.0.1");
  const auto to = ipv4("198.18.0.2", local_port(server));
  std::vector<double> up_leg_ms, down_leg_ms;
  for (int i = 0; i < 20; ++i) {
    const std::int64_t sent = now_ns();
    REQUIRE(::sendto(client, &sent, sizeof sent, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) == sizeof sent);
    REQUIRE(readable(server, 5000ms));
    std::int64_t echo = 0;
    sockaddr_in from{};
    socklen_t len = sizeof from;
    REQUIRE(::recvfrom(server, &echo, sizeof echo, 0, reinterpret_cast<sockaddr*>(&from), &len) == sizeof echo);
    const std::int64_t at_server = now_ns();
    CHECK(from.sin_addr.s_addr == ipv4("198.18.0.1", 0).sin_addr.s_addr); // no NAT on the way
    REQUIRE(::sendto(server, &echo, sizeof echo, 0, reinterpret_cast<const sockaddr*>(&from), len) == sizeof echo);
    REQUIRE(readable(client, 5000ms));
    REQUIRE(::recv(client, &echo, sizeof echo, 0) == sizeof echo);
    const std::int64_t back = now_ns();
    CHECK(echo == sent);
    up_leg_ms.push_back(static_cast<double>(at_server - sent) / 1e6);
    down_leg_ms.push_back(static_cast<double>(back - at_server) / 1e6);
  }
  std::sort(up_leg_ms.begin(), up_leg_ms.end());
  std::sort(down_leg_ms.begin(), down_leg_ms.end());
  INFO("A -> B: min " << up_leg_ms.front() << " ms, median " << up_leg_ms[10] << " ms; B -> A: min "
                      << down_leg_ms.front() << " ms, median " << down_leg_ms[10] << " ms");
  CHECK(up_leg_ms.front() >= up_ms); // the link never delivers early
  CHECK(down_leg_ms.front() >= down_ms);
  CHECK(up_leg_ms[10] < up_ms + 1000.0);
  CHECK(down_leg_ms[10] < down_ms + 1000.0);
  ::close(server);
  ::close(client);
  CHECK(netem.process.terminate() == 0);
}

TEST_CASE("loss: a seeded 20% loss A -> B drops a binomially bounded share, and only that way") {
  skip_unless_capable();
  const auto seed = std::to_string(tern::test::seed());
  tun_netem netem({"--up", "loss 20%", "--down", "loss 0%", "--seed", seed, "--stats-json"});
  REQUIRE_MESSAGE(netem.ready(), netem.process.err());
  const int server = socket_in(netem.ns_b, SOCK_DGRAM, "198.18.0.2");
  const int client = socket_in(netem.ns_a, SOCK_DGRAM, "198.18.0.1");
  const auto to = ipv4("198.18.0.2", local_port(server));
  const int n = 1000;
  int received = 0, echoed_back = 0;
  for (int i = 0; i < n; ++i) {
    REQUIRE(::sendto(client, &i, sizeof i, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to) == sizeof i);
    // Echo whatever arrived, so the lossless way back is exercised too.
    while (readable(server, i % 50 == 49 ? 20ms : 0ms)) {
      int v = 0;
      sockaddr_in from{};
      socklen_t len = sizeof from;
      if (::recvfrom(server, &v, sizeof v, 0, reinterpret_cast<sockaddr*>(&from), &len) != sizeof v) break;
      ++received;
      ::sendto(server, &v, sizeof v, 0, reinterpret_cast<const sockaddr*>(&from), len);
    }
    while (readable(client, 0ms)) {
      int v = 0;
      if (::recv(client, &v, sizeof v, 0) == sizeof v) ++echoed_back;
    }
  }
  for (;;) { // the last ones in flight
    if (readable(server, 300ms)) {
      int v = 0;
      sockaddr_in from{};
      socklen_t len = sizeof from;
      if (::recvfrom(server, &v, sizeof v, 0, reinterpret_cast<sockaddr*>(&from), &len) == sizeof v) {
        ++received;
        ::sendto(server, &v, sizeof v, 0, reinterpret_cast<const sockaddr*>(&from), len);
      }
      continue;
    }
    if (!readable(client, 300ms)) break;
    int v = 0;
    if (::recv(client, &v, sizeof v, 0) == sizeof v) ++echoed_back;
  }
  ::close(server);
  ::close(client);
  REQUIRE(netem.process.terminate() == 0);
  INFO("seed " << seed << ": " << received << " of " << n << " crossed; " << netem.process.out());
  // Binomial(1000, 0.8): sd 12.6, so +-80 is more than 6 sd.
  CHECK(received >= 720);
  CHECK(received <= 880);
  CHECK(echoed_back == received);
  // The link's own count agrees with what the sockets saw.
  CHECK(json_line_number(netem.process.out(), "/up/lost") == n - received);
  CHECK(json_line_number(netem.process.out(), "/down/lost") == 0);
}

TEST_CASE("TCP crosses the link intact, with the delay in its handshake") {
  skip_unless_capable();
  const auto seed = std::to_string(tern::test::seed());
  tun_netem netem({"--up", "delay 10ms loss 1%", "--down", "delay 10ms loss 1%", "--seed", seed});
  REQUIRE_MESSAGE(netem.ready(), netem.process.err());
  const int listener = socket_in(netem.ns_b, SOCK_STREAM, "198.18.0.2");
  REQUIRE(::listen(listener, 1) == 0);
  const int client = socket_in(netem.ns_a, SOCK_STREAM, "198.18.0.1");
  const auto to = ipv4("198.18.0.2", local_port(listener));

  std::vector<std::uint8_t> data(1 << 20);
  std::uint32_t x = 12345;
  for (auto& b : data) b = static_cast<std::uint8_t>((x = x * 1103515245 + 12345) >> 24);
  std::vector<std::uint8_t> got;
  std::thread receiver([&] {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd < 0) return;
    std::uint8_t buf[65536];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.insert(got.end(), buf, buf + n);
    ::close(fd);
  });
  const std::int64_t start = now_ns();
  const bool connected = ::connect(client, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
  const double handshake_ms = static_cast<double>(now_ns() - start) / 1e6;
  std::size_t sent = 0;
  while (connected && sent < data.size()) {
    const ssize_t n = ::send(client, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(client, SHUT_WR);
  receiver.join();
  ::close(client);
  ::close(listener);
  REQUIRE(netem.process.terminate() == 0);
  REQUIRE(connected);
  INFO("seed " << seed << ", handshake " << handshake_ms << " ms");
  CHECK(handshake_ms >= 20.0); // SYN and SYN-ACK each crossed a 10 ms link
  CHECK(sent == data.size());
  CHECK(got == data);
}

TEST_CASE("cleanup: SIGINT and SIGTERM remove the namespaces it created") {
  skip_unless_capable();
  for (const bool sigint : {true, false}) {
    CAPTURE(sigint);
    std::string a, b;
    {
      tun_netem netem({"--up", "delay 5ms"});
      REQUIRE_MESSAGE(netem.ready(), netem.process.err());
      a = netem.ns_a;
      b = netem.ns_b;
      CHECK(namespaces().count(a) == 1);
      CHECK(device_exists(a, "tern-a"));
      CHECK(device_exists(b, "tern-b"));
      if (sigint) netem.process.interrupt();
      CHECK((sigint ? netem.process.wait() : netem.process.terminate()) == 0);
    }
    CHECK(namespaces().count(a) == 0);
    CHECK(namespaces().count(b) == 0);
  }
}

TEST_CASE("cleanup: given namespaces stay, the devices go") {
  skip_unless_capable();
  const std::string a = "tern-test-a-" + std::to_string(::getpid()), b = "tern-test-b-" + std::to_string(::getpid());
  REQUIRE(tern::netem::create_netns(a).empty());
  REQUIRE(tern::netem::create_netns(b).empty());
  {
    tun_netem netem({"--ns-a", a, "--ns-b", b});
    CHECK_MESSAGE(netem.ready(), netem.process.err());
    CHECK(netem.ns_a == a);
    CHECK(device_exists(a, "tern-a"));
    CHECK(device_exists(b, "tern-b"));
    // A second bridge cannot take the same devices, and says why.
    tun_netem second({"--ns-a", a, "--ns-b", b});
    CHECK_FALSE(second.ready());
    CHECK(second.process.wait() == 1);
    CHECK(second.process.err().find("tern-a") != std::string::npos);
    CHECK(netem.process.terminate() == 0);
  }
  CHECK(namespaces().count(a) == 1);
  CHECK(namespaces().count(b) == 1);
  CHECK_FALSE(device_exists(a, "tern-a"));
  CHECK_FALSE(device_exists(b, "tern-b"));
  CHECK(tern::netem::delete_netns(a).empty());
  CHECK(tern::netem::delete_netns(b).empty());
}

TEST_CASE("bad arguments are rejected before anything is created") {
  skip_unless_capable();
  constexpr int any_failure = -1; // CLI11's own exit codes for conflicting options
  struct bad {
    std::vector<std::string> args;
    int status;
    const char* says;
  };
  for (const auto& c : {
           bad{{"--up", "delay banana"}, 2, "--up"},
           bad{{"--down", "loss 120%"}, 2, "--down"},
           bad{{"--ns-a", "only-one"}, 1, "both --ns-a and --ns-b"},
           bad{{"--ns-a", "no-such-ns-x", "--ns-b", "no-such-ns-y"}, 1, "no network namespace"},
           bad{{"--ns-a", "bad/name", "--ns-b", "ok"}, 1, "bad namespace name"},
           bad{{"--listen", "127.0.0.1:0"}, any_failure, "--listen"},
           bad{{"--rebind-after", "1s"}, 2, "--rebind-after"},
       }) {
    CAPTURE(c.args.front());
    tun_netem netem(c.args);
    CHECK_FALSE(netem.ready());
    const int status = netem.process.wait();
    if (c.status == any_failure)
      CHECK(status != 0);
    else
      CHECK(status == c.status);
    CHECK_MESSAGE(netem.process.err().find(c.says) != std::string::npos, netem.process.err());
    const auto pid = std::to_string(netem.process.pid());
    CHECK(namespaces().count("tern-netem-a-" + pid) == 0);
    CHECK(namespaces().count("tern-netem-b-" + pid) == 0);
  }
}
