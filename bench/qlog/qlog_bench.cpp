// The cost of qlog events (docs/observability.md, "Cost"): a connection
// without a trace pays the null check (BM_event_untraced), a traced one the
// writer's formatting and buffered write per event; the same data packet
// event through nlohmann::json (BM_packet_with_frames_nlohmann) is what
// keeps the writer hand-written. Files go to a fresh
// directory under the system's temporary directory, removed afterwards.

#include "qlog/trace_writer.hpp"
#include "wire/frame_reader.hpp"
#include "wire/writer.hpp"

#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <type_traits>
#include <variant>
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

// A data packet's plaintext: an ACK with two ranges and a 1100-byte STREAM
// frame.
class data_packet {
public:
  data_packet() : payload_(1200), data_(1100, std::byte{0x5a}) {
    wire::writer pw(payload_);
    wire::ack_frame ack;
    (void)ack.ranges.push_back({900, 950});
    (void)ack.ranges.push_back({800, 897});
    ack.ack_delay = std::chrono::microseconds(250);
    (void)wire::encode(pw, ack);
    wire::stream_frame stream;
    stream.stream_id = 2;
    stream.offset = 1'000'000;
    stream.data = data_;
    (void)wire::encode(pw, stream);
    size_ = pw.position();
  }
  /// Decodes the plaintext into `frames` (cleared first), as the connection
  /// does for a traced packet.
  void decode(std::vector<wire::frame>& frames) const {
    frames.clear();
    (void)wire::for_each_frame(std::span{payload_}.first(size_), wire::packet_type::one_rtt,
                               [&](const wire::frame& f) { frames.push_back(f); });
  }

private:
  std::vector<std::byte> payload_;
  std::vector<std::byte> data_;
  std::size_t size_ = 0;
};

// One data packet per iteration, 10 us apart: decodes the plaintext into
// the reused frame list and hands time, packet number and frames to `write`.
template <class Write>
void each_data_packet(benchmark::State& state, Write write) {
  const data_packet packet;
  std::vector<wire::frame> frames;
  std::uint64_t pn = 0;
  time_point t{};
  for (auto _ : state) {
    t += std::chrono::microseconds(10);
    packet.decode(frames);
    write(t, pn++, frames);
  }
}

// What a traced connection pays per data packet since packets carry their
// frames: decoding the plaintext into the reused frame list, then writing
// the event.
void BM_packet_with_frames_traced(benchmark::State& state) {
  trace_dir dir;
  auto w = open_writer(dir);
  each_data_packet(state, [&](time_point t, std::uint64_t pn, const std::vector<wire::frame>& frames) {
    w->packet_sent(t, qlog::packet_info{qlog::packet_type::one_rtt, pn, 1200, frames});
  });
}
BENCHMARK(BM_packet_with_frames_traced);

// The same event built as an nlohmann::ordered_json document (the keys in
// the writer's order) and serialised with dump(), then written the same
// way: what the JSON library the tools use would cost on this path
// (docs/observability.md, "Cost"). Only the frame types this packet holds
// get their members.
nlohmann::ordered_json frame_document(const wire::frame& frame) {
  return std::visit(
      [](const auto& f) -> nlohmann::ordered_json {
        using F = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<F, wire::ack_frame>) {
          auto ranges = nlohmann::ordered_json::array();
          for (std::size_t i = f.ranges.size(); i-- > 0;)
            ranges.push_back({f.ranges[i].smallest, f.ranges[i].largest});
          return {{"frame_type", "ack"},
                  {"ack_delay", std::chrono::duration<double, std::milli>(f.ack_delay).count()},
                  {"acked_ranges", std::move(ranges)}};
        } else if constexpr (std::is_same_v<F, wire::stream_frame>) {
          return {{"frame_type", "stream"},
                  {"stream_id", f.stream_id},
                  {"offset", f.offset},
                  {"length", f.data.size()},
                  {"fin", f.fin}};
        } else {
          return {{"frame_type", "other"}};
        }
      },
      frame);
}

void BM_packet_with_frames_nlohmann(benchmark::State& state) {
  trace_dir dir;
  std::FILE* file = std::fopen((dir.path / "nlohmann.sqlog").c_str(), "w");
  if (file == nullptr) {
    state.SkipWithError("cannot create the trace file");
    return;
  }
  each_data_packet(state, [&](time_point t, std::uint64_t pn, const std::vector<wire::frame>& frames) {
    auto frame_list = nlohmann::ordered_json::array();
    for (const auto& f : frames) frame_list.push_back(frame_document(f));
    const nlohmann::ordered_json event = {
        {"time", std::chrono::duration<double, std::milli>(t.time_since_epoch()).count()},
        {"name", "transport:packet_sent"},
        {"data",
         {{"header", {{"packet_type", "1RTT"}, {"packet_number", pn}}},
          {"raw", {{"length", 1200}}},
          {"frames", std::move(frame_list)}}}};
    const std::string line = "\x1e" + event.dump() + "\n";
    std::fwrite(line.data(), 1, line.size(), file);
  });
  std::fclose(file);
}
BENCHMARK(BM_packet_with_frames_nlohmann);

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
