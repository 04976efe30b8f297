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
