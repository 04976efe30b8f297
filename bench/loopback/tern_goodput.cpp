#include "tern_goodput.hpp"

#include <tern/tern.hpp>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include <ctime>

namespace tern::bench {
namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Reads a stream until eof, counting bytes.
struct reader : std::enable_shared_from_this<reader> {
  byte_stream s;
  std::vector<std::byte> buf = std::vector<std::byte>(1 << 20);
  std::uint64_t bytes = 0;
  std::chrono::steady_clock::time_point first{};
  std::chrono::steady_clock::time_point last{};
  std::function<void()> on_done;
  void start() {
    s.async_read_some(asio::buffer(buf), [self = shared_from_this()](std::error_code ec, std::size_t n) {
      if (n > 0) {
        if (self->bytes == 0) self->first = std::chrono::steady_clock::now();
        self->bytes += n;
        self->last = std::chrono::steady_clock::now();
      }
      if (ec) return self->on_done();
      self->start();
    });
  }
};

struct writer : std::enable_shared_from_this<writer> {
  byte_stream s;
  std::vector<std::byte> chunk;
  std::chrono::steady_clock::time_point stop_at;
  std::function<void(std::error_code)> on_done;
  void start() {
    if (std::chrono::steady_clock::now() >= stop_at) {
      std::error_code ec;
      s.shutdown_send(ec);
      return on_done(ec);
    }
    s.async_write_some(asio::buffer(chunk), [self = shared_from_this()](std::error_code ec, std::size_t) {
      if (ec) return self->on_done(ec);
      self->start();
    });
  }
};

} // namespace

goodput_result measure_tern_goodput(const goodput_config& cfg) {
  goodput_result out;
  const auto loop = cfg.ipv6 ? asio::ip::make_address("::1") : asio::ip::make_address("127.0.0.1");

  asio::io_context server_io(1);
  asio::io_context client_io(1);
  config client_cfg;
  client_cfg.gso = cfg.gso;
  client_cfg.gro = cfg.gro;
  client_cfg.max_datagram_size = cfg.max_datagram_size;
  client_cfg.pacing = cfg.pacing;
  client_cfg.congestion = cfg.congestion == "cubic"      ? congestion_controller::cubic
                          : cfg.congestion == "new_reno" ? congestion_controller::new_reno
                                                         : congestion_controller::bbr;
  config server_cfg = client_cfg;
  server_cfg.accept_connections = true;
  endpoint server(server_io.get_executor(), {loop, 0}, server_cfg);
  endpoint client(client_io.get_executor(), {loop, 0}, client_cfg);
  const auto server_at = server.local_endpoint();
  const auto pin = server.fingerprint();

  std::shared_ptr<reader> r;
  connection server_conn;
  server.async_accept([&](std::error_code ec, connection c) {
    if (ec) return;
    server_conn = c;
    c.async_accept_stream([&](std::error_code aec, byte_stream s) {
      if (aec) return;
      r = std::make_shared<reader>();
      r->s = s;
      r->on_done = [&] {
        server.close();
      };
      r->start();
    });
  });

  std::string error;
  connection client_conn;
  client_io.post([&] {
    connect_options o;
    o.pinned_fingerprints = {pin};
    client.async_connect(server_at, o, [&](std::error_code ec, connection c) {
      if (ec) {
        error = "connect: " + ec.message();
        server_io.stop();
        return client.close();
      }
      client_conn = c;
      c.async_open_stream([&](std::error_code oec, byte_stream s) {
        if (oec) {
          error = "open: " + oec.message();
          return client.close();
        }
        auto w = std::make_shared<writer>();
        w->s = s;
        w->chunk.assign(cfg.chunk, std::byte{0x5a});
        w->stop_at = std::chrono::steady_clock::now() + cfg.duration;
        w->on_done = [&](std::error_code wec) {
          if (wec) error = "write: " + wec.message();
          // Keep running until the server read everything; then the server's
          // close ends this side (closed_by_peer) and the endpoint is closed.
          client_conn.async_wait_closed([&](std::error_code) { client.close(); });
        };
        w->start();
      });
    });
  });

  double server_cpu = 0;
  std::thread server_thread([&] {
    const double t0 = thread_cpu_seconds();
    server_io.run_for(cfg.duration + std::chrono::seconds(60));
    server_cpu = thread_cpu_seconds() - t0;
  });
  const double c0 = thread_cpu_seconds();
  // Stats must be read on the client's executor before the endpoint closes.
  client_io.run_for(cfg.duration + std::chrono::seconds(60));
  out.client_cpu_s = thread_cpu_seconds() - c0;
  server_io.stop();
  server_thread.join();
  out.server_cpu_s = server_cpu;

  if (server_conn) out.server_packets_sent = server_conn.stats().packets_sent;
  if (client_conn) {
    const auto st = client_conn.stats();
    out.packets_sent = st.packets_sent;
    out.packets_lost = st.packets_lost;
    out.srtt_us = static_cast<std::uint64_t>(st.srtt.count() / 1000);
    out.min_rtt_us = static_cast<std::uint64_t>(st.min_rtt.count() / 1000);
    out.delivery_rate_bps = st.delivery_rate * 8;
    out.cwnd = st.cwnd;
    out.pacing_rate_bps = st.pacing_rate * 8;
    out.datagram_size = st.datagram_size;
    out.mtu_probes_sent = st.mtu_probes_sent;
  }
  const auto info = client.info();
  out.send_syscalls = info.send_syscalls;
  out.datagrams_sent = info.datagrams_sent;
  out.gso = info.gso;
  out.gro = server.info().gro;
  if (r) {
    out.bytes = r->bytes;
    out.seconds = std::chrono::duration<double>(r->last - r->first).count();
  }
  out.error = error;
  return out;
}

} // namespace tern::bench
