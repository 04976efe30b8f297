#include "sim/schedule.hpp"

#include <doctest/doctest.h>

#include <variant>

using namespace std::chrono_literals;
using tern::sim::parse_schedule;

TEST_CASE("schedule entries with times, specs and a blackout") {
  auto r = parse_schedule("at 0s: delay 50ms; at 10s: loss 30%; at 12s: blackout; at 14s: delay 50ms");
  if (!r) FAIL(r.error().message());
  const auto& e = r->entries;
  REQUIRE(e.size() == 4);
  CHECK(e[0].at == 0s);
  CHECK(e[0].spec.delay == 50ms);
  CHECK(e[1].at == 10s);
  CHECK(e[1].spec.delay == 0ms); // an entry replaces the whole spec
  CHECK(std::get<tern::sim::random_loss>(e[1].spec.loss).p.percent == 30);
  CHECK(e[2].at == 12s);
  CHECK(std::get<tern::sim::random_loss>(e[2].spec.loss).p.percent == 100);
  CHECK(e[3].at == 14s);
}

TEST_CASE("schedule with newlines, comments, targets and empty specs") {
  auto r = parse_schedule("# a handover\n"
                          "at 0s up: delay 20ms   # uplink\n"
                          "at 0s down: delay 30ms\n"
                          "\n"
                          "at 1500ms: \n");
  if (!r) FAIL(r.error().message());
  REQUIRE(r->entries.size() == 3);
  CHECK(r->entries[0].target == "up");
  CHECK(r->entries[1].target == "down");
  CHECK(r->entries[2].target.empty());
  CHECK(r->entries[2].spec == tern::sim::netem_spec{});
  const auto up = r->for_target("up");
  REQUIRE(up.entries.size() == 2);
  CHECK(up.entries[0].spec.delay == 20ms);
  CHECK(up.entries[1].at == 1500ms);
}

TEST_CASE("schedule round-trips through its printed form") {
  auto r = parse_schedule("at 0s: delay 50ms 5ms; at 10s up: loss 30%; at 12s: blackout");
  REQUIRE(r.ok());
  const auto text = to_string(*r);
  CHECK(text == "at 0s: delay 50ms 5ms; at 10s up: loss 30%; at 12s: loss 100%");
  auto again = parse_schedule(text);
  REQUIRE(again.ok());
  CHECK(*again == *r);
}

TEST_CASE("schedule errors point into the whole text") {
  SUBCASE("missing at") {
    auto r = parse_schedule("after 1s: loss 1%");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == tern::sim::sim_errc::bad_schedule);
    CHECK(r.error().token == "after");
  }
  SUBCASE("bad time") {
    auto r = parse_schedule("at 0s: delay 1ms; at 1x: loss 1%");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().token == "1x");
    CHECK(r.error().position == 21);
  }
  SUBCASE("missing colon") {
    auto r = parse_schedule("at 1s loss 1%");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().expected.find("':'") != std::string::npos);
  }
  SUBCASE("bad spec inside an entry") {
    auto r = parse_schedule("at 0s: delay 1ms; at 2s: loss 1% bogus");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == tern::sim::sim_errc::bad_spec);
    CHECK(r.error().token == "bogus");
    CHECK(r.error().position == 33);
  }
  SUBCASE("time going backwards") {
    auto r = parse_schedule("at 5s: loss 1%; at 2s: loss 2%");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().token == "2s");
  }
}
