#include "frame_stream.hpp"

#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace tern::bench {

namespace {

constexpr std::uint32_t magic = 0x7465726e; // "tern"

template <class T>
void put(std::byte*& out, T v) noexcept {
  std::memcpy(out, &v, sizeof v);
  out += sizeof v;
}

template <class T>
T get(const std::byte*& in) noexcept {
  T v;
  std::memcpy(&v, in, sizeof v);
  in += sizeof v;
  return v;
}

} // namespace

std::size_t stream_shape::frame_bytes() const noexcept {
  const double bytes = bits_per_second / 8 / fps;
  return std::max<std::size_t>(frame_header_bytes, static_cast<std::size_t>(bytes));
}

std::uint32_t stream_shape::frames() const noexcept { return static_cast<std::uint32_t>(std::lround(seconds * fps)); }

std::chrono::nanoseconds stream_shape::interval() const noexcept {
  return std::chrono::nanoseconds{1'000'000'000LL / fps};
}

void write_header(std::byte* out, const frame_header& h) noexcept {
  put(out, magic);
  put(out, h.seq);
  put(out, h.size);
  put(out, h.chunk);
  put(out, h.chunks);
  put(out, h.capture_ns);
}

std::optional<frame_header> read_header(const std::byte* in, std::size_t size) noexcept {
  if (size < frame_header_bytes || get<std::uint32_t>(in) != magic) return std::nullopt;
  frame_header h;
  h.seq = get<std::uint32_t>(in);
  h.size = get<std::uint32_t>(in);
  h.chunk = get<std::uint16_t>(in);
  h.chunks = get<std::uint16_t>(in);
  h.capture_ns = get<std::int64_t>(in);
  if (h.size < frame_header_bytes || h.chunks == 0 || h.chunk >= h.chunks) return std::nullopt;
  return h;
}

std::int64_t monotonic_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void sleep_until_ns(std::int64_t ns) noexcept {
  const timespec ts{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) != 0) {
  }
}

void latency_report::delivered(std::int64_t capture_ns, std::int64_t now_ns) {
  ms_.push_back(static_cast<double>(now_ns - capture_ns) / 1e6);
}

void latency_report::delivered(std::uint32_t seq, std::int64_t capture_ns, std::int64_t now_ns) {
  delivered(capture_ns, now_ns);
  frames_.push_back({seq, capture_ns, ms_.back()});
}

bool latency_report::write_frames(const std::string& path) const {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  for (const auto& r : frames_)
    std::fprintf(f, "%u %lld %.3f\n", r.seq, static_cast<long long>(r.capture_ns), r.ms);
  return std::fclose(f) == 0;
}

std::string latency_report::json(const nlohmann::ordered_json& extra) const {
  std::vector<double> sorted = ms_;
  std::sort(sorted.begin(), sorted.end());
  auto pct = [&](double q) {
    if (sorted.empty()) return 0.0;
    return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(q * static_cast<double>(sorted.size())))];
  };
  const double drop = expected_ == 0 ? 0.0
                                     : 1.0 - static_cast<double>(std::min<std::size_t>(sorted.size(), expected_)) /
                                                 static_cast<double>(expected_);
  // The decimals the figures have always had: run.sh prints them in its table.
  auto tenths = [](double ms) { return std::round(ms * 10) / 10; };
  nlohmann::ordered_json out = {
      {"frames", expected_},
      {"delivered", sorted.size()},
      {"drop_rate", std::round(drop * 1e4) / 1e4},
      {"p50_ms", tenths(pct(0.5))},
      {"p90_ms", tenths(pct(0.9))},
      {"p99_ms", tenths(pct(0.99))},
      {"max_ms", tenths(sorted.empty() ? 0.0 : sorted.back())},
  };
  // Where the tail is: the slowest frames with their place in delivery
  // order (the frame order on an ordered flow), so a tail of the first
  // frames tells apart from one in the middle of the stream.
  std::vector<std::size_t> order(ms_.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const std::size_t shown = std::min<std::size_t>(order.size(), 8);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown), order.end(),
                    [&](std::size_t a, std::size_t b) { return ms_[a] > ms_[b]; });
  nlohmann::ordered_json slowest = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < shown; ++i) slowest.push_back({order[i], tenths(ms_[order[i]])});
  out["slowest"] = slowest;
  for (const auto& [key, value] : extra.items()) out[key] = value;
  return out.dump();
}

} // namespace tern::bench
