// Full connections on the simulator. Virtual time starts at 1 s with the
// client's connect(); the client node's application side runs after every
// datagram and timer (sim::connection_node::on_activity).
//
// Bulk: once the handshake completes the client opens `streams`
// unidirectional streams and writes its share of the bytes to each, in 64 kB
// chunks drawn from a seeded generator, hashing each stream's bytes with
// SHA-256 as they are generated; the server hashes each stream as it reads
// it. Goodput is measured like the packet-level mode: unique application
// bytes delivered over the time from the first byte offered (here: the
// client's first stream write, right after the handshake) to the server
// reading the last one. goodput_with_handshake_bps counts from connect().
//
// Media: frame i is sent at t0 + i / fps (t0: handshake complete) with
// send_message(frame, deadline = now + deadline). A frame starts with a
// 16-byte header (index, send time in ns, both little-endian) followed by
// bytes drawn from a generator seeded by (seed, index), so the receiver
// verifies each frame and takes its latency (time receive_message()
// returned it, polled after every datagram, minus the send time) without
// side channels. A frame is dropped when the receiver gets a drop notice
// for it or it never arrives (counted once every frame's deadline plus a
// second has passed).

#include "connection_scenario.hpp"
#include "sim_tls_pair.hpp"
#include "json_text.hpp"

#include "sim/connection_node.hpp"
#include "crypto/certificate.hpp"
#include "crypto/sha256.hpp"
#include "qlog/trace_writer.hpp"
#include "sim/netem_spec.hpp"
#include "sim/simulator.hpp"
#include "sim/topology.hpp"
#include "util/hex.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>

namespace tern::connsim {
namespace {

double seconds(duration d) { return static_cast<double>(d.count()) * 1e-9; }
double millis(duration d) { return static_cast<double>(d.count()) * 1e-6; }

constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t frame_header = 16;

struct out_stream {
  std::uint64_t id = 0;
  std::uint64_t total = 0;     // bytes this stream carries
  std::uint64_t generated = 0; // bytes drawn from the generator so far
  std::vector<std::byte> chunk;
  std::size_t chunk_pos = 0;
  bool finished = false;
  std::unique_ptr<random_source> gen;
  crypto::sha256_hasher hash;
};

struct in_stream {
  std::uint64_t bytes = 0;
  bool fin = false;
  crypto::sha256_hasher hash;
};

void put_u64(std::byte* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}
std::uint64_t get_u64(const std::byte* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{std::to_integer<std::uint8_t>(p[i])} << (8 * i);
  return v;
}

// The frame body after the header: a function of (seed, index) only.
void frame_body(std::uint64_t seed, std::uint64_t index, std::span<std::byte> out) {
  random_source r(seed * 0x9e3779b97f4a7c15ULL + index + 1);
  r.fill(out);
}

std::size_t frame_size(const media_config& m, std::uint64_t index) {
  const double mean = static_cast<double>(m.rate_bps) / 8.0 / m.fps;
  double size = mean;
  if (m.gop > 1) {
    // I-frame = scale × P-frame, gop frames average to `mean`.
    const double p = mean * m.gop / (m.gop - 1 + m.iframe_scale);
    size = index % m.gop == 0 ? p * m.iframe_scale : p;
  }
  return std::max<std::size_t>(frame_header + 1, static_cast<std::size_t>(std::llround(size)));
}

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank.
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

} // namespace

scenario_result run_scenario(const scenario_config& config) {
  scenario_result result;
  auto up = sim::parse_netem_spec(config.link);
  if (!up) {
    result.error = "--link: " + up.error().message();
    return result;
  }
  auto down = sim::parse_netem_spec(config.down);
  if (!down) {
    result.error = "--down: " + down.error().message();
    return result;
  }
  if (config.streams == 0 || config.streams > 100 || config.mtu < 1200 || config.mtu > 1500) {
    result.error = "streams must be within 1..100 and mtu within 1200..1500";
    return result;
  }
  if (config.media.enabled && (config.media.fps == 0 || config.media.rate_bps == 0)) {
    result.error = "media needs a positive rate and fps";
    return result;
  }
  // As in the packet-level mode: an unimpaired return path must not
  // tail-drop ACKs that bunch up.
  if (config.down.empty()) down->limit = 1'000'000;

  core::connection_config base;
  base.congestion = config.algorithm;
  base.max_datagram_size = config.mtu;
  if (config.send_buffer != 0) base.stream_send_buffer = config.send_buffer;
  base.fec = config.media.fec;
  if (!config.deadline_startup) {
    base.message_lossless_allowance = 0;
    base.message_first_window_burst = false;
  }
  if (!config.qlog_dir.empty()) base.qlog = std::make_shared<qlog::trace_directory>(config.qlog_dir);
  sim_cli::sim_tls_pair tls;
  result.error = sim_cli::make_sim_tls_pair(base, tls);
  if (!result.error.empty()) return result;
  std::error_code ec;

  const time_point origin = time_point{} + std::chrono::seconds(1);
  sim::simulator net{config.seed, origin};
  random_source client_rng(config.seed * 1000 + 1);
  random_source server_rng(config.seed * 1000 + 2);
  const sim::address client_addr{10, 5000};
  const sim::address server_addr{11, 4433};
  sim::connection_node client(tls.client, client_rng);
  auto* conn = client.connect(tls.client_tls, server_addr, origin, ec);
  if (!conn) {
    result.error = "connect: " + ec.message();
    return result;
  }
  if (conn->qlog_error()) {
    result.error = "qlog: " + config.qlog_dir + ": " + conn->qlog_error().message();
    return result;
  }
  sim::connection_node server(tls.server, tls.server_tls, server_rng);
  const sim::node_id client_id = net.add_node(client, client_addr);
  const sim::node_id server_id = net.add_node(server, server_addr);
  const sim::link_id forward = sim::connect(net, client_id, server_id, *up, *down).forward;

  time_point established = never;
  time_point done_time = never;
  bool done = false;

  // --- bulk ---------------------------------------------------------------
  std::vector<std::unique_ptr<out_stream>> outs;
  std::vector<std::unique_ptr<in_stream>> ins(config.streams);
  for (auto& in : ins) in = std::make_unique<in_stream>();
  std::size_t streams_done = 0;
  std::uint64_t bytes_received = 0;
  std::vector<std::byte> read_buf(65536);

  // --- media --------------------------------------------------------------
  const media_config& media = config.media;
  std::uint64_t frames_total = 0;
  if (media.enabled)
    frames_total = media.frames != 0 ? media.frames
                                     : static_cast<std::uint64_t>(seconds(media.media_duration) * media.fps);
  time_point media_t0{};
  // Frame i's send time, exact in nanoseconds (no drift over long runs).
  const auto t0_plus = [&](std::uint64_t i) {
    return media_t0 + duration{static_cast<duration::rep>(i * 1'000'000'000ULL / media.fps)};
  };
  std::vector<time_point> frame_sent(frames_total, never);
  std::vector<std::uint8_t> frame_state(frames_total, 0); // 0 pending, 1 delivered, 2 drop notice
  std::vector<double> latencies;
  std::vector<double> latency_by_frame(frames_total, 0); // delivered frames only
  latencies.reserve(frames_total);
  std::uint64_t frames_sent = 0;
  std::vector<std::byte> frame_buf, check_buf;
  std::uint64_t frame_bytes = 0;

  std::function<void()> send_frame;
  send_frame = [&] {
    core::connection* c = client.get();
    const time_point now = net.now();
    const std::uint64_t i = frames_sent;
    if (i >= frames_total || !c || c->is_closed()) return;
    frame_buf.resize(frame_size(media, i));
    put_u64(frame_buf.data(), i);
    put_u64(frame_buf.data() + 8, static_cast<std::uint64_t>(now.time_since_epoch().count()));
    frame_body(config.seed, i, std::span(frame_buf).subspan(frame_header));
    frame_bytes += frame_buf.size();
    std::error_code sec;
    const auto id = c->send_message(frame_buf, now + media.deadline, now, sec);
    frame_sent[i] = now;
    ++frames_sent;
    if (!id || *id != i) ++result.media.send_errors;
    net.wake(client_id);
    if (frames_sent < frames_total) net.schedule_call(t0_plus(i + 1), send_frame);
  };

  client.on_activity = [&](core::connection& c, time_point now) {
    if (!c.is_established()) return;
    if (established == never) {
      established = now;
      if (media.enabled) {
        media_t0 = now;
        net.schedule_call(now, send_frame);
      } else {
        for (std::size_t k = 0; k < config.streams; ++k) {
          auto s = std::make_unique<out_stream>();
          std::error_code oec;
          const auto id = c.open_stream(stream::direction::uni, oec);
          if (!id) continue;
          s->id = *id;
          s->total = config.bytes / config.streams + (k < config.bytes % config.streams ? 1 : 0);
          s->gen = std::make_unique<random_source>(config.seed * 7919 + k + 1);
          outs.push_back(std::move(s));
        }
      }
    }
    for (auto& s : outs) {
      while (!s->finished) {
        if (s->chunk_pos == s->chunk.size()) {
          if (s->generated == s->total) {
            s->finished = !c.finish(s->id);
            break;
          }
          s->chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, s->total - s->generated)));
          s->gen->fill(s->chunk);
          s->hash.update(s->chunk);
          s->generated += s->chunk.size();
          s->chunk_pos = 0;
        }
        std::error_code wec;
        const std::size_t n = c.write(s->id, std::span(s->chunk).subspan(s->chunk_pos), wec);
        if (wec || n == 0) break;
        s->chunk_pos += n;
      }
    }
  };

  server.on_activity = [&](core::connection& c, time_point now) {
    if (media.enabled) {
      while (auto ev = c.receive_message(now)) {
        if (ev->what == stream::message_event::kind::dropped) {
          for (std::uint64_t k = 0; k < ev->count; ++k) {
            const std::uint64_t i = ev->id + k;
            if (i < frames_total && frame_state[i] == 0) frame_state[i] = 2;
            if (config.trace && i < frames_total)
              std::fprintf(stderr, "drop frame=%llu reason=%d notice_after=%.1fms\n", static_cast<unsigned long long>(i),
                           static_cast<int>(ev->reason), millis(now - frame_sent[i]));
            ++result.media.drop_notices;
          }
          using stream::drop_reason;
          auto& m = result.media;
          const auto by = [&](drop_reason r) { return ev->per_reason[static_cast<std::size_t>(r)]; };
          m.dropped_abandoned += by(drop_reason::abandoned);
          m.dropped_expired += by(drop_reason::expired);
          m.dropped_no_memory += by(drop_reason::no_memory);
          m.dropped_overrun += by(drop_reason::overrun);
          continue;
        }
        const auto& d = ev->data;
        if (ev->id >= frames_total || d.size() < frame_header || get_u64(d.data()) != ev->id ||
            frame_state[ev->id] != 0) {
          ++result.media.frames_corrupt;
          continue;
        }
        const std::uint64_t i = ev->id;
        check_buf.resize(d.size() - frame_header);
        frame_body(config.seed, i, check_buf);
        const auto sent_ns = static_cast<std::int64_t>(get_u64(d.data() + 8));
        if (d.size() != frame_size(media, i) || sent_ns != frame_sent[i].time_since_epoch().count() ||
            std::memcmp(check_buf.data(), d.data() + frame_header, check_buf.size()) != 0) {
          ++result.media.frames_corrupt;
          continue;
        }
        frame_state[i] = 1;
        const duration latency = now - frame_sent[i];
        if (latency > media.deadline) ++result.media.frames_over_deadline;
        latencies.push_back(millis(latency));
        latency_by_frame[i] = millis(latency);
      }
      return;
    }
    while (c.accept_stream(stream::direction::uni)) {
    }
    for (std::size_t k = 0; k < outs.size() && k < ins.size(); ++k) {
      auto& in = *ins[k];
      if (in.fin) continue;
      for (;;) {
        std::error_code rec;
        const auto r = c.read(outs[k]->id, read_buf, rec);
        if (rec) break;
        in.hash.update(std::span(read_buf).first(r.bytes));
        in.bytes += r.bytes;
        bytes_received += r.bytes;
        if (r.fin) {
          in.fin = true;
          if (++streams_done == outs.size()) {
            done = true;
            done_time = now;
          }
          break;
        }
        if (r.bytes == 0) break;
      }
    }
  };

  // --trace: one line every 100 ms of virtual time to stderr.
  std::function<void()> trace;
  std::uint64_t last_bytes = 0;
  trace = [&] {
    if (core::connection* c = client.get()) {
      const auto st = c->stats();
      const std::uint64_t got = media.enabled ? latencies.size() : bytes_received;
      std::fprintf(stderr,
                   "t=%.2f recv=%llu rate=%.1fMb cwnd=%llu inflight=%llu pacing=%.1fMb srtt=%.1fms lost=%llu "
                   "retx=%llu retx_bytes=%llu sent=%llu\n",
                   seconds(net.now() - origin), static_cast<unsigned long long>(got),
                   static_cast<double>(got - last_bytes) * 8 / 0.1 * 1e-6, static_cast<unsigned long long>(st.cwnd),
                   static_cast<unsigned long long>(st.bytes_in_flight), static_cast<double>(st.pacing_rate) * 8e-6,
                   millis(st.srtt), static_cast<unsigned long long>(st.packets_lost),
                   static_cast<unsigned long long>(st.packets_retransmitted),
                   static_cast<unsigned long long>(st.stream_bytes_retransmitted),
                   static_cast<unsigned long long>(st.packets_sent));
      last_bytes = got;
    }
    if (!done) net.schedule_call(net.now() + std::chrono::milliseconds(100), trace);
  };
  if (config.trace) net.schedule_call(origin, trace);

  const time_point limit = origin + config.time_limit;
  if (media.enabled) {
    // Until every frame is accounted for, or a second past the last deadline.
    net.run_until(limit, [&] {
      if (frames_sent < frames_total || frames_total == 0) return client.get() && client.get()->is_closed();
      const auto delivered = static_cast<std::uint64_t>(latencies.size());
      if (delivered + result.media.drop_notices >= frames_total) return true;
      return net.now() > frame_sent[frames_total - 1] + media.deadline + std::chrono::seconds(1);
    });
    done = frames_sent == frames_total && frames_total > 0;
    done_time = net.now();
  } else {
    net.run_until(limit, [&] { return done || (client.get() && client.get()->is_closed()); });
  }

  // --- results ------------------------------------------------------------
  result.completed = done;
  result.handshake_ok = established != never;
  if (result.handshake_ok) result.handshake_s = seconds(established - origin);
  const time_point end = done ? done_time : net.now();
  result.virtual_duration = end - origin;
  result.link_rate_bps = static_cast<double>(up->rate.bits_per_second);
  if (!media.enabled) {
    result.bytes_received = bytes_received;
    if (established != never && end > established) {
      result.transfer_duration = end - established;
      result.goodput_bps = static_cast<double>(bytes_received) * 8 / seconds(end - established);
    }
    if (end > origin) result.goodput_with_handshake_bps = static_cast<double>(bytes_received) * 8 / seconds(end - origin);
    bool match = done && outs.size() == config.streams;
    for (std::size_t k = 0; k < outs.size(); ++k) {
      const std::string sent = util::to_hex(outs[k]->hash.digest());
      const std::string got = util::to_hex(ins[k]->hash.digest());
      if (k == 0) result.sha256 = sent;
      if (sent != got || outs[k]->generated != outs[k]->total || ins[k]->bytes != outs[k]->total) match = false;
    }
    result.sha256_match = match;
  } else {
    auto& m = result.media;
    m.frames_sent = frames_sent;
    m.frames_delivered = latencies.size();
    m.frames_dropped = frames_sent - std::min<std::uint64_t>(frames_sent, m.frames_delivered);
    m.drop_rate = frames_sent ? static_cast<double>(m.frames_dropped) / static_cast<double>(frames_sent) : 0;
    std::sort(latencies.begin(), latencies.end());
    m.latency_p50_ms = percentile(latencies, 0.50);
    m.latency_p90_ms = percentile(latencies, 0.90);
    m.latency_p99_ms = percentile(latencies, 0.99);
    m.latency_max_ms = latencies.empty() ? 0 : latencies.back();
    m.frame_bytes_mean = frames_sent ? frame_bytes / frames_sent : 0;
    std::vector<double> steady;
    for (std::uint64_t i = 0; i < frames_sent; ++i) {
      if (frame_sent[i] < media_t0 + media.warmup) continue;
      ++m.steady_frames_sent;
      if (frame_state[i] == 1)
        steady.push_back(latency_by_frame[i]);
      else
        ++m.steady_frames_dropped;
    }
    std::sort(steady.begin(), steady.end());
    m.steady_drop_rate =
        m.steady_frames_sent ? static_cast<double>(m.steady_frames_dropped) / static_cast<double>(m.steady_frames_sent) : 0;
    m.steady_latency_p50_ms = percentile(steady, 0.50);
    m.steady_latency_p99_ms = percentile(steady, 0.99);
    m.steady_latency_max_ms = steady.empty() ? 0 : steady.back();
    m.frame_latency_ms.resize(frames_sent);
    for (std::uint64_t i = 0; i < frames_sent; ++i) m.frame_latency_ms[i] = frame_state[i] == 1 ? latency_by_frame[i] : -1;
    result.sha256_match = m.frames_corrupt == 0;
  }
  if (core::connection* c = client.get()) {
    const auto s = c->stats();
    result.packets_sent = s.packets_sent;
    result.packets_lost = s.packets_lost;
    result.packets_retransmitted = s.packets_retransmitted;
    result.spurious_retransmits = s.spurious_retransmits;
    result.bytes_sent = s.bytes_sent;
    result.stream_bytes_sent = s.stream_bytes_sent;
    result.stream_bytes_retransmitted = s.stream_bytes_retransmitted;
    result.srtt_ms = millis(s.srtt);
    result.min_rtt_ms = millis(s.min_rtt);
    result.rttvar_ms = millis(s.rttvar);
    result.cwnd_bytes = s.cwnd;
    result.pacing_rate_bps = static_cast<double>(s.pacing_rate) * 8;
    result.media.fragments_sent = s.message_fragments_sent;
    result.media.retransmissions = s.message_retransmissions;
    result.media.duplicates = s.message_duplicates;
    result.media.abandoned = s.messages_abandoned;
    result.media.fec.repair_packets = s.fec_repair_packets_sent;
    result.media.fec.repair_bytes = s.fec_repair_bytes_sent;
    result.media.fec.reported_loss_rate = s.fec_path_loss_rate;
    const double media_bytes = static_cast<double>(result.media.frame_bytes_mean * result.media.frames_sent);
    result.media.fec.overhead = media_bytes > 0 ? static_cast<double>(s.fec_repair_bytes_sent) / media_bytes : 0;
  }
  if (core::connection* c = server.get()) {
    result.server_packets_sent = c->stats().packets_sent;
    result.media.fec.packets_recovered = c->stats().fec_packets_recovered;
  }
  const auto& ls = net.stats(forward);
  result.peak_queue_delay_ms = millis(ls.queue_delay_max);
  result.mean_queue_delay_ms = ls.mean_queue_delay_seconds() * 1e3;
  result.link_lost = ls.lost;
  result.link_dropped_limit = ls.dropped_limit;
  result.events = net.stats().events;
  return result;
}

std::string to_json(const scenario_config& config, const scenario_result& r, double wall_seconds) {
  nlohmann::ordered_json o;
  o["mode"] = "connection";
  o["link"] = config.link;
  o["down"] = config.down;
  o["cc"] = cc::to_string(config.algorithm);
  o["seed"] = config.seed;
  o["mtu"] = config.mtu;
  if (config.media.enabled) {
    o["media"] = true;
    o["media_rate_bps"] = config.media.rate_bps;
    o["fps"] = config.media.fps;
    o["deadline_ms"] = sim_json::six_digits(millis(config.media.deadline));
    o["gop"] = config.media.gop;
    o["fec"] = fec_option_text(config.media.fec);
  } else {
    o["bytes"] = config.bytes;
    o["streams"] = config.streams;
  }
  if (!r.error.empty()) {
    o["error"] = r.error;
    return sim_json::dump(o);
  }
  o["completed"] = r.completed;
  o["handshake_ok"] = r.handshake_ok;
  o["handshake_s"] = sim_json::six_digits(r.handshake_s);
  o["sha256_match"] = r.sha256_match;
  if (!config.media.enabled) {
    o["sha256"] = r.sha256;
    o["goodput_bps"] = sim_json::six_digits(r.goodput_bps);
    o["goodput_with_handshake_bps"] = sim_json::six_digits(r.goodput_with_handshake_bps);
    o["link_rate_bps"] = sim_json::six_digits(r.link_rate_bps);
    o["goodput_ratio"] = sim_json::six_digits(r.link_rate_bps > 0 ? r.goodput_bps / r.link_rate_bps : 0);
    o["bytes_received"] = r.bytes_received;
    o["duration_s"] = sim_json::six_digits(seconds(r.transfer_duration));
  }
  o["virtual_duration_s"] = sim_json::six_digits(seconds(r.virtual_duration));
  o["wall_time_s"] = sim_json::six_digits(wall_seconds);
  o["packets_sent"] = r.packets_sent;
  o["packets_lost"] = r.packets_lost;
  o["packets_retransmitted"] = r.packets_retransmitted;
  o["spurious_retransmits"] = r.spurious_retransmits;
  o["bytes_sent"] = r.bytes_sent;
  o["stream_bytes_sent"] = r.stream_bytes_sent;
  o["stream_bytes_retransmitted"] = r.stream_bytes_retransmitted;
  o["server_packets_sent"] = r.server_packets_sent;
  sim_json::add_recovery_state(o, r);
  sim_json::add_link_stats(o, r);
  if (config.media.enabled) {
    const auto& m = r.media;
    o["frames_sent"] = m.frames_sent;
    o["frames_delivered"] = m.frames_delivered;
    o["frames_dropped"] = m.frames_dropped;
    o["drop_notices"] = m.drop_notices;
    o["drop_rate"] = sim_json::six_digits(m.drop_rate);
    o["frames_corrupt"] = m.frames_corrupt;
    o["frames_over_deadline"] = m.frames_over_deadline;
    o["send_errors"] = m.send_errors;
    o["frame_bytes_mean"] = m.frame_bytes_mean;
    o["latency_p50_ms"] = sim_json::six_digits(m.latency_p50_ms);
    o["latency_p90_ms"] = sim_json::six_digits(m.latency_p90_ms);
    o["latency_p99_ms"] = sim_json::six_digits(m.latency_p99_ms);
    o["latency_max_ms"] = sim_json::six_digits(m.latency_max_ms);
    o["dropped_abandoned"] = m.dropped_abandoned;
    o["dropped_expired"] = m.dropped_expired;
    o["dropped_no_memory"] = m.dropped_no_memory;
    o["dropped_overrun"] = m.dropped_overrun;
    o["fragments_sent"] = m.fragments_sent;
    o["fragment_retransmissions"] = m.retransmissions;
    o["fragment_duplicates"] = m.duplicates;
    o["messages_abandoned"] = m.abandoned;
    o["warmup_s"] = sim_json::six_digits(seconds(config.media.warmup));
    o["steady_frames_sent"] = m.steady_frames_sent;
    o["steady_frames_dropped"] = m.steady_frames_dropped;
    o["steady_drop_rate"] = sim_json::six_digits(m.steady_drop_rate);
    o["steady_latency_p50_ms"] = sim_json::six_digits(m.steady_latency_p50_ms);
    o["steady_latency_p99_ms"] = sim_json::six_digits(m.steady_latency_p99_ms);
    o["steady_latency_max_ms"] = sim_json::six_digits(m.steady_latency_max_ms);
    o["fec_repair_packets"] = m.fec.repair_packets;
    o["fec_repair_bytes"] = m.fec.repair_bytes;
    o["fec_packets_recovered"] = m.fec.packets_recovered;
    o["fec_overhead"] = sim_json::six_digits(m.fec.overhead);
    o["fec_reported_loss_rate"] = sim_json::six_digits(m.fec.reported_loss_rate);
  }
  return sim_json::dump(o);
}

namespace {

// CSV cells in the shortest faithful form of six significant digits, as
// the plots have always read them.
std::string csv_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

} // namespace

std::string frame_latencies_csv(const scenario_config& config, const media_result& media) {
  std::ostringstream o;
  o << "frame,sent_ms,latency_ms\n";
  for (std::size_t i = 0; i < media.frame_latency_ms.size(); ++i) {
    o << i << ',' << csv_number(static_cast<double>(i) * 1000.0 / config.media.fps) << ',';
    if (media.frame_latency_ms[i] >= 0) o << csv_number(media.frame_latency_ms[i]);
    o << '\n';
  }
  return o.str();
}

} // namespace tern::connsim
