// Two full tern connections (TLS, packet protection, streams, flow control,
// the default BBR) through one bottleneck, in virtual time: each client
// writes an endless stream, each server reads it as fast as it arrives. The
// shares of the bottleneck must be fair (Jain's index over the steady
// part), the link well used, and every byte intact.

#include "sim/connection_node.hpp"
#include "crypto/certificate.hpp"
#include "sim/netem_spec.hpp"
#include "sim/simulator.hpp"
#include "sim/topology.hpp"
#include "support/seed.hpp"
#include "support/sim_connection.hpp"

#include <doctest/doctest.h>

#include <tern/random.hpp>

#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace tern;
using namespace std::chrono_literals;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr duration run_time = 8s;
constexpr duration warmup = 4s;
#else
constexpr duration run_time = 15s;
constexpr duration warmup = 5s;
#endif

/// Stream byte at `offset`: a function of the offset only, so the reader
/// checks every byte without keeping a copy.
std::byte byte_at(std::uint64_t offset) { return static_cast<std::byte>((offset * 131 + (offset >> 9)) & 0xff); }

/// One client -> server bulk flow.
struct flow {
  std::unique_ptr<random_source> rng;
  std::unique_ptr<sim::connection_node> client;
  std::unique_ptr<sim::connection_node> server;
  std::optional<std::uint64_t> out_id;
  std::optional<std::uint64_t> in_id;
  std::uint64_t written = 0;
  std::uint64_t read = 0;
  std::uint64_t read_at_warmup = 0;
  bool intact = true;
  std::vector<std::byte> chunk = std::vector<std::byte>(16 * 1024);
  /// Stream offset `chunk` holds, so a write the window refuses (most
  /// activity calls) does not refill 16 KiB byte by byte.
  std::optional<std::uint64_t> chunk_at;
  std::vector<std::byte> buf = std::vector<std::byte>(64 * 1024);
};

double jain(const std::vector<double>& x) {
  double sum = 0, squares = 0;
  for (double v : x) {
    sum += v;
    squares += v * v;
  }
  return squares == 0 ? 0 : sum * sum / (static_cast<double>(x.size()) * squares);
}

struct fairness_result {
  std::vector<double> mbps; // per flow, over [warmup, run_time]
  double jain_index = 0;
  double utilization = 0; // sum of the flows' goodput / link rate
  bool intact = true;
};

fairness_result run_two_flows(const std::string& bottleneck, double link_mbps, std::uint64_t seed) {
  const auto configs = test::pinned_sim_configs();
  const auto& client_cfg = configs.client;
  const auto& server_cfg = configs.server;
  const auto client_tls = test::sim_tls(crypto::tls_role::client, client_cfg);
  const auto server_tls = test::sim_tls(crypto::tls_role::server, server_cfg);
  std::error_code ec;

  sim::simulator s(seed);
  const time_point start = s.now();
  std::array<flow, 2> flows;
  std::vector<sim::dumbbell_pair> pairs;
  for (std::size_t k = 0; k < flows.size(); ++k) {
    auto& f = flows[k];
    f.rng = std::make_unique<random_source>(seed * 31 + k);
    const sim::address client_addr{static_cast<std::uint32_t>(10 + k), 5000};
    const sim::address server_addr{static_cast<std::uint32_t>(20 + k), 4433};
    f.client = std::make_unique<sim::connection_node>(client_cfg, *f.rng);
    auto* conn = f.client->connect(client_tls, server_addr, s.now(), ec);
    REQUIRE(conn);
    f.server = std::make_unique<sim::connection_node>(server_cfg, server_tls, *f.rng);
    f.client->on_activity = [&f](core::connection& c, time_point) {
      if (!c.is_established()) return;
      std::error_code oec;
      if (!f.out_id) f.out_id = c.open_stream(stream::direction::uni, oec);
      if (!f.out_id) return;
      for (;;) {
        if (f.chunk_at != f.written) {
          for (std::size_t i = 0; i < f.chunk.size(); ++i) f.chunk[i] = byte_at(f.written + i);
          f.chunk_at = f.written;
        }
        const std::size_t n = c.write(*f.out_id, f.chunk, oec);
        f.written += n;
        if (oec || n < f.chunk.size()) break;
      }
    };
    f.server->on_activity = [&f](core::connection& c, time_point) {
      if (!f.in_id) f.in_id = c.accept_stream(stream::direction::uni);
      if (!f.in_id) return;
      for (;;) {
        std::error_code rec;
        const auto r = c.read(*f.in_id, f.buf, rec);
        if (rec || r.bytes == 0) break;
        for (std::size_t i = 0; i < r.bytes; ++i)
          if (f.buf[i] != byte_at(f.read + i)) f.intact = false;
        f.read += r.bytes;
      }
    };
    pairs.push_back(sim::dumbbell_pair{s.add_node(*f.client, client_addr), s.add_node(*f.server, server_addr), {}, {}});
  }
  (void)sim::make_dumbbell(s, pairs, test::netem(bottleneck), test::netem("delay 20ms"));
  s.schedule_call(start + warmup, [&] {
    for (auto& f : flows) f.read_at_warmup = f.read;
  });
  s.run_until(start + run_time, [&] {
    for (auto& f : flows) f.client->activity(s.now());
    return false;
  });

  fairness_result r;
  const double seconds = std::chrono::duration<double>(run_time - warmup).count();
  double total = 0;
  for (auto& f : flows) {
    const double mbps = static_cast<double>(f.read - f.read_at_warmup) * 8 / seconds / 1e6;
    r.mbps.push_back(mbps);
    total += mbps;
    r.intact = r.intact && f.intact && f.read > 0;
  }
  r.jain_index = jain(r.mbps);
  r.utilization = total / link_mbps;
  return r;
}

} // namespace

TEST_CASE("connection sim: two connections through one bottleneck share it fairly") {
  const std::uint64_t base = tern::test::seed();
  for (std::uint64_t k = 0; k < 2; ++k) {
    const std::uint64_t seed = base + k * 7919;
    CAPTURE(seed);
    const auto r = run_two_flows("rate 20mbit delay 20ms limit 200", 20, seed);
    MESSAGE("flows ", r.mbps[0], " and ", r.mbps[1], " Mb/s, Jain ", r.jain_index, ", utilization ",
            r.utilization);
    CHECK(r.intact);
    CHECK(r.jain_index >= 0.9);
    CHECK(r.utilization >= 0.8);
    CHECK(r.utilization <= 1.0);
  }
}
