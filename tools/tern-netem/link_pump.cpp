// The real-time loop shared by every tern-netem mode.
//
// Every iteration: apply due schedule entries and the ports' own deadline,
// send every packet whose due time has come (each direction's netem_link
// decides the due times, exactly as in the simulator), then sleep in ppoll()
// until the earliest of: the next due packet, the next schedule entry, the
// ports' deadline, the end of the run, or a descriptor becoming readable.
// ppoll takes a nanosecond timeout and the process asks for a 1 ns timer
// slack (PR_SET_TIMERSLACK), so wake-ups are not batched with other timers;
// what remains is the kernel's wake-up latency, measured per packet as
// "lateness" (send time minus due time). Each readable descriptor gives one
// batch per iteration, so a flood of arrivals cannot hold up due packets.
// SIGINT and SIGTERM are only unblocked inside ppoll, so a signal always
// ends the wait instead of racing with it.

#include "link_pump.hpp"

#include <nlohmann/json.hpp>

#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>

namespace tern::netem {

namespace {

std::string fmt(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

// The same three decimals in the JSON statistics as in the text.
double thousandths(double v) { return std::round(v * 1e3) / 1e3; }

} // namespace

void lateness_histogram::add(duration late) {
  const std::int64_t ns = std::max<std::int64_t>(0, late.count());
  const auto bucket = std::min<std::size_t>(static_cast<std::size_t>(ns / 1000), buckets);
  ++hist_[bucket];
  ++count_;
  sum_ns_ += static_cast<double>(ns);
  max_ns_ = std::max(max_ns_, ns);
}

double lateness_histogram::mean_us() const noexcept {
  return count_ == 0 ? 0 : sum_ns_ / static_cast<double>(count_) / 1e3;
}

double lateness_histogram::percentile_us(double p) const noexcept {
  if (count_ == 0) return 0;
  const auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(count_ - 1));
  std::uint64_t seen = 0;
  for (std::size_t b = 0; b <= buckets; ++b) {
    seen += hist_[b];
    if (seen > rank) return static_cast<double>(b + 1); // upper edge of the bucket
  }
  return max_us();
}

link_pump::link_pump(const sim::netem_spec& up, const sim::netem_spec& down, sim::schedule schedule,
                     std::uint64_t seed)
    : schedule_(std::move(schedule)), up_(up, seed, &pool_), down_(down, seed + 0x9e3779b97f4a7c15ULL, &pool_) {}

time_point link_pump::now() noexcept { return from_steady(std::chrono::steady_clock::now()); }

void link_pump::offer(bool up, std::span<const std::byte> bytes, std::uint32_t route, time_point now) {
  ++(up ? up_stats_ : down_stats_).received;
  sim::packet p;
  p.payload = pool_.copy_of(bytes);
  p.id = next_id_++;
  p.route = route;
  p.sent = now;
  (up ? up_ : down_).enqueue(std::move(p), now);
}

// Sends every due packet, in batches of packets due by the same moment;
// lateness is measured after the ports return.
void link_pump::flush(packet_ports& ports, bool up) {
  constexpr std::size_t max_batch = 64;
  auto& link = up ? up_ : down_;
  auto& st = up ? up_stats_ : down_stats_;
  sim::packet batch[max_batch];
  time_point due[max_batch];
  for (;;) {
    std::size_t count = 0;
    const time_point t = now();
    sim::exit_info info;
    while (count < max_batch && link.dequeue(t, batch[count], &info)) due[count++] = info.due;
    if (count == 0) return;
    ports.send(up, std::span<sim::packet>{batch, count}, st);
    const time_point after = now();
    for (std::size_t i = 0; i < count; ++i) {
      st.lateness.add(after - due[i]);
      pool_.release(std::move(batch[i].payload));
    }
  }
}

void link_pump::run(packet_ports& ports, const std::atomic<bool>& stop, std::optional<duration> run_for) {
  // Timer slack would let the kernel defer our wake-ups by up to 50 us to
  // batch them with other timers.
  prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
  sigset_t block, original;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &original);
  sigset_t during_wait = original;
  sigdelset(&during_wait, SIGINT);
  sigdelset(&during_wait, SIGTERM);

  const time_point start = now();
  // Schedule entries per direction, in time order.
  struct change {
    time_point at;
    bool up;
    sim::netem_spec spec;
  };
  std::vector<change> changes;
  for (const auto& e : schedule_.entries) {
    if (e.target.empty() || e.target == "up") changes.push_back({start + e.at, true, e.spec});
    if (e.target.empty() || e.target == "down") changes.push_back({start + e.at, false, e.spec});
  }
  std::stable_sort(changes.begin(), changes.end(), [](const change& a, const change& b) { return a.at < b.at; });
  std::size_t next_change = 0;
  const time_point end = run_for ? start + *run_for : never;

  std::vector<pollfd> fds;
  while (!stop.load(std::memory_order_relaxed)) {
    time_point t = now();
    if (t >= end) break;
    while (next_change < changes.size() && changes[next_change].at <= t) {
      auto& c = changes[next_change++];
      (c.up ? up_ : down_).set_spec(c.spec);
    }
    if (t >= ports.next_deadline()) ports.on_deadline(t);
    flush(ports, true);
    flush(ports, false);

    time_point wake = std::min({up_.next_event(), down_.next_event(), ports.next_deadline(), end});
    if (next_change < changes.size()) wake = std::min(wake, changes[next_change].at);
    t = now();
    const duration wait = std::clamp(wake - t, duration{0}, duration{std::chrono::milliseconds{100}});
    timespec ts{static_cast<time_t>(wait.count() / 1000000000), static_cast<long>(wait.count() % 1000000000)};

    fds.clear();
    ports.poll_fds(fds);
    const int rc = ::ppoll(fds.data(), fds.size(), &ts, &during_wait);
    if (rc <= 0) continue; // timeout, or EINTR from a signal: the loop re-checks `stop`
    for (std::size_t i = 0; i < fds.size(); ++i)
      if (fds[i].revents != 0) ports.on_readable(i, *this);
  }
  elapsed_ = now() - start;
  sigprocmask(SIG_SETMASK, &original, nullptr);
}

namespace {

nlohmann::ordered_json direction_json(const sim::netem_link& link, const direction_stats& d,
                                      std::size_t queued) {
  const auto& l = link.stats();
  return {
      {"spec", sim::to_string(link.spec())},
      {"packets_in", d.received},
      {"packets_out", d.sent},
      {"bytes_in", l.bytes_in},
      {"bytes_out", l.bytes_out},
      {"dropped", l.dropped()},
      {"lost", l.lost},
      {"dropped_limit", l.dropped_limit},
      {"duplicated", l.duplicated},
      {"reordered", l.reordered},
      {"out_of_order", l.out_of_order},
      {"corrupted", l.corrupted},
      {"ce_marked", l.ce_marked},
      {"send_errors", d.send_errors},
      {"queued_at_exit", queued},
      {"mean_delay_ms", thousandths(l.mean_delay_seconds() * 1e3)},
      {"max_delay_ms", thousandths(static_cast<double>(l.delay_max.count()) / 1e6)},
      {"mean_queue_delay_ms", thousandths(l.mean_queue_delay_seconds() * 1e3)},
      {"max_queue_delay_ms", thousandths(static_cast<double>(l.queue_delay_max.count()) / 1e6)},
      {"lateness_mean_us", thousandths(d.lateness.mean_us())},
      {"lateness_p50_us", thousandths(d.lateness.percentile_us(50))},
      {"lateness_p99_us", thousandths(d.lateness.percentile_us(99))},
      {"lateness_max_us", thousandths(d.lateness.max_us())},
  };
}

} // namespace

std::string link_pump::stats_json(const packet_ports& ports) const {
  nlohmann::ordered_json stats;
  stats["up"] = direction_json(up_, up_stats_, up_.size());
  stats["down"] = direction_json(down_, down_stats_, down_.size());
  ports.add_stats_fields(stats);
  stats["elapsed_s"] = thousandths(static_cast<double>(elapsed_.count()) / 1e9);
  return stats.dump();
}

std::string link_pump::stats_text(const packet_ports& ports) const {
  std::string out;
  for (bool up : {true, false}) {
    const auto& l = up ? up_.stats() : down_.stats();
    const auto& d = up ? up_stats_ : down_stats_;
    out += up ? "up   " : "down ";
    out += "in " + std::to_string(d.received) + " out " + std::to_string(d.sent) + " dropped " +
           std::to_string(l.dropped()) + " (lost " + std::to_string(l.lost) + ", limit " +
           std::to_string(l.dropped_limit) + ") duplicated " + std::to_string(l.duplicated) + " reordered " +
           std::to_string(l.reordered) + " corrupted " + std::to_string(l.corrupted) + " mean delay " +
           fmt(l.mean_delay_seconds() * 1e3) + " ms, lateness mean " + fmt(d.lateness.mean_us()) + " us p99 " +
           fmt(d.lateness.percentile_us(99)) + " us\n";
  }
  out += ports.stats_text_lines();
  return out;
}

} // namespace tern::netem
