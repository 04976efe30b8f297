// Adaptive media on the simulator (adaptive_media.hpp).
//
// Virtual time starts at 1 s with the client's connect(); schedule times
// count from there. Once the handshake completes, video frame i leaves at
// t0 + i / fps (send_message, deadline = now + deadline) with the size the
// encoder gives it at that moment, and an audio datagram every
// audio_interval (send_datagram with the same deadline). Before each frame
// the client drains its connection's events; on target_rate_changed the
// encoder takes stats().target_rate (bytes per second, times 8) as its new
// target. A payload starts with a 24-byte header (index, send time in ns,
// size), so the receiver checks each one and takes its latency without a
// side channel. A video frame is dropped when a drop notice names it or it
// never arrives; an audio packet when it never arrives or arrives after its
// deadline.

#include "adaptive_media.hpp"
#include "sim_tls_pair.hpp"
#include "json_text.hpp"
#include "path_specs.hpp"

#include "sim/connection_node.hpp"
#include "sim/netem_spec.hpp"
#include "sim/schedule.hpp"
#include "sim/simulator.hpp"
#include "sim/topology.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <memory>

namespace tern::connsim {
namespace {

double seconds(duration d) { return std::chrono::duration<double>(d).count(); }
double millis(duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

constexpr std::size_t header_bytes = 24;

void put_u64(std::byte* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}
std::uint64_t get_u64(const std::byte* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{std::to_integer<std::uint8_t>(p[i])} << (8 * i);
  return v;
}

/// A payload of `bytes` (at least the header) naming `index` and `sent`.
void fill_payload(std::vector<std::byte>& buf, std::uint64_t index, time_point sent, std::size_t bytes) {
  buf.assign(std::max(bytes, header_bytes), std::byte{0x5a});
  put_u64(buf.data(), index);
  put_u64(buf.data() + 8, static_cast<std::uint64_t>(sent.time_since_epoch().count()));
  put_u64(buf.data() + 16, buf.size());
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

using sim_cli::entries_for;

struct sent_item {
  time_point sent = never;
  double latency_ms = -1; // -1: not delivered (yet)
  bool drop_notice = false;
};

} // namespace

adaptive_media_result run_adaptive_media(const adaptive_media_config& config) {
  adaptive_media_result result;
  sim_cli::path_specs path_specs;
  result.error = sim_cli::parse_path_specs(config.link, config.down, config.schedule, path_specs);
  if (!result.error.empty()) return result;
  auto* up = &path_specs.up;
  auto* down = &path_specs.down;
  const auto* schedule = &path_specs.schedule;
  const auto& enc = config.encoder;
  if (enc.fps == 0 || enc.fps > 1000 || enc.max_video_bps == 0 || enc.min_video_bps > enc.max_video_bps ||
      enc.audio_interval <= std::chrono::microseconds::zero() || config.deadline <= duration::zero()) {
    result.error = "media needs fps within 1..1000, a video range min <= max, an audio interval and a deadline";
    return result;
  }
  if (config.down.empty()) down->limit = 1'000'000;

  core::connection_config base;
  base.congestion = config.algorithm;
  base.real_time = config.real_time;
  base.drain_guard = config.drain_guard;
  sim_cli::sim_tls_pair tls;
  result.error = sim_cli::make_sim_tls_pair(base, tls);
  if (!result.error.empty()) return result;
  std::error_code ec;

  const time_point origin = time_point{} + std::chrono::seconds(1);
  sim::simulator net{config.seed, origin};
  random_source client_rng(config.seed * 1000 + 1);
  random_source server_rng(config.seed * 1000 + 2);
  const sim::address server_addr{11, 4433};
  sim::connection_node client(tls.client, client_rng);
  if (!client.connect(tls.client_tls, server_addr, origin, ec)) {
    result.error = "connect: " + ec.message();
    return result;
  }
  sim::connection_node server(tls.server, tls.server_tls, server_rng);
  const sim::node_id client_id = net.add_node(client, sim::address{10, 5000});
  const sim::node_id server_id = net.add_node(server, server_addr);
  const auto path = sim::connect(net, client_id, server_id, *up, *down);
  net.apply_schedule(path.forward, entries_for(*schedule, "up"), origin);
  net.apply_schedule(path.backward, entries_for(*schedule, "down"), origin);

  // The steps: the run's start, then one per schedule entry for the up link.
  std::vector<time_point> step_start{origin};
  std::vector<double> step_rate{static_cast<double>(up->rate.bits_per_second)};
  for (const auto& e : entries_for(*schedule, "up").entries) {
    if (origin + e.at == step_start.back()) {
      step_rate.back() = static_cast<double>(e.spec.rate.bits_per_second);
      continue;
    }
    step_start.push_back(origin + e.at);
    step_rate.push_back(static_cast<double>(e.spec.rate.bits_per_second));
  }
  const auto step_of = [&](time_point t) {
    return static_cast<std::size_t>(std::upper_bound(step_start.begin(), step_start.end(), t) - step_start.begin()) - 1;
  };

  media::synthetic_encoder encoder(enc);
  time_point t0 = never;
  const auto frames_total = static_cast<std::uint64_t>(seconds(config.media_duration) * enc.fps);
  // audio_bps 0: video alone.
  const auto audio_total =
      enc.audio_bps == 0
          ? std::uint64_t{0}
          : static_cast<std::uint64_t>(config.media_duration / std::chrono::duration_cast<duration>(enc.audio_interval));
  std::vector<sent_item> video(frames_total), audio(audio_total);
  std::vector<std::size_t> video_size(frames_total, 0);
  std::uint64_t video_sent = 0, audio_sent = 0, video_delivered = 0;
  std::vector<std::byte> buf;

  const auto apply_target = [&](core::connection& c) {
    while (auto e = c.poll_event())
      if (e->what == core::connection_event::kind::target_rate_changed)
        encoder.set_target_rate(c.stats().target_rate * 8);
  };

  std::function<void()> send_frame = [&] {
    core::connection* c = client.get();
    if (!c || c->is_closed() || video_sent >= frames_total) return;
    apply_target(*c);
    const time_point now = net.now();
    const media::video_frame f = encoder.next_video_frame();
    fill_payload(buf, f.index, now, f.bytes);
    std::error_code sec;
    (void)c->send_message(buf, now + config.deadline, now, sec);
    video[f.index].sent = now;
    video_size[f.index] = buf.size();
    ++video_sent;
    net.wake(client_id);
    if (video_sent < frames_total)
      net.schedule_call(t0 + std::chrono::nanoseconds(static_cast<std::int64_t>(video_sent * 1'000'000'000ULL / enc.fps)),
                        send_frame);
  };
  std::function<void()> send_audio = [&] {
    core::connection* c = client.get();
    if (!c || c->is_closed() || audio_sent >= audio_total) return;
    const time_point now = net.now();
    fill_payload(buf, audio_sent, now, encoder.audio_packet_bytes());
    (void)c->send_datagram(buf, now + config.deadline);
    audio[audio_sent].sent = now;
    ++audio_sent;
    net.wake(client_id);
    if (audio_sent < audio_total) net.schedule_call(t0 + std::chrono::duration_cast<duration>(enc.audio_interval) *
                                                      static_cast<std::int64_t>(audio_sent),
                                                  send_audio);
  };

  client.on_activity = [&](core::connection& c, time_point now) {
    if (!c.is_established() || t0 != never) return;
    t0 = now;
    net.schedule_call(now, send_frame);
    net.schedule_call(now, send_audio);
  };

  std::vector<std::byte> rbuf(65536);
  server.on_activity = [&](core::connection& c, time_point now) {
    while (auto ev = c.receive_message(now)) {
      if (ev->what == stream::message_event::kind::dropped) {
        for (std::uint64_t k = 0; k < ev->count; ++k)
          if (ev->id + k < frames_total) video[ev->id + k].drop_notice = true;
        continue;
      }
      const auto& d = ev->data;
      if (ev->id >= frames_total || d.size() < header_bytes || get_u64(d.data()) != ev->id ||
          get_u64(d.data() + 16) != d.size() || d.size() != video_size[ev->id] ||
          video[ev->id].latency_ms >= 0) {
        ++result.video_corrupt;
        continue;
      }
      video[ev->id].latency_ms = millis(now - video[ev->id].sent);
      ++video_delivered;
    }
    while (auto n = c.receive_datagram(rbuf)) {
      if (*n < header_bytes) continue;
      const std::uint64_t i = get_u64(rbuf.data());
      if (i < audio_total && audio[i].latency_ms < 0 && audio[i].sent != never)
        audio[i].latency_ms = millis(now - audio[i].sent);
    }
  };

  // Every 50 ms: the target rate and the encoder's bitrate, for the trace
  // and the follow times.
  std::vector<double> queueing_max(step_start.size(), 0);
  std::function<void()> sample = [&] {
    if (core::connection* c = client.get(); c && t0 != never) {
      const auto st = c->stats();
      const double t = seconds(net.now() - origin);
      result.target_trace.push_back({t, static_cast<double>(st.target_rate) * 8,
                                     static_cast<double>(encoder.video_bitrate())});
      auto& q = queueing_max[step_of(net.now())];
      q = std::max(q, millis(st.queueing_delay));
      if (config.trace)
        std::fprintf(stderr, "t=%.2f target=%.2fMb video=%.2fMb srtt=%.1fms queueing=%.1fms cwnd=%llu inflight=%llu\n", t,
                     static_cast<double>(st.target_rate) * 8e-6, static_cast<double>(encoder.video_bitrate()) * 1e-6,
                     millis(st.srtt), millis(st.queueing_delay), static_cast<unsigned long long>(st.cwnd),
                     static_cast<unsigned long long>(st.bytes_in_flight));
    }
    net.schedule_call(net.now() + std::chrono::milliseconds(50), sample);
  };
  net.schedule_call(origin, sample);

  const time_point limit = origin + config.media_duration + std::chrono::seconds(30);
  net.run_until(limit, [&] {
    if (t0 == never || video_sent < frames_total) return client.get() && client.get()->is_closed();
    return net.now() > video[frames_total - 1].sent + config.deadline + std::chrono::seconds(1);
  });
  result.completed = t0 != never && video_sent == frames_total;
  const auto& link = net.stats(path.forward);
  result.link_queue_delay_mean_ms = link.mean_queue_delay_seconds() * 1e3;
  result.link_queue_delay_max_ms = millis(link.queue_delay_max);

  // --- figures -------------------------------------------------------------
  result.steps.resize(step_start.size());
  for (std::size_t s = 0; s < step_start.size(); ++s) {
    result.steps[s].start_s = seconds(step_start[s] - origin);
    result.steps[s].link_rate_bps = step_rate[s];
    result.steps[s].queueing_delay_max_ms = queueing_max[s];
  }
  std::vector<std::vector<double>> step_latency(step_start.size());
  std::vector<double> all_latency;
  for (std::uint64_t i = 0; i < video_sent; ++i) {
    auto& st = result.steps[step_of(video[i].sent)];
    ++st.video_frames;
    // A frame after its deadline is as useless as a lost one.
    if (video[i].latency_ms < 0 || video[i].latency_ms > millis(config.deadline)) {
      ++st.video_dropped;
      if (config.trace)
        std::fprintf(stderr, "video %llu sent %.3f s: %s %.1f ms\n", static_cast<unsigned long long>(i),
                     seconds(video[i].sent - origin), video[i].latency_ms < 0 ? "lost" : "late", video[i].latency_ms);
      continue;
    }
    step_latency[step_of(video[i].sent)].push_back(video[i].latency_ms);
    all_latency.push_back(video[i].latency_ms);
  }
  const double deadline_ms = millis(config.deadline);
  for (std::uint64_t i = 0; i < audio_sent; ++i) {
    auto& st = result.steps[step_of(audio[i].sent)];
    ++st.audio_packets;
    if (audio[i].latency_ms < 0 || audio[i].latency_ms > deadline_ms) {
      ++st.audio_dropped;
      if (config.trace)
        std::fprintf(stderr, "audio %llu sent %.3f s: %s %.1f ms\n", static_cast<unsigned long long>(i),
                     seconds(audio[i].sent - origin), audio[i].latency_ms < 0 ? "lost" : "late", audio[i].latency_ms);
    }
  }
  for (std::size_t s = 0; s < result.steps.size(); ++s) {
    auto& st = result.steps[s];
    st.latency_p50_ms = percentile(step_latency[s], 0.5);
    st.latency_p99_ms = percentile(step_latency[s], 0.99);
    result.video_frames += st.video_frames;
    result.video_dropped += st.video_dropped;
    result.audio_packets += st.audio_packets;
    result.audio_dropped += st.audio_dropped;
  }
  result.video_drop_rate =
      result.video_frames ? static_cast<double>(result.video_dropped) / static_cast<double>(result.video_frames) : 0;
  result.latency_p50_ms = percentile(all_latency, 0.5);
  result.latency_p99_ms = percentile(all_latency, 0.99);
  result.latency_max_ms = all_latency.empty() ? 0 : *std::max_element(all_latency.begin(), all_latency.end());

  // Target means and follow times per step.
  const double full_rate = static_cast<double>(enc.max_video_bps + enc.audio_bps);
  for (std::size_t s = 0; s < result.steps.size(); ++s) {
    auto& st = result.steps[s];
    const double from = st.start_s;
    const double to = s + 1 < result.steps.size() ? result.steps[s + 1].start_s : 1e300;
    double sum = 0, video_sum = 0;
    std::size_t n = 0;
    for (const auto& [t, target, video_bps] : result.target_trace)
      if (t >= from && t < to) {
        sum += target;
        video_sum += video_bps;
        ++n;
      }
    if (n) {
      st.target_mean_bps = sum / static_cast<double>(n);
      st.video_bitrate_mean_bps = video_sum / static_cast<double>(n);
    }
    if (s == 0) continue;
    const auto& prev = result.steps[s - 1];
    const bool drop = st.link_rate_bps > 0 && (prev.link_rate_bps == 0 || st.link_rate_bps < prev.link_rate_bps);
    // After a rise: the encoder back at its full rate, or at 90 % of what
    // the link carries less the default 5 % headroom if that is lower.
    const double goal = drop ? st.link_rate_bps
                             : st.link_rate_bps > 0 ? std::min(full_rate, 0.9 * 0.95 * st.link_rate_bps) : full_rate;
    for (const auto& [t, target, video_bps] : result.target_trace) {
      if (t < from || t >= to) continue;
      if (drop ? target <= goal : target >= goal) {
        st.target_followed_s = t - from;
        break;
      }
    }
  }
  // Latency settle times: the earliest multiple of `window` after the
  // step's start from which the p99 of the frames sent until the step ends
  // (a dropped frame counting as late) is under the goal.
  const double window_s = seconds(config.window);
  for (std::size_t s = 0; s < result.steps.size(); ++s) {
    auto& st = result.steps[s];
    const double to = s + 1 < result.steps.size() ? result.steps[s + 1].start_s : 1e300;
    std::vector<std::pair<double, double>> frames; // (seconds after the step's start, latency)
    for (std::uint64_t i = 0; i < video_sent; ++i) {
      const double t = seconds(video[i].sent - origin);
      if (t >= st.start_s && t < to) frames.emplace_back(t - st.start_s, video[i].latency_ms < 0 ? 1e9 : video[i].latency_ms);
    }
    if (frames.empty()) continue;
    for (double from = 0; from <= frames.back().first; from += window_s) {
      std::vector<double> rest;
      for (const auto& [t, latency] : frames)
        if (t >= from) rest.push_back(latency);
      if (percentile(rest, 0.99) < millis(config.latency_goal)) {
        st.latency_settled_s = from;
        break;
      }
    }
  }
  return result;
}

std::string to_json(const adaptive_media_config& config, const adaptive_media_result& r, double wall_seconds) {
  nlohmann::ordered_json o;
  o["mode"] = "connection";
  o["media"] = "adaptive";
  o["encoder"] = config.encoder.adaptive ? "adaptive" : "fixed";
  o["link"] = config.link;
  o["down"] = config.down;
  if (!config.schedule.empty()) o["schedule"] = config.schedule;
  o["cc"] = cc::to_string(config.algorithm);
  o["real_time"] = config.real_time;
  o["drain_guard"] = config.drain_guard;
  o["seed"] = config.seed;
  o["max_video_bps"] = config.encoder.max_video_bps;
  o["audio_bps"] = config.encoder.audio_bps;
  o["fps"] = config.encoder.fps;
  o["gop"] = config.encoder.gop;
  o["deadline_ms"] = sim_json::six_digits(millis(config.deadline));
  if (!r.error.empty()) {
    o["error"] = r.error;
    return sim_json::dump(o);
  }
  o["completed"] = r.completed;
  o["wall_time_s"] = sim_json::six_digits(wall_seconds);
  o["video_frames"] = r.video_frames;
  o["video_dropped"] = r.video_dropped;
  o["video_drop_rate"] = sim_json::six_digits(r.video_drop_rate);
  o["video_corrupt"] = r.video_corrupt;
  o["audio_packets"] = r.audio_packets;
  o["audio_dropped"] = r.audio_dropped;
  o["latency_p50_ms"] = sim_json::six_digits(r.latency_p50_ms);
  o["latency_p99_ms"] = sim_json::six_digits(r.latency_p99_ms);
  o["latency_max_ms"] = sim_json::six_digits(r.latency_max_ms);
  o["link_queue_delay_mean_ms"] = sim_json::six_digits(r.link_queue_delay_mean_ms);
  o["link_queue_delay_max_ms"] = sim_json::six_digits(r.link_queue_delay_max_ms);
  auto steps = nlohmann::ordered_json::array();
  for (const auto& s : r.steps) {
    nlohmann::ordered_json j;
    j["start_s"] = sim_json::six_digits(s.start_s);
    j["link_rate_bps"] = sim_json::six_digits(s.link_rate_bps);
    j["target_mean_bps"] = sim_json::six_digits(s.target_mean_bps);
    j["video_bitrate_mean_bps"] = sim_json::six_digits(s.video_bitrate_mean_bps);
    j["target_followed_s"] = sim_json::six_digits(s.target_followed_s);
    j["latency_settled_s"] = sim_json::six_digits(s.latency_settled_s);
    j["video_frames"] = s.video_frames;
    j["video_dropped"] = s.video_dropped;
    j["audio_packets"] = s.audio_packets;
    j["audio_dropped"] = s.audio_dropped;
    j["latency_p50_ms"] = sim_json::six_digits(s.latency_p50_ms);
    j["latency_p99_ms"] = sim_json::six_digits(s.latency_p99_ms);
    j["queueing_delay_max_ms"] = sim_json::six_digits(s.queueing_delay_max_ms);
    steps.push_back(std::move(j));
  }
  o["steps"] = std::move(steps);
  return sim_json::dump(o);
}

} // namespace tern::connsim
