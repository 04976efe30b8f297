// Server CPU per handshake: full (certificate signature) against resumed
// (PSK with (EC)DHE, no certificate) and resumed with accepted early data.
// Only the server's calls are timed, in thread CPU time. Run:
//   build/release/bench/crypto/bench_crypto --benchmark_filter=server_
#include <benchmark/benchmark.h>

#include "crypto/key_schedule.hpp"
#include "crypto/tls_session.hpp"

#include <algorithm>
#include <ctime>
#include <stdexcept>
#include <vector>

namespace tc = tern::crypto;

namespace {

enum class mode { full, resumed, early_data };

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void server_handshake(benchmark::State& state, mode m) {
  std::error_code ec;
  tc::tls_config server;
  server.identity = tc::generate_self_signed(tc::key_algorithm::ec_p256, "bench.tern.test", ec);
  server.alpn = {"tern/1"};
  server.tickets.keys = tc::ticket_key_ring::generate(ec);
  server.tickets.accept_early_data = true;
  server.tickets.replay = std::make_shared<tc::replay_guard>(10'000'000);
  tc::tls_config client;
  client.peer.pinned_fingerprints = {server.identity.fingerprint()};
  client.alpn = {"tern/1"};
  client.resumption = true;
  const auto client_ctx = tc::tls_context::create(tc::tls_role::client, client, ec);
  const auto server_ctx = tc::tls_context::create(tc::tls_role::server, server, ec);
  if (!client_ctx || !server_ctx) throw std::runtime_error("context");
  std::vector<std::byte> buffer(64 * 1024);
  std::vector<std::byte> ticket;
  double server_cpu = 0;
  double phase[4] = {0, 0, 0, 0}; // create, ClientHello, Finished, free
  auto run = [&](bool offer, bool timed) {
    auto c = tc::tls_session::create(client_ctx, ec);
    if (offer && c->offer_ticket(ticket, m == mode::early_data)) throw std::runtime_error("ticket refused");
    (void)c->start();
    double spent = 0;
    {
      const double t0 = thread_cpu_seconds();
      auto s = tc::tls_session::create(server_ctx, ec);
      spent += thread_cpu_seconds() - t0;
      if (timed) phase[0] += thread_cpu_seconds() - t0;
      int inputs = 0;
      for (int round = 0; round < 8; ++round) {
        std::size_t n = c->take_output(buffer);
        if (n > 0) {
          const double t1 = thread_cpu_seconds();
          (void)s->provide_input(std::span{buffer}.first(n));
          spent += thread_cpu_seconds() - t1;
          if (timed) phase[std::min(1 + inputs++, 2)] += thread_cpu_seconds() - t1;
        }
        const double t2 = thread_cpu_seconds();
        const std::size_t back = s->take_output(buffer);
        tc::directional_secrets ss;
        const bool done = s->handshake_complete() && !tc::derive_one_rtt_secrets(*s, ss);
        spent += thread_cpu_seconds() - t2;
        if (back > 0) (void)c->provide_input(std::span{buffer}.first(back));
        if (n == 0 && back == 0) break;
        (void)done;
      }
      if (!s->handshake_complete() || (offer && !s->resumed())) throw std::runtime_error("not resumed");
      if (m == mode::early_data && offer && s->early_data() != tc::early_data_status::accepted)
        throw std::runtime_error("early data refused");
      const double t3 = thread_cpu_seconds();
      s.reset();
      spent += thread_cpu_seconds() - t3;
      if (timed) phase[3] += thread_cpu_seconds() - t3;
    }
    if (c->tickets_received() > 0) ticket = c->ticket();
    if (timed) server_cpu += spent;
    return spent;
  };
  run(false, false); // the first ticket
  for (auto _ : state) state.SetIterationTime(run(m != mode::full, true));
  state.counters["server_cpu_us"] =
      benchmark::Counter(server_cpu * 1e6 / static_cast<double>(state.iterations()));
  const char* names[] = {"create_us", "hello_us", "finished_us", "free_us"};
  for (int i = 0; i < 4; ++i)
    state.counters[names[i]] = benchmark::Counter(phase[i] * 1e6 / static_cast<double>(state.iterations()));
}

} // namespace

BENCHMARK_CAPTURE(server_handshake, full_p256, mode::full)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(server_handshake, resumed, mode::resumed)->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(server_handshake, resumed_0rtt, mode::early_data)->UseManualTime()->Unit(benchmark::kMicrosecond);
