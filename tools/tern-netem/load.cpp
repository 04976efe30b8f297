// tern-netem-load: traffic for measuring tern-netem.
//   tern-netem-load sink --listen 127.0.0.1:0 [--idle 2s]
//     prints "sink HOST:PORT", counts datagrams until idle, prints the count.
//   tern-netem-load send --to HOST:PORT --rate PPS --duration TIME [--size BYTES]
//     sends PPS datagrams per second, evenly paced.

#include "cli_exit.hpp"
#include "endpoint.hpp"

#include "sim/netem_spec.hpp"

#include <CLI/CLI.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  CLI::App app{"tern-netem-load: paced UDP traffic and a counting sink"};
  app.require_subcommand(1);
  auto* sink = app.add_subcommand("sink", "count datagrams");
  std::string listen = "127.0.0.1:0", idle = "2s";
  sink->add_option("--listen", listen);
  sink->add_option("--idle", idle, "exit after no datagram for this long");
  auto* send = app.add_subcommand("send", "send paced datagrams");
  std::string to, duration_text = "5s";
  double rate = 100000;
  std::size_t size = 200;
  send->add_option("--to", to)->required();
  send->add_option("--rate", rate, "datagrams per second");
  send->add_option("--duration", duration_text);
  send->add_option("--size", size, "bytes per datagram");
  TERN_PARSE_COMMAND_LINE(app, "tern-netem-load", argc, argv);

  using clock = std::chrono::steady_clock;
  if (*sink) {
    const auto l = tern::netem::parse_endpoint(listen);
    const auto idle_time = tern::sim::parse_time(idle);
    if (!l) return tern::tools::usage_error("tern-netem-load", "--listen: bad address \"" + listen + "\"");
    if (!idle_time) return tern::tools::usage_error("tern-netem-load", "--idle: bad time \"" + idle + "\"");
    const int fd = ::socket(l->family(), SOCK_DGRAM, 0);
    const int buf = 4 * 1024 * 1024;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    if (::bind(fd, l->addr(), l->length) != 0) return 1;
    tern::netem::endpoint bound;
    bound.length = sizeof bound.storage;
    getsockname(fd, bound.addr(), &bound.length);
    std::printf("sink %s\n", tern::netem::to_string(bound).c_str());
    std::fflush(stdout);
    std::vector<char> data(65536);
    std::uint64_t count = 0;
    pollfd p{fd, POLLIN, 0};
    const int idle_ms = static_cast<int>(idle_time->count() / 1000000);
    while (::poll(&p, 1, count == 0 ? 60000 : idle_ms) > 0)
      while (::recv(fd, data.data(), data.size(), MSG_DONTWAIT) >= 0) ++count;
    std::printf("received %llu\n", static_cast<unsigned long long>(count));
    return 0;
  }
  const auto t = tern::netem::parse_endpoint(to);
  const auto d = tern::sim::parse_time(duration_text);
  if (!t) return tern::tools::usage_error("tern-netem-load", "--to: bad address \"" + to + "\"");
  if (!d)
    return tern::tools::usage_error("tern-netem-load", "--duration: bad time \"" + duration_text + "\"");
  if (rate <= 0) return tern::tools::usage_error("tern-netem-load", "--rate must be positive");
  const int fd = ::socket(t->family(), SOCK_DGRAM, 0);
  if (::connect(fd, t->addr(), t->length) != 0) return 1;
  std::vector<char> data(size, 'x');
  const auto start = clock::now();
  const auto end = start + std::chrono::nanoseconds{d->count()};
  std::uint64_t sent = 0;
  for (auto now = start; now < end; now = clock::now()) {
    const auto due = static_cast<std::uint64_t>(std::chrono::duration<double>(now - start).count() * rate);
    while (sent < due) {
      if (::send(fd, data.data(), data.size(), 0) >= 0) ++sent;
      else break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds{20});
  }
  std::printf("sent %llu\n", static_cast<unsigned long long>(sent));
  return 0;
}
