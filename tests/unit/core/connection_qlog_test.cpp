// The connection's qlog seam (connection_qlog.cpp): the core writes a trace
// only through the qlog::trace_factory its driver put in the config, asked
// once per connection when it starts.

#include "harness.hpp"

#include "qlog/trace_factory.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

namespace tern::core::test {
namespace {

/// Counts the packets a connection reports.
struct packet_counts {
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
};

class counting_observer final : public qlog::observer {
public:
  explicit counting_observer(packet_counts& counts) : counts_(counts) {}
  void packet_sent(time_point, const qlog::packet_info&) override { ++counts_.sent; }
  void packet_received(time_point, const qlog::packet_info&) override { ++counts_.received; }
  void packet_lost(time_point, std::uint64_t, qlog::loss_trigger) override {}
  void metrics_updated(time_point, const qlog::recovery_metrics&) override {}
  void congestion_state_updated(time_point, std::string_view) override {}
  void key_updated(time_point, qlog::key_type, std::uint64_t, qlog::key_trigger) override {}
  void connection_state_updated(time_point, qlog::connection_state) override {}

private:
  packet_counts& counts_;
};

/// Records what each connection asked for; hands out counting observers,
/// or none with `refuse` set.
class recording_factory final : public qlog::trace_factory {
public:
  struct request {
    std::string odcid_hex;
    qlog::vantage side;
    time_point reference;
  };
  std::vector<request> requests;
  packet_counts client;
  packet_counts server;
  std::error_code refuse;

  std::unique_ptr<qlog::observer> open(const qlog::trace_id& id, std::error_code& ec) override {
    requests.push_back(request{std::string(id.odcid_hex), id.side, id.reference});
    ec = refuse;
    if (ec) return nullptr;
    return std::make_unique<counting_observer>(id.side == qlog::vantage::client ? client : server);
  }
};

} // namespace

TEST_CASE("connection: the qlog trace comes from the driver's trace factory, asked once per connection") {
  auto configs = pinned_configs();
  auto factory = std::make_shared<recording_factory>();
  configs.first.qlog = factory;
  configs.second.qlog = factory;
  network net(configs);
  net.now += 5s;
  const time_point client_start = net.now;
  REQUIRE(net.handshake());
  net.client->close(0, "done", net.now);
  REQUIRE(net.run_until([&] { return net.client->is_closed() && net.server->is_closed(); }, 10s));

  REQUIRE(factory->requests.size() == 2);
  const auto& client = factory->requests[0];
  const auto& server = factory->requests[1];
  CHECK(client.side == qlog::vantage::client);
  CHECK(server.side == qlog::vantage::server);
  // Both ends name the trace by the client's original DCID (8 bytes, hex).
  CHECK(client.odcid_hex.size() == 16);
  CHECK(client.odcid_hex == server.odcid_hex);
  CHECK(client.reference == client_start);
  CHECK(server.reference > client_start);
  CHECK_FALSE(net.client->qlog_error());
  // Every packet either side counted went through its observer.
  CHECK(factory->client.sent == net.client->stats().packets_sent);
  CHECK(factory->client.received == net.client->stats().packets_received);
  CHECK(factory->server.sent == net.server->stats().packets_sent);
  CHECK(factory->server.received == net.server->stats().packets_received);
}

TEST_CASE("connection: a trace factory that makes no observer leaves the connection untraced and working") {
  auto configs = pinned_configs();
  auto factory = std::make_shared<recording_factory>();
  factory->refuse = std::make_error_code(std::errc::permission_denied);
  configs.first.qlog = factory;
  network net(configs);
  REQUIRE(net.handshake());
  CHECK(net.client->qlog_error() == std::errc::permission_denied);
  CHECK(factory->requests.size() == 1);
  CHECK(factory->client.sent == 0);
}

} // namespace tern::core::test
