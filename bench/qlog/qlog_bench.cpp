// The cost of qlog events (docs/observability.md, "Cost"): a connection
// without a trace pays the null check (BM_event_untraced), a traced one the
// writer's formatting and buffered write per event. Files go to a fresh
// directory under the system's temporary directory, removed afterwards.

#include "qlog/trace_writer.hpp"
#include "wire/frame_reader.hpp"
#include "wire/writer.hpp"

#include <benchmark/benchmark.h>

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <vector>

namespace {

using namespace tern;
namespace fs = std::filesystem;

struct trace_dir {
  fs::path path = fs::temp_directory_path() / ("tern-bench-qlog-" + std::to_string(::getpid()));
  trace_dir() { fs::create_directories(path); }
  ~trace_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::unique_ptr<qlog::trace_writer> open_writer(const trace_dir& dir) {
  std::error_code ec;
  auto w = qlog::trace_writer::create(dir.path.string(), "0011223344556677", qlog::vantage::client,
                                      time_point{}, ec);
  return w;
}

// The hook as the connection has it: one branch on a null observer.
void BM_event_untraced(benchmark::State& state) {
  std::unique_ptr<qlog::observer> observer;
  benchmark::DoNotOptimize(observer);
  std::uint64_t pn = 0;
  for (auto _ : state) {
    if (observer)
      observer->packet_sent(time_point{}, qlog::packet_info{qlog::packet_type::one_rtt, pn, 1200});
    benchmark::DoNotOptimize(++pn);
  }
}
BENCHMARK(BM_event_untraced);

void BM_packet_sent_traced(benchmark::State& state) {
  trace_dir dir;
  auto w = open_writer(dir);
  std::uint64_t pn = 0;
  time_point t{};
  for (auto _ : state) {
    t += std::chrono::microseconds(10);
    w->packet_sent(t, qlog::packet_info{qlog::packet_type::one_rtt, pn++, 1200});
  }
}
BENCHMARK(BM_packet_sent_traced);

// What a traced connection pays per data packet since packets carry their
// frames: decoding the plaintext (an ACK with two ranges and a 1100-byte
// STREAM frame) into the reused frame list, then writing the event.
void BM_packet_with_frames_traced(benchmark::State& state) {
  trace_dir dir;
  auto w = open_writer(dir);
  std::vector<std::byte> payload(1200);
  std::vector<std::byte> data(1100, std::byte{0x5a});
  wire::writer pw(payload);
  wire::ack_frame ack;
  (void)ack.ranges.push_back({900, 950});
  (void)ack.ranges.push_back({800, 897});
  ack.ack_delay = std::chrono::microseconds(250);
  (void)wire::encode(pw, ack);
  wire::stream_frame stream;
  stream.stream_id = 2;
  stream.offset = 1'000'000;
  stream.data = data;
  (void)wire::encode(pw, stream);
  const std::span<const std::byte> plaintext(payload.data(), pw.position());
  std::vector<wire::frame> frames;
  std::uint64_t pn = 0;
  time_point t{};
  for (auto _ : state) {
    t += std::chrono::microseconds(10);
    frames.clear();
    (void)wire::for_each_frame(plaintext, wire::packet_type::one_rtt,
                               [&](const wire::frame& f) { frames.push_back(f); });
    w->packet_sent(t, qlog::packet_info{qlog::packet_type::one_rtt, pn++, 1200, frames});
  }
}
BENCHMARK(BM_packet_with_frames_traced);

// metrics_updated after every packet: bytes_in_flight changes each time.
void BM_metrics_updated_traced(benchmark::State& state) {
  trace_dir dir;
  auto w = open_writer(dir);
  qlog::recovery_metrics m;
  m.smoothed_rtt = std::chrono::milliseconds(40);
  m.min_rtt = m.latest_rtt = m.smoothed_rtt;
  m.congestion_window = 120000;
  time_point t{};
  for (auto _ : state) {
    t += std::chrono::microseconds(10);
    m.bytes_in_flight = (m.bytes_in_flight + 1200) % 120000;
    w->metrics_updated(t, m);
  }
}
BENCHMARK(BM_metrics_updated_traced);

// Reported every call with nothing changed: the comparison only.
void BM_metrics_unchanged_traced(benchmark::State& state) {
  trace_dir dir;
  auto w = open_writer(dir);
  qlog::recovery_metrics m;
  m.congestion_window = 120000;
  for (auto _ : state) w->metrics_updated(time_point{}, m);
}
BENCHMARK(BM_metrics_unchanged_traced);

} // namespace
