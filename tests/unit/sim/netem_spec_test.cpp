#include "sim/netem_spec.hpp"

#include <doctest/doctest.h>

#include <tern/random.hpp>

#include "support/seed.hpp"

#include <algorithm>
#include <string>
#include <variant>

using namespace std::chrono_literals;
using tern::sim::parse_netem_spec;
using tern::sim::to_string;

namespace {

tern::sim::netem_spec parse_ok(const std::string& text) {
  auto r = parse_netem_spec(text);
  INFO(text);
  if (!r) FAIL(r.error().message());
  return *r;
}

tern::sim::parse_error parse_bad(const std::string& text) {
  auto r = parse_netem_spec(text);
  INFO(text);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().code == tern::sim::sim_errc::bad_spec);
  return r.error();
}

} // namespace

TEST_CASE("empty spec is a perfect link with netem's default limit") {
  const auto s = parse_ok("");
  CHECK(s == tern::sim::netem_spec{});
  CHECK(s.limit == 1000);
  CHECK(to_string(s).empty());
}

TEST_CASE("delay with jitter, correlation and distribution") {
  const auto s = parse_ok("delay 100ms 10ms 25% distribution normal");
  CHECK(s.delay == 100ms);
  CHECK(s.jitter == 10ms);
  CHECK(s.delay_correlation == 25);
  CHECK(s.distribution == tern::sim::delay_distribution::normal);
}

TEST_CASE("time units as tc takes them") {
  CHECK(parse_ok("delay 1s").delay == 1s);
  CHECK(parse_ok("delay 1.5sec").delay == 1500ms);
  CHECK(parse_ok("delay 2secs").delay == 2s);
  CHECK(parse_ok("delay 20msec").delay == 20ms);
  CHECK(parse_ok("delay 250us").delay == 250us);
  CHECK(parse_ok("delay 250usecs").delay == 250us);
  CHECK(parse_ok("delay 500ns").delay == 500ns);
  CHECK(parse_ok("delay 250").delay == 250us); // a bare number is microseconds
  CHECK(parse_ok("delay 10MS").delay == 10ms);
  CHECK(parse_ok("latency 7ms").delay == 7ms);
}

TEST_CASE("percentages with and without the percent sign") {
  const auto a = parse_ok("loss 0.5%");
  const auto b = parse_ok("loss 0.5");
  CHECK(a == b);
  CHECK(std::get<tern::sim::random_loss>(a.loss).p.percent == 0.5);
}

TEST_CASE("loss random with correlation") {
  const auto s = parse_ok("loss random 1% 25%");
  const auto& l = std::get<tern::sim::random_loss>(s.loss);
  CHECK(l.p.percent == 1);
  CHECK(l.p.correlation == 25);
  CHECK(parse_ok("drop 1% 25%") == s);
}

TEST_CASE("loss state fills tc's defaults") {
  const auto s = parse_ok("loss state 1%");
  const auto& m = std::get<tern::sim::state_loss>(s.loss);
  CHECK(m.p13 == 1);
  CHECK(m.p31 == 99);
  CHECK(m.p32 == 0);
  CHECK(m.p23 == 100);
  CHECK(m.p14 == 0);
  const auto full = std::get<tern::sim::state_loss>(parse_ok("loss state 1% 30% 5% 40% 0.5%").loss);
  CHECK(full == tern::sim::state_loss{1, 30, 5, 40, 0.5});
}

TEST_CASE("loss gemodel fills tc's defaults") {
  const auto m = std::get<tern::sim::gemodel_loss>(parse_ok("loss gemodel 2%").loss);
  CHECK(m.p == 2);
  CHECK(m.r == 98);
  CHECK(m.loss_bad == 100);
  CHECK(m.loss_good == 0);
  const auto full = std::get<tern::sim::gemodel_loss>(parse_ok("loss gemodel 1% 10% 70% 0.1%").loss);
  CHECK(full == tern::sim::gemodel_loss{1, 10, 70, 0.1});
}

TEST_CASE("duplicate, corrupt, reorder and gap") {
  const auto s = parse_ok("delay 10ms reorder 25% 50% gap 5 duplicate 1% corrupt 0.1% 5%");
  CHECK(s.reorder.percent == 25);
  CHECK(s.reorder.correlation == 50);
  CHECK(s.gap == 5);
  CHECK(s.duplicate.percent == 1);
  CHECK(s.corrupt == tern::sim::percent_param{0.1, 5});
}

TEST_CASE("reorder without gap gets gap 1, as tc sets it") {
  CHECK(parse_ok("delay 10ms reorder 5%").gap == 1);
}

TEST_CASE("rate units are tc's, case-insensitive, bytes for bps") {
  CHECK(parse_ok("rate 100mbit").rate.bits_per_second == 100'000'000);
  CHECK(parse_ok("rate 100Mbit").rate.bits_per_second == 100'000'000);
  CHECK(parse_ok("rate 1gbit").rate.bits_per_second == 1'000'000'000);
  CHECK(parse_ok("rate 500kbit").rate.bits_per_second == 500'000);
  CHECK(parse_ok("rate 9600bit").rate.bits_per_second == 9600);
  CHECK(parse_ok("rate 9600").rate.bits_per_second == 9600);
  CHECK(parse_ok("rate 1kibit").rate.bits_per_second == 1024);
  CHECK(parse_ok("rate 1mibit").rate.bits_per_second == 1024 * 1024);
  CHECK(parse_ok("rate 100bps").rate.bits_per_second == 800);
  CHECK(parse_ok("rate 1kbps").rate.bits_per_second == 8000);
  CHECK(parse_ok("rate 2MBps").rate.bits_per_second == 16'000'000);
  CHECK(parse_ok("rate 1.5mbit").rate.bits_per_second == 1'500'000);
}

TEST_CASE("rate with packet overhead, cell size and cell overhead") {
  const auto r = parse_ok("rate 10mbit -14 53 5").rate;
  CHECK(r.packet_overhead == -14);
  CHECK(r.cell_size == 53);
  CHECK(r.cell_overhead == 5);
  CHECK(parse_ok("rate 10mbit 28").rate.packet_overhead == 28);
}

TEST_CASE("slot forms") {
  const auto a = parse_ok("slot 1ms 5ms packets 10 bytes 64kb").slot;
  CHECK(a.enabled);
  CHECK_FALSE(a.use_distribution);
  CHECK(a.min_delay == 1ms);
  CHECK(a.max_delay == 5ms);
  CHECK(a.max_packets == 10);
  CHECK(a.max_bytes == 65536);
  const auto b = parse_ok("slot 2ms").slot;
  CHECK(b.min_delay == 2ms);
  CHECK(b.max_delay == 2ms);
  const auto c = parse_ok("slot distribution pareto 10ms 2ms packets 3").slot;
  CHECK(c.use_distribution);
  CHECK(c.distribution == tern::sim::delay_distribution::pareto);
  CHECK(c.dist_delay == 10ms);
  CHECK(c.dist_jitter == 2ms);
  CHECK(c.max_packets == 3);
}

TEST_CASE("limit, ecn and seed") {
  const auto s = parse_ok("limit 50 loss 1% ecn seed 42");
  CHECK(s.limit == 50);
  CHECK(s.ecn);
  REQUIRE(s.seed.has_value());
  CHECK(*s.seed == 42);
}

TEST_CASE("keywords may come in any order") {
  CHECK(parse_ok("loss 1% delay 10ms rate 1mbit") == parse_ok("rate 1mbit delay 10ms loss 1%"));
}

TEST_CASE("errors name the offending token, its offset and what was expected") {
  SUBCASE("unknown keyword") {
    const auto e = parse_bad("delay 10ms lost 1%");
    CHECK(e.token == "lost");
    CHECK(e.position == 11);
    CHECK(e.expected.find("keyword") != std::string::npos);
    CHECK(e.message().find("\"lost\"") != std::string::npos);
  }
  SUBCASE("bad time unit") {
    const auto e = parse_bad("delay 10xs");
    CHECK(e.token == "10xs");
    CHECK(e.position == 6);
    CHECK(e.expected.find("time") != std::string::npos);
  }
  SUBCASE("missing argument at the end") {
    const auto e = parse_bad("delay 10ms loss");
    CHECK(e.token.empty());
    CHECK(e.position == 15);
    CHECK(e.message().find("end of input") != std::string::npos);
  }
  SUBCASE("percentage out of range") {
    const auto e = parse_bad("loss 150%");
    CHECK(e.token == "150%");
    CHECK(e.expected.find("percentage") != std::string::npos);
  }
  SUBCASE("bad rate unit") {
    const auto e = parse_bad("rate 10mbits");
    CHECK(e.token == "10mbits");
    CHECK(e.expected.find("rate") != std::string::npos);
  }
  SUBCASE("percentage rates are refused") { CHECK(parse_bad("rate 50%").token == "50%"); }
  SUBCASE("unknown distribution") { CHECK(parse_bad("delay 10ms 1ms distribution gauss").token == "gauss"); }
  SUBCASE("unknown loss model") { CHECK(parse_bad("loss bursty 1%").token == "bursty"); }
  SUBCASE("reorder needs a delay") {
    const auto e = parse_bad("reorder 10%");
    CHECK(e.token == "reorder");
    CHECK(e.expected.find("delay") != std::string::npos);
  }
  SUBCASE("gap needs reorder") { CHECK(parse_bad("delay 10ms gap 5").token == "gap"); }
  SUBCASE("ecn needs a loss model") { CHECK(parse_bad("delay 10ms ecn").token == "ecn"); }
  SUBCASE("distribution needs jitter") { CHECK(parse_bad("delay 10ms distribution normal").token == "distribution"); }
  SUBCASE("repeated keyword") {
    const auto e = parse_bad("loss 1% loss 2%");
    CHECK(e.token == "loss");
    CHECK(e.position == 8);
  }
  SUBCASE("negative time") { CHECK(parse_bad("delay -5ms").token == "-5ms"); }
  SUBCASE("absurdly long time") { CHECK(parse_bad("delay 10ms 1e12s").token == "1e12s"); }
  SUBCASE("limit zero") { CHECK(parse_bad("limit 0").token == "0"); }
  SUBCASE("state probabilities that cannot add up") { CHECK(parse_bad("loss state 60% 30% 0% 100% 50%").token == "state"); }
  SUBCASE("slot max below min") { CHECK(parse_bad("slot 5ms 1ms").token == "1ms"); }
}

TEST_CASE("canonical form round-trips") {
  const char* specs[] = {
      "delay 100ms",
      "delay 100ms 10ms",
      "delay 100ms 10ms 25% distribution normal",
      "delay 1500us 250us distribution paretonormal",
      "limit 50 delay 20ms loss 1% 25% ecn",
      "loss state 1% 30% 5% 40% 0.5%",
      "loss gemodel 1% 10% 70% 0.1%",
      "duplicate 0.5% 10%",
      "delay 10ms reorder 25% 50% gap 5",
      "delay 10ms reorder 5%",
      "corrupt 0.1%",
      "rate 100mbit",
      "rate 1500001bit 28 53 5",
      "rate 10mbit -14",
      "slot 1ms 5ms packets 10 bytes 1500",
      "slot distribution normal 10ms 2ms",
      "delay 50ms 5ms loss 2% duplicate 1% corrupt 0.01% rate 20mbit seed 7",
  };
  for (const char* text : specs) {
    INFO(text);
    const auto s = parse_ok(text);
    const auto printed = to_string(s);
    CHECK(printed == text);
    CHECK(parse_ok(printed) == s);
  }
}

TEST_CASE("canonical form normalises units and defaults") {
  CHECK(to_string(parse_ok("delay 0.1s 10000us")) == "delay 100ms 10ms");
  CHECK(to_string(parse_ok("loss random 1")) == "loss 1%");
  CHECK(to_string(parse_ok("limit 1000 rate 1000kbit")) == "rate 1mbit");
  CHECK(to_string(parse_ok("loss gemodel 2%")) == "loss gemodel 2% 98% 100% 0%");
  CHECK(to_string(parse_ok("delay 10ms 1ms distribution uniform")) == "delay 10ms 1ms");
}

TEST_CASE("random specs round-trip through their canonical form") {
  tern::random_source rng(tern::test::seed());
  auto pct = [&] { return static_cast<double>(rng.uniform(100001)) / 1000.0; }; // 0 .. 100 in 0.001 steps
  auto time = [&] { return tern::duration{static_cast<std::int64_t>(rng.uniform(10'000'000'000ULL))}; };
  for (int i = 0; i < 2000; ++i) {
    tern::sim::netem_spec s;
    if (rng.uniform(2)) s.limit = static_cast<std::uint32_t>(1 + rng.uniform(100000));
    if (rng.uniform(2)) {
      s.delay = time() + tern::duration{1};
      if (rng.uniform(2)) {
        s.jitter = time() + tern::duration{1};
        if (rng.uniform(2)) s.delay_correlation = pct();
        s.distribution = static_cast<tern::sim::delay_distribution>(rng.uniform(4));
      }
    }
    switch (rng.uniform(4)) {
    case 1: s.loss = tern::sim::random_loss{{pct(), rng.uniform(2) ? pct() : 0}}; break;
    case 2: {
      const double p13 = pct() / 2, p31 = pct() / 2;
      s.loss = tern::sim::state_loss{p13, p31, pct() / 2, pct(), pct() / 2};
      break;
    }
    case 3: s.loss = tern::sim::gemodel_loss{pct(), pct(), pct(), pct()}; break;
    default: break;
    }
    if (!std::holds_alternative<std::monostate>(s.loss)) s.ecn = rng.uniform(2) != 0;
    if (rng.uniform(2)) s.duplicate = {pct(), rng.uniform(2) ? pct() : 0};
    if (rng.uniform(2)) s.corrupt = {pct(), rng.uniform(2) ? pct() : 0};
    if (s.delay.count() > 0 && rng.uniform(2)) {
      s.reorder = {std::max(pct(), 0.001), rng.uniform(2) ? pct() : 0}; // reorder needs a non-zero percentage
      s.gap = static_cast<std::uint32_t>(1 + rng.uniform(10));
    }
    if (rng.uniform(2)) {
      s.rate.bits_per_second = 1 + rng.uniform(10'000'000'000ULL);
      if (rng.uniform(2)) s.rate.packet_overhead = static_cast<std::int32_t>(rng.uniform(200)) - 100;
      if (rng.uniform(2)) {
        s.rate.cell_size = static_cast<std::uint32_t>(1 + rng.uniform(100));
        s.rate.cell_overhead = static_cast<std::int32_t>(rng.uniform(20)) - 10;
      }
    }
    if (rng.uniform(4) == 0) {
      s.slot.enabled = true;
      if (rng.uniform(2)) {
        s.slot.use_distribution = true;
        s.slot.distribution = static_cast<tern::sim::delay_distribution>(rng.uniform(4));
        s.slot.dist_delay = time();
        s.slot.dist_jitter = time() + tern::duration{1};
      } else {
        s.slot.min_delay = time();
        s.slot.max_delay = s.slot.min_delay + time();
      }
      if (rng.uniform(2)) s.slot.max_packets = static_cast<std::int32_t>(1 + rng.uniform(100));
      if (rng.uniform(2)) s.slot.max_bytes = static_cast<std::int64_t>(1 + rng.uniform(100000));
    }
    if (rng.uniform(4) == 0) s.seed = rng.next_u64();
    const auto text = to_string(s);
    INFO(text);
    auto back = parse_netem_spec(text);
    if (!back) FAIL(back.error().message());
    CHECK(*back == s);
  }
}
