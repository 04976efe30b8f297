#include <doctest/doctest.h>

#include "congestion/controller.hpp"

#include "support/seed.hpp"

using namespace tern::cc;

TEST_CASE("controller: algorithm names parse and print") {
  CHECK(parse_algorithm("bbr") == algorithm::bbr);
  CHECK(parse_algorithm("cubic") == algorithm::cubic);
  CHECK(parse_algorithm("newreno") == algorithm::new_reno);
  CHECK(parse_algorithm("reno") == algorithm::new_reno);
  CHECK_FALSE(parse_algorithm("vegas").has_value());
  CHECK_FALSE(parse_algorithm("").has_value());
  for (auto a : {algorithm::bbr, algorithm::cubic, algorithm::new_reno})
    CHECK(parse_algorithm(to_string(a)) == a);
}

TEST_CASE("controller: the factory builds each algorithm with a ten-packet initial window") {
  tern::random_source rng{tern::test::seed()};
  controller_config config;
  config.max_datagram_size = 1400;
  for (auto a : {algorithm::bbr, algorithm::cubic, algorithm::new_reno}) {
    auto c = make_controller(a, config, rng);
    REQUIRE(c != nullptr);
    CHECK(c->kind() == a);
    CHECK(c->congestion_window() == 14000);
    CHECK_FALSE(c->state_name().empty());
  }
}

TEST_CASE("controller: every algorithm starts in start-up and leaves it on its first congestion event") {
  tern::random_source rng{tern::test::seed()};
  controller_config config;
  config.max_datagram_size = 1200;
  for (auto a : {algorithm::cubic, algorithm::new_reno}) {
    auto c = make_controller(a, config, rng);
    CHECK(c->in_startup());
    const auto now = tern::time_point{} + std::chrono::seconds(1);
    c->on_packet_sent(packet_sent_event{.now = now, .bytes = 1200, .in_flight = true});
    c->on_loss(loss_event{.now = now + std::chrono::milliseconds(100),
                          .bytes_lost = 1200,
                          .packets_lost = 1,
                          .largest_lost_sent_time = now,
                          .bytes_in_flight = 0});
    CHECK_FALSE(c->in_startup());
  }
  // BBR's Startup ends on the bandwidth plateau, not on a loss: bbr_test.cpp.
  CHECK(make_controller(algorithm::bbr, config, rng)->in_startup());
}
