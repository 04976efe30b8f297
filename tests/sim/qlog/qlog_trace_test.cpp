// qlog traces of full connections in virtual time (docs/observability.md):
// a transfer over a lossy path with a key update, traced on both sides into
// a directory, must leave one file per side whose every record satisfies
// the schema's required fields (qlog_schema.hpp) and whose events agree
// with the connection's own counters.

#include "sim/connection_node.hpp"
#include "crypto/certificate.hpp"
#include "qlog/trace_writer.hpp"
#include "qlog_schema.hpp"
#include "sim/netem_spec.hpp"
#include "sim/simulator.hpp"
#include "support/connection_test_access.hpp"
#include "support/seed.hpp"
#include "support/sim_connection.hpp"

#include <doctest/doctest.h>

#include <tern/random.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

using namespace tern;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A fresh directory under the system's temporary directory, removed at
/// the end of the test.
struct scratch_dir {
  fs::path path;
  explicit scratch_dir(std::uint64_t seed) {
    path =
        fs::temp_directory_path() / ("tern-qlog-" + std::to_string(::getpid()) + "-" + std::to_string(seed));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::vector<fs::path> files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(path)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }
};

struct transfer_result {
  bool complete = false;
  bool closed = false;
  core::connection_stats client;
  core::connection_stats server;
  std::error_code client_qlog_error;
};

/// 300 kB from client to server over `link` both ways, a key update half
/// way, then a close; both connections traced into `qlog_dir` and destroyed
/// (their files complete) before this returns.
transfer_result run_transfer(const std::string& qlog_dir, const std::string& link, std::uint64_t seed) {
  constexpr std::size_t bytes = 300'000;
  random_source rng(seed);
  auto configs = test::pinned_sim_configs();
  auto& client_cfg = configs.client;
  auto& server_cfg = configs.server;
  client_cfg.qlog = std::make_shared<qlog::trace_directory>(qlog_dir);
  server_cfg.qlog = client_cfg.qlog;
  const auto client_tls = test::sim_tls(crypto::tls_role::client, client_cfg);
  const auto server_tls = test::sim_tls(crypto::tls_role::server, server_cfg);
  std::error_code ec;

  sim::simulator s(seed);
  const sim::address client_addr{1, 5000};
  const sim::address server_addr{2, 4433};
  sim::connection_node client(client_cfg, rng);
  auto* conn = client.connect(client_tls, server_addr, s.now(), ec);
  REQUIRE(conn);
  transfer_result out;
  out.client_qlog_error = conn->qlog_error();
  sim::connection_node server(server_cfg, server_tls, rng);

  std::vector<std::byte> data(bytes, std::byte{0x5a});
  std::size_t written = 0;
  std::size_t received = 0;
  std::optional<std::uint64_t> stream;
  bool finished = false;
  bool key_updated = false;
  bool closed = false;
  client.on_activity = [&](core::connection& c, time_point now) {
    if (!c.is_established()) return;
    if (!stream) stream = c.open_stream(stream::direction::uni, ec);
    if (!stream) return;
    while (written < data.size()) {
      std::error_code wec;
      const std::size_t n = c.write(*stream, std::span(data).subspan(written), wec);
      if (wec || n == 0) break;
      written += n;
    }
    if (written == data.size() && !finished) finished = !c.finish(*stream);
    if (!key_updated && received > bytes / 2) key_updated = core::connection_test_access::initiate_key_update(c);
    if (out.complete && !closed) {
      c.close(0, "done", now);
      closed = true;
    }
  };
  std::optional<std::uint64_t> server_stream;
  std::vector<std::byte> buf(65536);
  server.on_activity = [&](core::connection& c, time_point) {
    while (auto id = c.accept_stream(stream::direction::uni))
      server_stream = server_stream ? server_stream : id;
    if (!server_stream) return;
    for (;;) {
      std::error_code rec;
      const auto r = c.read(*server_stream, buf, rec);
      if (rec) break;
      received += r.bytes;
      if (r.fin) out.complete = true;
      if (r.bytes == 0) break;
    }
  };

  const auto c = s.add_node(client, client_addr);
  const auto srv = s.add_node(server, server_addr);
  const auto fwd = s.add_link(test::netem(link), "forward");
  const auto back = s.add_link(test::netem(link), "backward");
  s.add_route(c, srv, {fwd});
  s.add_route(srv, c, {back});
  const time_point start = s.now();
  s.run_until(start + 120s, [&] {
    client.activity(s.now());
    return client.get()->is_closed() && server.get() && server.get()->is_closed();
  });
  out.closed = client.get()->is_closed();
  out.client = client.get()->stats();
  if (server.get()) out.server = server.get()->stats();
  return out;
}

std::string describe(const std::vector<std::string>& errors) {
  std::string s;
  for (std::size_t i = 0; i < errors.size() && i < 10; ++i) s += errors[i] + "\n";
  return s;
}

} // namespace

TEST_CASE("qlog: a lossy transfer leaves one valid trace per side") {
  const std::uint64_t seed = tern::test::seed();
  CAPTURE(seed);
  scratch_dir dir(seed);
  const auto r = run_transfer(dir.path.string(), "delay 20ms loss 3%", seed);
  REQUIRE(r.complete);
  CHECK(r.closed);
  CHECK_FALSE(r.client_qlog_error);
  REQUIRE(r.client.packets_lost > 0); // the trace below must show losses

  const auto files = dir.files();
  REQUIRE(files.size() == 2);
  std::map<std::string, test::qlog_schema::trace_summary> by_side;
  for (const auto& f : files) {
    CAPTURE(f.string());
    auto t = test::qlog_schema::check_file(f.string());
    CHECK_MESSAGE(t.errors.empty(), describe(t.errors));
    // Named by ODCID and role.
    CHECK(f.filename().string() == qlog::trace_writer::file_name(t.odcid, t.vantage == "client"
                                                                              ? qlog::vantage::client
                                                                              : qlog::vantage::server));
    by_side[t.vantage] = std::move(t);
  }
  REQUIRE(by_side.count("client") == 1);
  REQUIRE(by_side.count("server") == 1);
  const auto& client = by_side["client"];
  const auto& server = by_side["server"];
  CHECK(client.odcid == server.odcid);

  // The events agree with the connections' own counters.
  CHECK(client.events.at("transport:packet_sent") == r.client.packets_sent);
  CHECK(client.events.at("transport:packet_received") == r.client.packets_received);
  CHECK(client.events.at("recovery:packet_lost") == r.client.packets_lost);
  CHECK(server.events.at("transport:packet_sent") == r.server.packets_sent);
  CHECK(server.events.at("transport:packet_received") == r.server.packets_received);
  CHECK(client.loss_triggers.count("reordering_threshold") == 1);

  // Recovery plots have data; the controller's state is named.
  CHECK(client.saw_congestion_window);
  CHECK(client.saw_smoothed_rtt);
  CHECK(client.events.count("recovery:congestion_state_updated") == 1);

  // The lifecycle, in qlog's order and without repeats: a client starts
  // attempted, a server at handshake_started; the client closes, the
  // server drains; both end closed.
  const auto in_order = [](const std::vector<std::string>& states) {
    static const std::vector<std::string> rank{
        "attempted", "handshake_started", "handshake_complete", "handshake_confirmed", "closing", "draining",
        "closed"};
    std::ptrdiff_t last = -1;
    for (const auto& s : states) {
      const auto at = std::find(rank.begin(), rank.end(), s) - rank.begin();
      if (at <= last) return false;
      last = at;
    }
    return true;
  };
  const auto has = [](const std::vector<std::string>& v, const char* s) {
    return std::find(v.begin(), v.end(), s) != v.end();
  };
  CHECK(in_order(client.connection_states));
  CHECK(in_order(server.connection_states));
  REQUIRE_FALSE(client.connection_states.empty());
  REQUIRE_FALSE(server.connection_states.empty());
  CHECK(client.connection_states.front() == "attempted");
  CHECK(has(client.connection_states, "handshake_confirmed"));
  CHECK(has(client.connection_states, "closing"));
  CHECK(client.connection_states.back() == "closed");
  CHECK(server.connection_states.front() == "handshake_started");
  CHECK(has(server.connection_states, "handshake_confirmed"));
  CHECK(has(server.connection_states, "draining"));
  CHECK(server.connection_states.back() == "closed");

  // Frames: the stream frames the server received cover exactly the bytes
  // sent (retransmissions overlap and count once); every packet number the
  // client saw acknowledged is one it sent.
  CHECK(client.frames_sent.count("crypto") == 1);
  CHECK(client.frames_sent.count("padding") == 1); // the Initial is padded
  CHECK(client.frames_sent.count("stream") == 1);
  CHECK(client.frames_sent.count("connection_close") == 1);
  CHECK(server.frames_sent.count("handshake_done") == 1);
  CHECK(server.frames_sent.count("ack") == 1);
  REQUIRE(server.stream_ranges_received.size() == 1);
  CHECK(test::qlog_schema::covered_bytes(server.stream_ranges_received.begin()->second) == 300'000);
  REQUIRE_FALSE(client.packets_acked.empty());
  std::size_t acked_but_not_sent = 0;
  for (auto pn : client.packets_acked) acked_but_not_sent += client.packets_sent.count(pn) == 0;
  CHECK(acked_but_not_sent == 0);
  // Losses show as stream data sent more than once.
  std::size_t stream_frames_received = server.frames_received.at("stream");
  CHECK(client.frames_sent.at("stream") >= stream_frames_received);

  // 1-RTT keys from TLS, then the client's update, seen by the server as
  // the peer's.
  CHECK(client.key_triggers == std::set<std::string>{"tls", "local_update"});
  CHECK(server.key_triggers == std::set<std::string>{"tls", "remote_update"});
}

TEST_CASE("qlog: a directory that cannot be written leaves the connection untraced and working") {
  const std::uint64_t seed = tern::test::seed();
  CAPTURE(seed);
  scratch_dir dir(seed + 1);
  const std::string missing = (dir.path / "no" / "such" / "dir").string();
  const auto r = run_transfer(missing, "delay 20ms", seed);
  CHECK(r.complete);
  CHECK(r.client_qlog_error == std::errc::no_such_file_or_directory);
  CHECK(dir.files().empty());
}

TEST_CASE("qlog: the writer records metrics, congestion and connection states only when they change") {
  scratch_dir dir(tern::test::seed() + 2);
  {
    std::error_code ec;
    auto w = qlog::trace_writer::create(dir.path.string(), "0011223344556677", qlog::vantage::client,
                                        time_point{}, ec);
    REQUIRE_FALSE(ec);
    qlog::recovery_metrics m;
    m.congestion_window = 12000;
    const time_point t{std::chrono::milliseconds(5)};
    w->metrics_updated(t, m);
    w->metrics_updated(t, m); // unchanged: nothing
    m.smoothed_rtt = 40ms;    // an RTT sample arrives
    w->metrics_updated(t + 1ms, m);
    w->congestion_state_updated(t + 1ms, "startup");
    w->congestion_state_updated(t + 1ms, "startup");
    w->connection_state_updated(t + 1ms, qlog::connection_state::attempted);
    w->connection_state_updated(t + 1ms, qlog::connection_state::attempted);
    const std::vector<wire::frame> frames{wire::ping_frame{}, wire::padding_frame{1150}};
    w->packet_sent(t + 1ms, qlog::packet_info{qlog::packet_type::initial, 0, 1200, frames});
    w->packet_lost(t + 2ms, 0, qlog::loss_trigger::time_threshold);
    CHECK_FALSE(w->error());
  }
  const auto files = dir.files();
  REQUIRE(files.size() == 1);
  const auto t = test::qlog_schema::check_file(files[0].string());
  CHECK_MESSAGE(t.errors.empty(), describe(t.errors));
  CHECK(t.events.at("recovery:metrics_updated") == 2);
  CHECK(t.events.at("recovery:congestion_state_updated") == 1);
  CHECK(t.events.at("connectivity:connection_state_updated") == 1);
  CHECK(t.loss_triggers == std::set<std::string>{"time_threshold"});
  // The lost Initial is reported as one, from what was sent.
  std::ifstream in(files[0]);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str().find(R"("name":"recovery:packet_lost","data":{"header":{"packet_type":"initial")") !=
        std::string::npos);
}

TEST_CASE("qlog: bad arguments are refused") {
  std::error_code ec;
  CHECK_FALSE(qlog::trace_writer::create("", "00", qlog::vantage::client, time_point{}, ec));
  CHECK(ec == std::errc::invalid_argument);
  CHECK_FALSE(qlog::trace_writer::create("/tmp", "", qlog::vantage::server, time_point{}, ec));
  CHECK(ec == std::errc::invalid_argument);
}
