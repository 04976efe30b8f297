// Statistical properties of the link model over 100k+ packets, seeded.
//
// Every tolerance is five standard errors of the estimator under the model's
// own distribution (so a correct model fails with probability < 1e-6 for any
// seed): sqrt(p(1-p)/n) for independent Bernoulli fractions, the Markov
// chain's asymptotic variance for the 2- and 4-state loss models, renewal
// theory for reorder with a gap, and the distribution table's own moments
// for delays.

#include "sim/link.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <vector>

#include "link_driver.hpp"
#include "support/seed.hpp"

using namespace std::chrono_literals;
using tern::duration;
using tern::time_point;
using tern::sim::packet_fate;
using tern::sim::test::link_driver;
using tern::sim::test::spec_of;

namespace {

constexpr int n_packets = 200000;

double bernoulli_tolerance(double p, int n) { return 5 * std::sqrt(p * (1 - p) / n); }

// A finite Markov chain over packets with a per-state loss probability q.
// Returns the stationary loss fraction and the asymptotic variance of the
// observed loss fraction times n (emission noise plus the chain's
// autocovariance sum).
template <std::size_t N>
struct chain_result {
  double mean;
  double variance;
};

template <std::size_t N>
chain_result<N> markov_loss(const std::array<std::array<double, N>, N>& P, const std::array<double, N>& q) {
  std::array<double, N> pi{};
  pi[0] = 1;
  for (int it = 0; it < 200000; ++it) {
    std::array<double, N> next{};
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t j = 0; j < N; ++j) next[j] += pi[i] * P[i][j];
    pi = next;
  }
  double mean = 0;
  for (std::size_t i = 0; i < N; ++i) mean += pi[i] * q[i];
  double emission = 0;
  for (std::size_t i = 0; i < N; ++i) emission += pi[i] * q[i] * (1 - q[i]);
  // Chain part: Var(q(X)) + 2 sum_k Cov(q(X_0), q(X_k)), with h_k = P^k (q - mean).
  std::array<double, N> h{};
  for (std::size_t i = 0; i < N; ++i) h[i] = q[i] - mean;
  auto cov = [&](const std::array<double, N>& v) {
    double c = 0;
    for (std::size_t i = 0; i < N; ++i) c += pi[i] * (q[i] - mean) * v[i];
    return c;
  };
  double var = cov(h);
  for (int k = 1; k < 1000000; ++k) {
    std::array<double, N> next{};
    for (std::size_t i = 0; i < N; ++i)
      for (std::size_t j = 0; j < N; ++j) next[i] += P[i][j] * h[j];
    h = next;
    const double c = cov(h);
    var += 2 * c;
    if (std::abs(c) < 1e-15) break;
  }
  return {mean, emission + var};
}

struct loss_run {
  std::vector<bool> lost;
  double fraction;
};

loss_run run_losses(const char* spec) {
  link_driver d(spec_of(spec), tern::test::seed());
  loss_run r;
  r.lost.reserve(n_packets);
  int lost = 0;
  for (int i = 0; i < n_packets; ++i) {
    const bool l = d.offer(static_cast<std::uint64_t>(i), 10, time_point{} + i * 10us).original.fate == packet_fate::lost;
    r.lost.push_back(l);
    lost += l;
  }
  r.fraction = static_cast<double>(lost) / n_packets;
  return r;
}

struct sample_moments {
  double mean = 0, sd = 0, kurtosis = 0;
};

template <class Range>
sample_moments moments_of(const Range& xs) {
  sample_moments m;
  double n = 0;
  for (double x : xs) {
    m.mean += x;
    ++n;
  }
  m.mean /= n;
  double m2 = 0, m4 = 0;
  for (double x : xs) {
    const double d = x - m.mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  m4 /= n;
  m.sd = std::sqrt(m2);
  m.kurtosis = m4 / (m2 * m2);
  return m;
}

} // namespace

TEST_CASE("random loss rate matches the percentage") {
  for (auto [spec, p] : {std::pair{"loss 3%", 0.03}, std::pair{"loss 0.5%", 0.005}, std::pair{"loss 50%", 0.5}}) {
    const auto r = run_losses(spec);
    INFO(std::string{spec} << ": measured " << r.fraction);
    CHECK(std::abs(r.fraction - p) < bernoulli_tolerance(p, n_packets));
  }
}

TEST_CASE("correlated loss clusters losses") {
  const auto r = run_losses("loss 10% 50%");
  int after_loss = 0, losses_after_loss = 0;
  for (std::size_t i = 1; i < r.lost.size(); ++i)
    if (r.lost[i - 1]) {
      ++after_loss;
      losses_after_loss += r.lost[i];
    }
  const double conditional = static_cast<double>(losses_after_loss) / after_loss;
  INFO("P(loss) " << r.fraction << " P(loss | loss) " << conditional);
  CHECK(r.fraction > 0);
  CHECK(conditional > 2 * r.fraction);
}

TEST_CASE("Gilbert-Elliott: loss rate and burst lengths") {
  // Simple Gilbert (1-h = 100%, 1-k = 0%): a packet is lost exactly when the
  // chain is in the bad state, so loss runs are geometric with mean 1/r.
  const double p = 0.01, r = 0.2;
  const auto run = run_losses("loss gemodel 1% 20%");
  const auto chain = markov_loss<2>({{{1 - p, p}, {r, 1 - r}}}, {0.0, 1.0});
  CHECK(std::abs(chain.mean - p / (p + r)) < 1e-9);
  INFO("measured " << run.fraction << " expected " << chain.mean);
  CHECK(std::abs(run.fraction - chain.mean) < 5 * std::sqrt(chain.variance / n_packets));

  std::vector<double> bursts, gaps;
  int len = 0;
  for (std::size_t i = 0; i < run.lost.size(); ++i) {
    if (run.lost[i]) ++len;
    if (!run.lost[i] && len > 0) {
      bursts.push_back(len);
      len = 0;
    }
  }
  int gap = 0;
  bool seen_loss = false;
  for (bool l : run.lost) {
    if (!l) ++gap;
    else {
      if (seen_loss && gap > 0) gaps.push_back(gap);
      gap = 0;
      seen_loss = true;
    }
  }
  const auto b = moments_of(bursts);
  const auto g = moments_of(gaps);
  // Geometric(r) burst length: mean 1/r, sd sqrt(1-r)/r; gaps likewise with p.
  const double burst_tol = 5 * (std::sqrt(1 - r) / r) / std::sqrt(static_cast<double>(bursts.size()));
  const double gap_tol = 5 * (std::sqrt(1 - p) / p) / std::sqrt(static_cast<double>(gaps.size()));
  INFO("bursts " << bursts.size() << " mean " << b.mean << "; gaps mean " << g.mean);
  CHECK(bursts.size() > 1000);
  CHECK(std::abs(b.mean - 1 / r) < burst_tol);
  CHECK(std::abs(b.sd - std::sqrt(1 - r) / r) < 0.1 * std::sqrt(1 - r) / r);
  CHECK(std::abs(g.mean - 1 / p) < gap_tol);
}

TEST_CASE("Gilbert-Elliott with partial loss in both states") {
  // 1-h = 50%: half the bad-state packets are lost; 1-k = 1% in the good state.
  const double p = 0.05, r = 0.3, loss_bad = 0.5, loss_good = 0.01;
  const auto run = run_losses("loss gemodel 5% 30% 50% 1%");
  const auto chain = markov_loss<2>({{{1 - p, p}, {r, 1 - r}}}, {loss_good, loss_bad});
  INFO("measured " << run.fraction << " expected " << chain.mean);
  CHECK(std::abs(run.fraction - chain.mean) < 5 * std::sqrt(chain.variance / n_packets));
}

TEST_CASE("4-state Markov loss rate matches the stationary distribution") {
  // States 1 tx-gap, 2 tx-burst, 3 lost-burst, 4 lost-gap; loss = being in 3 or 4.
  const double p13 = 0.02, p31 = 0.25, p32 = 0.10, p23 = 0.40, p14 = 0.01;
  const auto run = run_losses("loss state 2% 25% 10% 40% 1%");
  const std::array<std::array<double, 4>, 4> P{{
      {1 - p13 - p14, 0, p13, p14},
      {0, 1 - p23, p23, 0},
      {p31, p32, 1 - p31 - p32, 0},
      {1, 0, 0, 0},
  }};
  const auto chain = markov_loss<4>(P, {0, 0, 1, 1});
  INFO("measured " << run.fraction << " expected " << chain.mean);
  CHECK(chain.mean > 0.01);
  CHECK(std::abs(run.fraction - chain.mean) < 5 * std::sqrt(chain.variance / n_packets));
}

TEST_CASE("delay mean and deviation per distribution") {
  const double mu = 100e6, sigma = 10e6; // ns
  // 100 ms at one packet per 10 us holds 10000 packets: netem's default
  // limit of 1000 would tail-drop most of them.
  const char* specs[] = {"limit 100000 delay 100ms 10ms", "limit 100000 delay 100ms 10ms distribution normal",
                         "limit 100000 delay 100ms 10ms distribution pareto",
                         "limit 100000 delay 100ms 10ms distribution paretonormal"};
  const tern::sim::delay_distribution dists[] = {
      tern::sim::delay_distribution::uniform, tern::sim::delay_distribution::normal,
      tern::sim::delay_distribution::pareto, tern::sim::delay_distribution::paretonormal};
  for (int k = 0; k < 4; ++k) {
    // The distribution the link should follow.
    double mean, sd, kurt;
    if (k == 0) {
      mean = mu - 0.5;                              // integers in [mu - sigma, mu + sigma)
      sd = std::sqrt((4 * sigma * sigma - 1) / 12); // discrete uniform
      kurt = 1.8;
    } else {
      std::vector<double> t;
      for (auto v : tern::sim::distribution_table(dists[k])) t.push_back(mu + sigma * v / 8192.0);
      const auto m = moments_of(t);
      mean = m.mean;
      sd = m.sd;
      kurt = m.kurtosis;
    }
    link_driver d(spec_of(specs[k]), tern::test::seed());
    for (int i = 0; i < n_packets; ++i) d.offer(static_cast<std::uint64_t>(i), 10, time_point{} + i * 10us);
    d.finish();
    REQUIRE(d.exits.size() == n_packets);
    std::vector<double> delays;
    delays.reserve(n_packets);
    for (const auto& e : d.exits) delays.push_back(static_cast<double>((e.info.due - e.info.offered).count()));
    const auto m = moments_of(delays);
    const double mean_tol = 5 * sd / std::sqrt(n_packets);
    const double sd_tol = 5 * sd * std::sqrt((kurt - 1) / (4.0 * n_packets));
    INFO(std::string{specs[k]} << ": mean " << m.mean << " (expected " << mean << " +- " << mean_tol << "), sd " << m.sd
                  << " (expected " << sd << " +- " << sd_tol << ")");
    CHECK(std::abs(m.mean - mean) < mean_tol);
    CHECK(std::abs(m.sd - sd) < sd_tol);
    if (k > 0) CHECK(std::abs(sd - sigma) < 0.2 * sigma); // tables are scaled as netem scales them
  }
}

TEST_CASE("delay correlation gives consecutive delays that correlation") {
  link_driver d(spec_of("limit 100000 delay 100ms 10ms 50%"), tern::test::seed());
  for (int i = 0; i < n_packets; ++i) d.offer(static_cast<std::uint64_t>(i), 10, time_point{} + i * 1ms);
  d.finish();
  std::vector<double> x(n_packets);
  for (const auto& e : d.exits) x[e.id] = static_cast<double>((e.info.due - e.info.offered).count());
  const auto m = moments_of(x);
  double num = 0;
  for (int i = 1; i < n_packets; ++i) num += (x[i] - m.mean) * (x[i - 1] - m.mean);
  const double rho = num / (m.sd * m.sd * n_packets);
  INFO("lag-1 correlation " << rho);
  CHECK(std::abs(rho - 0.5) < 5 * std::sqrt((1 - 0.25) / n_packets));
}

TEST_CASE("duplicate fraction") {
  const double p = 0.05;
  link_driver d(spec_of("duplicate 5%"), tern::test::seed());
  for (int i = 0; i < n_packets; ++i) d.offer(static_cast<std::uint64_t>(i), 10, time_point{} + i * 10us);
  d.finish();
  const auto& s = d.link().stats();
  const double f = static_cast<double>(s.duplicated) / n_packets;
  INFO("duplicated " << f);
  CHECK(std::abs(f - p) < bernoulli_tolerance(p, n_packets));
  CHECK(s.packets_out == n_packets + s.duplicated);
  CHECK(d.exits.size() == s.packets_out);
}

TEST_CASE("reorder fraction without and with a gap") {
  SUBCASE("gap 1: each packet independently") {
    const double p = 0.25;
    link_driver d(spec_of("limit 100000 delay 10ms reorder 25%"), tern::test::seed());
    for (int i = 0; i < n_packets; ++i) d.offer(static_cast<std::uint64_t>(i), 10, time_point{} + i * 100us);
    d.finish();
    const double f = static_cast<double>(d.link().stats().reordered) / n_packets;
    INFO("reordered " << f);
    CHECK(std::abs(f - p) < bernoulli_tolerance(p, n_packets));
    CHECK(d.link().stats().out_of_order > 0);
  }
  SUBCASE("gap 5: a renewal process") {
    // Cycles of gap - 1 delayed packets plus a geometric(p) number of tries:
    // mean length mu = gap - 1 + 1/p, variance (1 - p) / p^2; the reorder
    // count over n packets has mean n / mu and variance n var / mu^3.
    const double p = 0.25, gap = 5;
    const double mu = gap - 1 + 1 / p, var = (1 - p) / (p * p);
    link_driver d(spec_of("limit 100000 delay 10ms reorder 25% gap 5"), tern::test::seed());
    for (int i = 0; i < n_packets; ++i) d.offer(static_cast<std::uint64_t>(i), 10, time_point{} + i * 100us);
    d.finish();
    const double f = static_cast<double>(d.link().stats().reordered) / n_packets;
    INFO("reordered " << f << " expected " << 1 / mu);
    CHECK(std::abs(f - 1 / mu) < 5 * std::sqrt(var / (mu * mu * mu) / n_packets));
  }
}

TEST_CASE("corrupt fraction") {
  const double p = 0.01;
  link_driver d(spec_of("corrupt 1%"), tern::test::seed());
  for (int i = 0; i < n_packets; ++i) d.offer(static_cast<std::uint64_t>(i), 32, time_point{} + i * 10us);
  d.finish();
  const double f = static_cast<double>(d.link().stats().corrupted) / n_packets;
  INFO("corrupted " << f);
  CHECK(std::abs(f - p) < bernoulli_tolerance(p, n_packets));
}

TEST_CASE("serialization throughput equals the rate") {
  for (auto [spec, bits, overhead] : {std::tuple{"rate 20mbit limit 1000000", 20e6, 0},
                                      std::tuple{"rate 3mibit 28 limit 1000000", 3.0 * 1024 * 1024, 28}}) {
    link_driver d(spec_of(spec), tern::test::seed());
    tern::random_source sizes(tern::test::seed());
    // Offer faster than the rate (mean 750 bytes every 250 us = 24 Mbit/s)
    // so the serializer never idles.
    std::vector<std::size_t> size_of(100000);
    const double mean_bits = 750.0 * 8 * (bits / 20e6);
    const auto spacing = duration{static_cast<std::int64_t>(mean_bits / (bits * 1.2) * 1e9)};
    for (std::size_t i = 0; i < size_of.size(); ++i) {
      size_of[i] = 100 + sizes.uniform(1301);
      d.offer(i, size_of[i], time_point{} + static_cast<std::int64_t>(i) * spacing);
    }
    d.finish();
    REQUIRE(d.exits.size() == size_of.size());
    double wire_bits = 0;
    for (std::size_t i = 1; i < d.exits.size(); ++i) wire_bits += 8.0 * static_cast<double>(size_of[d.exits[i].id] + overhead);
    const double seconds = static_cast<double>((d.exits.back().at - d.exits.front().at).count()) * 1e-9;
    const double rate = wire_bits / seconds;
    INFO(std::string{spec} << ": " << rate << " bit/s");
    // Each packet's transmission time is truncated to whole nanoseconds.
    CHECK(std::abs(rate / bits - 1) < 1e-4);
  }
}

TEST_CASE("slot delays are uniform between min and max") {
  link_driver d(spec_of("slot 1ms 3ms packets 1 limit 1000000"), tern::test::seed());
  const int n = 100000;
  for (int i = 0; i < n; ++i) d.offer(static_cast<std::uint64_t>(i), 10, time_point{});
  d.finish();
  REQUIRE(d.exits.size() == static_cast<std::size_t>(n));
  std::vector<double> gaps;
  for (int i = 1; i < n; ++i) gaps.push_back(static_cast<double>((d.exits[i].at - d.exits[i - 1].at).count()));
  const auto m = moments_of(gaps);
  const double sd = 2e6 / std::sqrt(12.0);
  CHECK(std::abs(m.mean - 2e6) < 5 * sd / std::sqrt(static_cast<double>(gaps.size())));
  CHECK(*std::min_element(gaps.begin(), gaps.end()) >= 1e6);
  CHECK(*std::max_element(gaps.begin(), gaps.end()) < 3e6);
}
