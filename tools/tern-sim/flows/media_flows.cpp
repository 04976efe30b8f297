// Audio and video flows on the simulator. Virtual time starts at 1 s with
// the client's connect(); media starts when the handshake completes. Frame
// k of a kind is sent at t0 + k * interval with deadline now + `deadline`:
// a 9-byte header (kind, index little-endian) then bytes that are a function
// of (kind, index), so the receiver checks each frame and takes its latency
// (receive_message() time minus send time, polled after every datagram).
// Frames sent before t0 + warmup are left out of the figures (the window's
// start-up), as in tern-sim --media.
#include "media_flows.hpp"
#include "sim_tls_pair.hpp"

#include "sim/connection_node.hpp"
#include "sim/netem_spec.hpp"
#include "sim/simulator.hpp"
#include "sim/topology.hpp"

#include <tern/message_flows.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>

namespace tern::flowsim {
namespace {

constexpr std::uint8_t audio_flow = 1, video_flow = 2;
constexpr std::size_t header = 9;
constexpr duration audio_interval = std::chrono::milliseconds(20);

double millis(duration d) { return static_cast<double>(d.count()) * 1e-6; }

std::byte body_byte(std::size_t kind, std::uint64_t index, std::size_t at) {
  return static_cast<std::byte>((index * 131 + at * 7 + kind * 29) & 0xff);
}

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// What one kind of media (audio or video) sent and got.
struct track {
  std::vector<time_point> sent;
  std::vector<double> latency_ms; // by index; negative: not delivered
};

} // namespace

flows_result run_flows(const flows_config& config) {
  flows_result result;
  auto up = sim::parse_netem_spec(config.link);
  auto down = sim::parse_netem_spec(config.down);
  if (!up || !down) {
    result.error = "bad --link or --down";
    return result;
  }
  if (config.fps == 0 || config.video_bps == 0 || config.audio_bps == 0) {
    result.error = "rates and fps must be positive";
    return result;
  }
  if (config.down.empty()) down->limit = 1'000'000;

  core::connection_config base;
  base.congestion = config.algorithm;
  base.real_time = config.real_time;
  sim_cli::sim_tls_pair tls;
  result.error = sim_cli::make_sim_tls_pair(base, tls);
  if (!result.error.empty()) return result;
  std::error_code ec;

  const time_point origin = time_point{} + std::chrono::seconds(1);
  sim::simulator net{config.seed, origin};
  random_source client_rng(config.seed * 1000 + 1), server_rng(config.seed * 1000 + 2);
  sim::connection_node client(tls.client, client_rng);
  sim::connection_node server(tls.server, tls.server_tls, server_rng);
  const sim::address client_addr{10, 5000}, server_addr{11, 4433};
  if (!client.connect(tls.client_tls, server_addr, origin, ec)) {
    result.error = "connect: " + ec.message();
    return result;
  }
  const sim::node_id client_id = net.add_node(client, client_addr);
  const sim::node_id server_id = net.add_node(server, server_addr);
  (void)server_id;
  sim::connect(net, client_id, server_id, *up, *down);

  // Two kinds: 0 audio, 1 video.
  const std::array<duration, 2> interval{audio_interval,
                                         duration{static_cast<duration::rep>(1'000'000'000ULL / config.fps)}};
  const auto total = [&](std::size_t kind) {
    return static_cast<std::uint64_t>(config.media_duration / interval[kind]);
  };
  std::array<track, 2> tracks;
  for (std::size_t k = 0; k < 2; ++k) {
    tracks[k].sent.assign(total(k), never);
    tracks[k].latency_ms.assign(total(k), -1);
  }
  const auto frame_size = [&](std::size_t kind, std::uint64_t i) -> std::size_t {
    if (kind == 0) return std::max<std::size_t>(header + 1, config.audio_bps / 8 / 50);
    const double mean = static_cast<double>(config.video_bps) / 8.0 / config.fps;
    double size = mean;
    if (config.gop > 1) {
      const double p = mean * config.gop / (config.gop - 1 + config.iframe_scale);
      size = i % config.gop == 0 ? p * config.iframe_scale : p;
    }
    return std::max<std::size_t>(header + 1, static_cast<std::size_t>(std::llround(size)));
  };

  time_point t0 = never;
  std::uint64_t bulk_stream = 0;
  bool bulk_open = false;
  std::vector<std::byte> buf, bulk_chunk(64 * 1024, std::byte{0x5a}), read_buf(64 * 1024);

  std::function<void(std::size_t, std::uint64_t)> send_frame = [&](std::size_t kind, std::uint64_t i) {
    core::connection* c = client.get();
    if (!c || c->is_closed() || i >= total(kind)) return;
    const time_point now = net.now();
    buf.resize(frame_size(kind, i));
    buf[0] = static_cast<std::byte>(kind);
    for (int b = 0; b < 8; ++b) buf[1 + b] = static_cast<std::byte>(i >> (8 * b));
    for (std::size_t at = header; at < buf.size(); ++at) buf[at] = body_byte(kind, i, at);
    message_options o;
    if (!config.single_flow) {
      o.flow = kind == 0 ? audio_flow : video_flow;
      if (kind == 1 && config.dependencies && config.gop > 1 && i % config.gop != 0) o.depends_on = i - 1;
    }
    std::error_code sec;
    const auto id = c->send_message(buf, now + config.deadline, now, sec, o);
    if (!id) ++result.send_errors;
    tracks[kind].sent[i] = now;
    net.wake(client_id);
    net.schedule_call(t0 + interval[kind] * static_cast<duration::rep>(i + 1), [&, kind, i] { send_frame(kind, i + 1); });
  };

  client.on_activity = [&](core::connection& c, time_point now) {
    if (!c.is_established()) return;
    if (t0 == never) {
      t0 = now;
      if (!config.single_flow) {
        (void)c.configure_message_flow(audio_flow, {true, 0, 16, config.redundant_audio});
        (void)c.configure_message_flow(video_flow, {!config.unordered_video, 2, 16});
      }
      net.schedule_call(now, [&] { send_frame(0, 0); });
      net.schedule_call(now, [&] { send_frame(1, 0); });
      if (config.bulk) {
        std::error_code oec;
        if (auto id = c.open_stream(stream::direction::uni, oec)) {
          bulk_stream = *id;
          bulk_open = true;
        }
      }
    }
    if (bulk_open) {
      std::error_code wec;
      while (c.write(bulk_stream, bulk_chunk, wec) > 0 && !wec) {
      }
    }
  };

  server.on_activity = [&](core::connection& c, time_point now) {
    while (auto ev = c.receive_message(now)) {
      if (ev->what == stream::message_event::kind::dropped) {
        const std::size_t kind = ev->flow == audio_flow ? 0 : 1;
        (kind == 0 ? result.audio : result.video).dropped_dependency +=
            ev->per_reason[static_cast<std::size_t>(stream::drop_reason::dependency)];
        continue;
      }
      const auto& d = ev->data;
      if (d.size() < header + 1) {
        ++result.frames_corrupt;
        continue;
      }
      const auto kind = std::to_integer<std::size_t>(d[0]);
      std::uint64_t i = 0;
      for (int b = 0; b < 8; ++b) i |= std::uint64_t{std::to_integer<std::uint8_t>(d[1 + b])} << (8 * b);
      if (kind > 1 || i >= total(kind) || d.size() != frame_size(kind, i) ||
          d.back() != body_byte(kind, i, d.size() - 1) || tracks[kind].latency_ms[i] >= 0) {
        ++result.frames_corrupt;
        continue;
      }
      tracks[kind].latency_ms[i] = millis(now - tracks[kind].sent[i]);
    }
    while (c.accept_stream(stream::direction::uni)) {
    }
    if (config.bulk) {
      for (;;) {
        std::error_code rec;
        const auto r = c.read(bulk_stream, read_buf, rec);
        if (rec || r.bytes == 0) break;
        result.bulk_bytes += r.bytes;
      }
    }
  };

  // The wait counters at the end of the warm-up, to take the steady part.
  std::array<std::array<std::uint64_t, 8>, 2> waits_at_warmup{};
  std::function<void()> snapshot_waits = [&] {
    if (t0 == never) {
      net.schedule_call(net.now() + std::chrono::milliseconds(10), snapshot_waits);
      return;
    }
    if (net.now() < t0 + config.warmup) {
      net.schedule_call(t0 + config.warmup, snapshot_waits);
      return;
    }
    if (auto* c = client.get())
      for (std::size_t k = 0; k < 2; ++k)
        waits_at_warmup[k] = c->message_flow_stats(k == 0 ? audio_flow : video_flow).first_fragment_waits;
  };
  net.schedule_call(origin, snapshot_waits);

  const time_point end_of_media = origin + std::chrono::seconds(2) + config.media_duration;
  net.run_until(end_of_media + config.deadline + std::chrono::seconds(1),
                [&] { return client.get() && client.get()->is_closed(); });

  result.handshake_ok = t0 != never;
  if (auto* c = client.get()) {
    result.packets_lost = c->stats().packets_lost;
    for (std::size_t k = 0; k < 2 && !config.single_flow; ++k) {
      const auto s = c->message_flow_stats(k == 0 ? audio_flow : video_flow);
      auto& out = k == 0 ? result.audio : result.video;
      out.max_first_fragment_wait_ms = millis(s.max_first_fragment_wait);
      out.steady_wait_bound_ms = 0;
      for (std::size_t b = 0; b < s.first_fragment_waits.size(); ++b)
        if (s.first_fragment_waits[b] > waits_at_warmup[k][b])
          out.steady_wait_bound_ms =
              b < stream::first_fragment_wait_bounds_ms.size() ? stream::first_fragment_wait_bounds_ms[b] : -1;
      out.sender_dependency_drops = s.messages_dropped_dependency;
    }
  }
  for (std::size_t k = 0; k < 2; ++k) {
    auto& out = k == 0 ? result.audio : result.video;
    std::vector<double> lat;
    for (std::size_t i = 0; i < tracks[k].sent.size(); ++i) {
      if (tracks[k].sent[i] == never || tracks[k].sent[i] < t0 + config.warmup) continue;
      ++out.sent;
      if (tracks[k].latency_ms[i] >= 0) {
        ++out.delivered;
        lat.push_back(tracks[k].latency_ms[i]);
      } else {
        ++out.dropped;
      }
    }
    std::sort(lat.begin(), lat.end());
    out.p50_ms = percentile(lat, 0.5);
    out.p90_ms = percentile(lat, 0.9);
    out.p99_ms = percentile(lat, 0.99);
    out.max_ms = lat.empty() ? 0 : lat.back();
  }
  return result;
}

std::string to_json(const flows_config& config, const flows_result& r) {
  std::ostringstream o;
  const auto kind = [&](const char* name, const kind_result& k) {
    o << "\"" << name << "\":{\"sent\":" << k.sent << ",\"delivered\":" << k.delivered << ",\"dropped\":" << k.dropped
      << ",\"dropped_dependency\":" << k.dropped_dependency << ",\"p50_ms\":" << k.p50_ms << ",\"p90_ms\":" << k.p90_ms
      << ",\"p99_ms\":" << k.p99_ms << ",\"max_ms\":" << k.max_ms
      << ",\"max_first_fragment_wait_ms\":" << k.max_first_fragment_wait_ms
      << ",\"steady_wait_bound_ms\":" << k.steady_wait_bound_ms
      << ",\"sender_dependency_drops\":" << k.sender_dependency_drops << "}";
  };
  o << "{\"link\":\"" << config.link << "\",\"down\":\"" << config.down << "\",\"seed\":" << config.seed
    << ",\"unordered_video\":" << (config.unordered_video ? "true" : "false")
    << ",\"single_flow\":" << (config.single_flow ? "true" : "false") << ",\"bulk\":" << (config.bulk ? "true" : "false")
    << ",\"handshake_ok\":" << (r.handshake_ok ? "true" : "false") << ",";
  kind("audio", r.audio);
  o << ",";
  kind("video", r.video);
  o << ",\"frames_corrupt\":" << r.frames_corrupt << ",\"send_errors\":" << r.send_errors
    << ",\"packets_lost\":" << r.packets_lost << ",\"bulk_bytes\":" << r.bulk_bytes;
  if (!r.error.empty()) o << ",\"error\":\"" << r.error << "\"";
  o << "}";
  return o.str();
}

} // namespace tern::flowsim
