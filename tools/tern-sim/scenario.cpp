// Runs bulk flows on the simulator. One flow: a point-to-point path with the
// data spec forward and the return spec backward. Several flows: a dumbbell
// whose two bottleneck links carry those specs and every flow's packets.
// Virtual time starts at 1 s; flows start staggered; the loop advances in
// sample_interval steps, recording each receiver's progress, until every
// flow completed or the time limit passed.

#include "scenario.hpp"
#include "jain_index.hpp"
#include "json_text.hpp"
#include "path_specs.hpp"

#include "bulk_receiver.hpp"
#include "bulk_sender.hpp"
#include "sim/schedule.hpp"
#include "sim/simulator.hpp"
#include "sim/topology.hpp"

#include <cmath>
#include <cstdio>
#include <memory>

namespace tern::bulk {
namespace {

double seconds(duration d) { return static_cast<double>(d.count()) * 1e-9; }
double millis(duration d) { return static_cast<double>(d.count()) * 1e-6; }

struct flow {
  cc::algorithm algorithm{};
  std::unique_ptr<random_source> rng;
  std::unique_ptr<bulk_sender> sender;
  std::unique_ptr<bulk_receiver> receiver;
  time_point start{};
  std::vector<std::uint64_t> progress; // bytes received at each sample
  time_point startup_end = never;      // first sample past the start-up states
  std::uint64_t startup_end_bytes = 0;
  std::uint64_t queue_drops = 0;       // at the bottleneck's limit, so far
  std::uint64_t startup_end_drops = 0; // queue_drops and packets sent at startup_end
  std::uint64_t startup_end_sent = 0;
};

bool in_startup(std::string_view state) {
  return state == "startup" || state == "drain" || state == "slow_start";
}

} // namespace

scenario_result run_scenario(const scenario_config& config) {
  scenario_result result;
  sim_cli::path_specs path;
  result.error = sim_cli::parse_path_specs(config.link, config.down, config.schedule, path);
  if (!result.error.empty()) return result;
  auto* up = &path.up;
  auto* down = &path.down;
  const auto* schedule = &path.schedule;
  if (config.flows == 0 || config.mtu < 64 || config.mtu > 65000) {
    result.error = "flows must be at least 1 and mtu within 64..65000";
    return result;
  }
  if (!config.flow_algorithms.empty() && config.flow_algorithms.size() != config.flows) {
    result.error = "--flow-cc: one controller per flow (" + std::to_string(config.flows) + ")";
    return result;
  }
  // An unimpaired return path must not tail-drop ACKs that bunch up.
  if (config.down.empty()) down->limit = 1'000'000;

  const time_point origin = time_point{} + std::chrono::seconds(1);
  sim::simulator net{config.seed, origin};
  std::vector<flow> flows(config.flows);
  std::vector<sim::node_id> left, right;
  for (std::size_t i = 0; i < config.flows; ++i) {
    flow& f = flows[i];
    f.start = origin + config.stagger * static_cast<std::int64_t>(i);
    f.rng = std::make_unique<random_source>(config.seed * 1000 + i + 1);
    const sim::address a{static_cast<std::uint32_t>(10 + 2 * i), 4433};
    const sim::address b{static_cast<std::uint32_t>(11 + 2 * i), 4433};
    sender_options so;
    so.bytes = config.bytes;
    so.mtu = config.mtu;
    so.start = f.start;
    so.peer = b;
    f.algorithm = config.flow_algorithms.empty() ? config.algorithm : config.flow_algorithms[i];
    so.transport.algorithm = f.algorithm;
    so.transport.controller.bbr = config.bbr;
    receiver_options ro;
    ro.bytes = config.bytes;
    ro.mtu = config.mtu;
    ro.peer = a;
    f.sender = std::make_unique<bulk_sender>(so, *f.rng);
    f.receiver = std::make_unique<bulk_receiver>(ro, *f.rng);
    left.push_back(net.add_node(*f.sender, a));
    right.push_back(net.add_node(*f.receiver, b));
  }
  sim::link_id bottleneck = 0, return_path = 0;
  if (config.flows == 1) {
    const auto route = sim::connect(net, left[0], right[0], *up, *down);
    bottleneck = route.forward;
    return_path = route.backward;
  } else {
    std::vector<sim::dumbbell_pair> pairs;
    for (std::size_t i = 0; i < config.flows; ++i) pairs.push_back({left[i], right[i], {}, {}});
    const auto d = sim::make_dumbbell(net, pairs, *up, *down);
    bottleneck = d.bottleneck_forward;
    return_path = d.bottleneck_backward;
  }
  net.apply_schedule(bottleneck, sim_cli::entries_for(*schedule, "up"), origin);
  net.apply_schedule(return_path, sim_cli::entries_for(*schedule, "down"), origin);
  // Queue drops per flow: the bottleneck's tail drops, told apart by the
  // sender's address (flow i sends from host 10 + 2i).
  net.set_trace([&](const sim::trace_event& e) {
    if (e.kind != sim::trace_kind::dropped_limit || e.link != bottleneck || e.from.host < 10) return;
    const std::uint32_t index = (e.from.host - 10) / 2;
    if ((e.from.host - 10) % 2 == 0 && index < flows.size()) ++flows[index].queue_drops;
  });

  const time_point limit = origin + config.time_limit;
  const auto all_done = [&] {
    for (const auto& f : flows)
      if (!f.receiver->done()) return false;
    return true;
  };
  while (!all_done() && net.now() < limit) {
    net.run_until(std::min(limit, net.now() + config.sample_interval));
    for (std::size_t i = 0; i < flows.size(); ++i) {
      auto& f = flows[i];
      f.progress.push_back(f.receiver->bytes_received());
      if (f.startup_end == never && net.now() > f.start &&
          !in_startup(f.sender->transport().controller().state_name())) {
        f.startup_end = net.now();
        f.startup_end_bytes = f.receiver->bytes_received();
        f.startup_end_drops = f.queue_drops;
        f.startup_end_sent = f.sender->transport().stats().packets_sent;
      }
      if (!config.trace) continue;
      const auto& t = f.sender->transport();
      const std::size_t n = f.progress.size();
      const double rate = n >= 2 ? static_cast<double>(f.progress[n - 1] - f.progress[n - 2]) * 8 /
                                       seconds(config.sample_interval)
                                 : 0;
      std::fprintf(
          stderr,
          "t=%.2f flow=%zu state=%s goodput=%.1fMb cwnd=%llu inflight=%llu pacing=%.1fMb srtt=%.1fms "
          "lost=%llu pto=%llu\n",
          seconds(net.now() - origin), i, std::string{t.controller().state_name()}.c_str(), rate * 1e-6,
          static_cast<unsigned long long>(t.congestion_window()),
          static_cast<unsigned long long>(t.bytes_in_flight()),
          t.pacing_rate() == cc::unlimited_rate ? -1.0 : static_cast<double>(t.pacing_rate()) * 8e-6,
          millis(t.rtt().smoothed_rtt()), static_cast<unsigned long long>(t.stats().packets_lost),
          static_cast<unsigned long long>(t.stats().probe_timeouts));
    }
  }

  // Per flow.
  time_point end = origin;
  for (auto& f : flows) {
    flow_result r;
    const auto& s = f.sender->transport().stats();
    const auto& rtt = f.sender->transport().rtt();
    r.completed = f.receiver->done();
    r.bytes_received = f.receiver->bytes_received();
    r.start = f.start - origin;
    const time_point finish = r.completed ? f.receiver->done_time() : net.now();
    end = std::max(end, finish);
    r.elapsed = finish - f.start;
    r.goodput_bps =
        r.elapsed > duration::zero() ? static_cast<double>(r.bytes_received) * 8 / seconds(r.elapsed) : 0;
    if (f.startup_end != never && finish > f.startup_end) {
      r.startup_end_s = seconds(f.startup_end - f.start);
      r.steady_goodput_bps =
          static_cast<double>(r.bytes_received - f.startup_end_bytes) * 8 / seconds(finish - f.startup_end);
    }
    r.packets_sent = s.packets_sent;
    r.algorithm = f.algorithm;
    r.queue_drops = f.queue_drops;
    r.steady_queue_drops = f.queue_drops - f.startup_end_drops;
    r.steady_packets_sent = s.packets_sent - f.startup_end_sent;
    r.data_packets = f.sender->stats().data_packets;
    r.packets_lost = s.packets_lost;
    r.packets_retransmitted = f.sender->stats().retransmitted_packets;
    r.spurious_retransmits = s.spurious_losses;
    r.probe_timeouts = s.probe_timeouts;
    r.persistent_congestion = s.persistent_congestion;
    r.ack_packets_received = f.receiver->ack_packets();
    r.srtt_ms = millis(rtt.smoothed_rtt());
    r.min_rtt_ms = millis(rtt.min_rtt());
    r.rttvar_ms = millis(rtt.rttvar());
    r.cwnd_bytes = f.sender->transport().congestion_window();
    const std::uint64_t pacing = f.sender->transport().pacing_rate();
    r.pacing_rate_bps = pacing == cc::unlimited_rate ? 0 : static_cast<double>(pacing) * 8;
    r.cc_state = std::string{f.sender->transport().controller().state_name()};
    using recovery::send_limit;
    r.cwnd_limited_s = seconds(s.limited_time[static_cast<std::size_t>(send_limit::congestion_window)]);
    r.pacing_limited_s = seconds(s.limited_time[static_cast<std::size_t>(send_limit::pacing)]);
    r.packet_window_limited_s = seconds(s.limited_time[static_cast<std::size_t>(send_limit::packet_window)]);
    result.flows.push_back(r);
  }
  result.completed = all_done();
  result.virtual_duration = end - origin;
  for (const auto& r : result.flows) result.goodput_bps += r.goodput_bps;
  result.link_rate_bps = static_cast<double>(up->rate.bits_per_second);
  const auto& ls = net.stats(bottleneck);
  result.peak_queue_delay_ms = millis(ls.queue_delay_max);
  result.mean_queue_delay_ms = ls.mean_queue_delay_seconds() * 1e3;
  result.link_lost = ls.lost;
  result.link_dropped_limit = ls.dropped_limit;
  result.events = net.stats().events;

  if (config.flows > 1) {
    // Fairness window: from the last start plus the warm-up to the first
    // completion (or the end), in whole samples.
    time_point first_finish = net.now();
    for (const auto& f : flows)
      if (f.receiver->done()) first_finish = std::min(first_finish, f.receiver->done_time());
    const time_point last_start = flows.back().start;
    const auto sample_index = [&](time_point t) {
      return static_cast<std::size_t>(std::max<std::int64_t>(0, (t - origin) / config.sample_interval));
    };
    std::size_t from = sample_index(last_start + config.fairness_warmup);
    std::size_t to = sample_index(first_finish);
    const std::size_t samples = flows.front().progress.size();
    to = std::min(to, samples == 0 ? 0 : samples - 1);
    if (from >= to) from = to > 0 ? to - 1 : 0; // a too-short overlap: use what there is
    result.window_start_s = seconds(config.sample_interval * static_cast<std::int64_t>(from + 1));
    result.window_end_s = seconds(config.sample_interval * static_cast<std::int64_t>(to + 1));
    const double span = result.window_end_s - result.window_start_s;
    std::vector<double> rates;
    for (std::size_t i = 0; i < flows.size(); ++i) {
      const auto& p = flows[i].progress;
      const double bytes = to < p.size() && from < p.size() ? static_cast<double>(p[to] - p[from]) : 0;
      const double rate = span > 0 ? bytes * 8 / span : 0;
      result.flows[i].window_goodput_bps = rate;
      rates.push_back(rate);
    }
    result.jain_index = jain_index(rates);
  }
  return result;
}

namespace {

// `single`: the fields go into the top-level object, which already has
// "completed" and "goodput_bps".
void add_flow_fields(nlohmann::ordered_json& o, const flow_result& f, bool single) {
  if (!single) {
    o["cc"] = cc::to_string(f.algorithm);
    o["completed"] = f.completed;
    o["goodput_bps"] = sim_json::six_digits(f.goodput_bps);
  }
  o["bytes_received"] = f.bytes_received;
  o["start_s"] = sim_json::six_digits(seconds(f.start));
  o["duration_s"] = sim_json::six_digits(seconds(f.elapsed));
  o["packets_sent"] = f.packets_sent;
  o["queue_drops"] = f.queue_drops;
  o["steady_queue_drops"] = f.steady_queue_drops;
  o["steady_packets_sent"] = f.steady_packets_sent;
  o["data_packets_sent"] = f.data_packets;
  o["packets_lost"] = f.packets_lost;
  o["packets_retransmitted"] = f.packets_retransmitted;
  o["spurious_retransmits"] = f.spurious_retransmits;
  o["probe_timeouts"] = f.probe_timeouts;
  o["persistent_congestion"] = f.persistent_congestion;
  sim_json::add_recovery_state(o, f);
  o["cc_state"] = f.cc_state;
  o["cwnd_limited_s"] = sim_json::six_digits(f.cwnd_limited_s);
  o["pacing_limited_s"] = sim_json::six_digits(f.pacing_limited_s);
  o["packet_window_limited_s"] = sim_json::six_digits(f.packet_window_limited_s);
  o["startup_end_s"] = sim_json::six_digits(f.startup_end_s);
  o["steady_goodput_bps"] = sim_json::six_digits(f.steady_goodput_bps);
}

} // namespace

std::string to_json(const scenario_config& config, const scenario_result& r, double wall_seconds) {
  // Ordered, so the keys come out as they always have; non-finite numbers
  // come out as null.
  nlohmann::ordered_json o;
  o["link"] = config.link;
  o["down"] = config.down;
  if (!config.schedule.empty()) o["schedule"] = config.schedule;
  o["cc"] = cc::to_string(config.algorithm);
  if (config.algorithm == cc::algorithm::bbr) o["bbr_startup"] = cc::to_string(config.bbr.startup);
  if (!config.flow_algorithms.empty()) {
    auto& list = o["flow_cc"] = nlohmann::ordered_json::array();
    for (const auto a : config.flow_algorithms) list.push_back(cc::to_string(a));
  }
  o["bytes"] = config.bytes;
  o["seed"] = config.seed;
  o["mtu"] = config.mtu;
  o["flows"] = config.flows;
  if (!r.error.empty()) {
    o["error"] = r.error;
    return sim_json::dump(o);
  }
  o["completed"] = r.completed;
  o["goodput_bps"] = sim_json::six_digits(r.goodput_bps);
  o["link_rate_bps"] = sim_json::six_digits(r.link_rate_bps);
  o["goodput_ratio"] = sim_json::six_digits(r.link_rate_bps > 0 ? r.goodput_bps / r.link_rate_bps : 0);
  o["virtual_duration_s"] = sim_json::six_digits(seconds(r.virtual_duration));
  o["wall_time_s"] = sim_json::six_digits(wall_seconds);
  sim_json::add_link_stats(o, r);
  if (r.flows.size() == 1) {
    add_flow_fields(o, r.flows[0], true);
  } else {
    o["jain_index"] = sim_json::six_digits(r.jain_index);
    o["fairness_window_s"] = {sim_json::six_digits(r.window_start_s), sim_json::six_digits(r.window_end_s)};
    auto& per_flow = o["per_flow"] = nlohmann::ordered_json::array();
    for (const auto& f : r.flows) {
      nlohmann::ordered_json flow;
      add_flow_fields(flow, f, false);
      flow["window_goodput_bps"] = sim_json::six_digits(f.window_goodput_bps);
      per_flow.push_back(std::move(flow));
    }
  }
  return sim_json::dump(o);
}

} // namespace tern::bulk
