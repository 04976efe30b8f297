// The raw UDP ceiling on loopback: one sender thread, one receiver thread,
// two sockets, counting what the receiver actually gets.
//
// Loopback never makes a sender wait (the kernel hands each datagram straight
// to the receiving socket), so a sender faster than its receiver overflows the
// receive buffer and datagrams are dropped there. Throughput is therefore
// counted at the receiver: payload bytes received divided by the sender's
// sending time. Datagrams still queued when the sender stops are drained and
// counted, since they were sent inside the window.

#include "udp_ceiling.hpp"

#include "asio/udp_socket.hpp"

#include <asio/io_context.hpp>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

namespace tern::bench {

const char* to_string(udp_mode m) noexcept {
  switch (m) {
  case udp_mode::plain: return "plain";
  case udp_mode::sendmmsg: return "sendmmsg";
  case udp_mode::gso: return "gso";
  }
  return "?";
}

namespace {

using clock_type = std::chrono::steady_clock;

thread_cpu thread_cpu_now() {
  rusage ru{};
  getrusage(RUSAGE_THREAD, &ru);
  return {static_cast<double>(ru.ru_utime.tv_sec) + static_cast<double>(ru.ru_utime.tv_usec) * 1e-6,
          static_cast<double>(ru.ru_stime.tv_sec) + static_cast<double>(ru.ru_stime.tv_usec) * 1e-6};
}

thread_cpu since(const thread_cpu& start) {
  const thread_cpu now = thread_cpu_now();
  return {now.user_s - start.user_s, now.sys_s - start.sys_s};
}

void wait_fd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  ::poll(&p, 1, timeout_ms);
}

struct shared_state {
  std::atomic<bool> receiver_ready{false};
  std::atomic<bool> sender_done{false};
};

// After the sender stops, keep reading until the queue has been empty for
// this long: late softirq delivery on a busy machine must not be missed.
constexpr auto drain_quiet = std::chrono::milliseconds(100);

[[gnu::noinline]] void run_receiver(const ceiling_config& cfg, io::udp_socket& rx, shared_state& st, ceiling_result& res) {
  const thread_cpu cpu0 = thread_cpu_now();
  const int fd = rx.asio_socket().native_handle();
  std::uint64_t datagrams = 0, bytes = 0, calls = 0;
  auto quiet_since = clock_type::time_point::max();
  st.receiver_ready = true;

  const auto idle = [&]() {
    // Returns true when the receiver should stop.
    if (st.sender_done.load(std::memory_order_acquire)) {
      const auto now = clock_type::now();
      if (quiet_since == clock_type::time_point::max()) quiet_since = now;
      if (now - quiet_since > drain_quiet) return true;
    }
    wait_fd(fd, POLLIN, 10);
    return false;
  };

  if (cfg.mode == udp_mode::plain) {
    std::vector<std::byte> buf(65536);
    for (;;) {
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
      ++calls;
      if (n >= 0) {
        ++datagrams;
        bytes += static_cast<std::uint64_t>(n);
        quiet_since = clock_type::time_point::max();
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        res.error = std::string("recv: ") + std::strerror(errno);
        break;
      }
      if (idle()) break;
    }
  } else {
    const bool gro = cfg.mode == udp_mode::gso;
    io::udp_recv_batch batch{gro ? 16u : 64u, gro ? 65535u : std::max<std::size_t>(2048, cfg.datagram_size)};
    for (;;) {
      std::error_code ec;
      const std::size_t n = rx.receive(batch, ec);
      if (n > 0) {
        datagrams += batch.for_each_datagram([&](std::span<const std::byte> p, const auto&, auto) {
          bytes += p.size();
        });
        quiet_since = clock_type::time_point::max();
        continue;
      }
      if (ec != io::io_errc::would_block) {
        res.error = "receive: " + ec.message();
        break;
      }
      if (idle()) break;
    }
    calls = rx.counters().recv_syscalls;
    res.gro_used = rx.caps().gro;
  }
  res.received_datagrams = datagrams;
  res.received_bytes = bytes;
  res.rx_syscalls = calls;
  res.rx_cpu = since(cpu0);
}

// Filled before the sender thread starts, so profiles of run_sender show the
// sending loop alone.
std::vector<std::vector<std::byte>> make_payloads(const ceiling_config& cfg) {
  std::vector<std::vector<std::byte>> payloads(std::max<std::size_t>(cfg.batch, 1));
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    payloads[i].resize(cfg.datagram_size);
    for (std::size_t k = 0; k < cfg.datagram_size; ++k) payloads[i][k] = static_cast<std::byte>(i + k);
  }
  return payloads;
}

// noinline: profile.sh toggles callgrind collection on these two functions.
[[gnu::noinline]] void run_sender(const ceiling_config& cfg, io::udp_socket& tx, const asio::ip::udp::endpoint& to,
                std::vector<std::vector<std::byte>>& payloads, ceiling_result& res) {
  const thread_cpu cpu0 = thread_cpu_now();
  const int fd = tx.asio_socket().native_handle();
  std::uint64_t sent = 0, calls = 0;
  const auto start = clock_type::now();
  const auto stop = start + cfg.duration;

  if (cfg.mode == udp_mode::plain) {
    const auto* name = static_cast<const sockaddr*>(static_cast<const void*>(to.data()));
    const auto name_len = static_cast<socklen_t>(to.size());
    for (std::uint64_t i = 0;; ++i) {
      if ((i & 63) == 0 && clock_type::now() >= stop) break;
      const auto& p = payloads[i % payloads.size()];
      const ssize_t n = ::sendto(fd, p.data(), p.size(), MSG_DONTWAIT, name, name_len);
      ++calls;
      if (n >= 0) {
        ++sent;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        wait_fd(fd, POLLOUT, 10);
        continue;
      }
      if (errno == EINTR) continue;
      res.error = std::string("sendto: ") + std::strerror(errno);
      break;
    }
  } else {
    std::vector<io::tx_datagram> out;
    for (auto& p : payloads) out.push_back({p, to});
    while (clock_type::now() < stop) {
      std::size_t off = 0;
      while (off < out.size()) {
        const auto r = tx.send(std::span(out).subspan(off));
        off += r.sent;
        sent += r.sent;
        if (!r.error) continue;
        if (r.error == io::io_errc::would_block) {
          wait_fd(fd, POLLOUT, 10);
          continue;
        }
        res.error = "send: " + r.error.message();
        break;
      }
      if (!res.error.empty()) break;
    }
    calls = tx.counters().send_syscalls;
    res.gso_used = tx.caps().gso && tx.counters().gso_messages > 0;
  }
  res.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  res.sent_datagrams = sent;
  res.tx_syscalls = calls;
  res.tx_cpu = since(cpu0);
}

} // namespace

ceiling_result measure_udp_ceiling(const ceiling_config& cfg) {
  ceiling_result res;
  asio::io_context io; // owns the sockets' reactor registration; never run
  io::udp_socket tx{io.get_executor()}, rx{io.get_executor()};
  io::udp_socket_options o;
  o.recv_buffer = cfg.socket_buffer;
  o.send_buffer = cfg.socket_buffer;
  o.ecn = false; // the ceiling is bare UDP: no per-datagram control messages
  o.recv_errors = false;
  o.gso = cfg.mode == udp_mode::gso;
  io::udp_socket_options ro = o;
  ro.gro = cfg.mode == udp_mode::gso;
  const asio::ip::udp::endpoint local{
      cfg.ipv6 ? asio::ip::make_address("::1") : asio::ip::make_address("127.0.0.1"), 0};
  if (auto ec = rx.open(local, ro)) {
    res.error = "open receiver: " + ec.message();
    return res;
  }
  if (auto ec = tx.open(local, o)) {
    res.error = "open sender: " + ec.message();
    return res;
  }
  shared_state st;
  ceiling_result rx_part, tx_part;
  auto payloads = make_payloads(cfg);
  std::thread receiver([&] { run_receiver(cfg, rx, st, rx_part); });
  while (!st.receiver_ready.load()) std::this_thread::yield();
  std::thread sender([&] {
    run_sender(cfg, tx, rx.local_endpoint(), payloads, tx_part);
    st.sender_done.store(true, std::memory_order_release);
  });
  sender.join();
  receiver.join();
  res = tx_part;
  res.received_datagrams = rx_part.received_datagrams;
  res.received_bytes = rx_part.received_bytes;
  res.rx_syscalls = rx_part.rx_syscalls;
  res.rx_cpu = rx_part.rx_cpu;
  res.gro_used = rx_part.gro_used;
  if (res.error.empty()) res.error = rx_part.error;
  return res;
}

} // namespace tern::bench
