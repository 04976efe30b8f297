#include "progress.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tern_cp {
namespace {

// Sizes in the unit that keeps both figures readable: B, kB, MB, GB (1000s).
const char* unit_for(std::uint64_t bytes, double& divisor) {
  static const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  divisor = 1;
  std::size_t i = 0;
  while (i + 1 < std::size(units) && double(bytes) >= divisor * 1000) {
    divisor *= 1000;
    ++i;
  }
  return units[i];
}

std::string format_eta(const progress_sample& s) {
  if (s.bytes_per_second <= 0 || s.done > s.total) return "--:--";
  const double secs = double(s.total - s.done) / s.bytes_per_second;
  if (!std::isfinite(secs) || secs > 99 * 3600) return "--:--";
  const auto t = static_cast<long>(std::lround(secs));
  char buf[32];
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
  return buf;
}

} // namespace

std::string format_progress(const progress_sample& s, std::size_t width) {
  double div = 1;
  const char* unit = unit_for(s.total, div);
  const double fraction = s.total == 0 ? 1.0 : std::min(1.0, double(s.done) / double(s.total));
  double rate_div = 1;
  const char* rate_unit = unit_for(static_cast<std::uint64_t>(std::max(0.0, s.bytes_per_second)), rate_div);
  char head[64], tail[128];
  std::snprintf(head, sizeof head, "%6.1f / %.1f %s %3d%%", double(s.done) / div, double(s.total) / div, unit,
                static_cast<int>(fraction * 100));
  std::snprintf(tail, sizeof tail, "%6.1f %s/s  ETA %s  RTT %.0f ms  loss %.1f%%",
                s.bytes_per_second / rate_div, rate_unit, format_eta(s).c_str(), s.rtt_ms, s.loss_percent);
  std::string line = head;
  const std::size_t fixed = line.size() + 2 + std::char_traits<char>::length(tail);
  // " [" + bar + "] " around at least 10 cells, else no bar at all.
  if (width >= fixed + 4 + 10) {
    const std::size_t cells = std::min<std::size_t>(30, width - fixed - 4);
    const auto filled = static_cast<std::size_t>(fraction * double(cells));
    line += " [" + std::string(filled, '#') + std::string(cells - filled, '.') + "]";
  }
  line += "  ";
  line += tail;
  if (line.size() > width) line.resize(width);
  return line;
}

double rate_meter::update(std::uint64_t bytes, double seconds) {
  if (!primed_) {
    primed_ = true;
    last_bytes_ = bytes;
    last_seconds_ = seconds;
    return rate_ = seconds > 0 ? double(bytes) / seconds : 0;
  }
  const double dt = seconds - last_seconds_;
  if (dt <= 0) return rate_;
  const double instant = double(bytes - std::min(bytes, last_bytes_)) / dt;
  rate_ = rate_ == 0 ? instant : 0.7 * rate_ + 0.3 * instant;
  last_bytes_ = bytes;
  last_seconds_ = seconds;
  return rate_;
}

} // namespace tern_cp
