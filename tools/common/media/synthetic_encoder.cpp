// The synthetic encoder's rate control (synthetic_encoder.hpp).

#include "synthetic_encoder.hpp"

#include <algorithm>
#include <cmath>

namespace tern::media {

synthetic_encoder::synthetic_encoder(const encoder_config& config) noexcept
    : config_{config},
      video_bps_{config.adaptive && config.start_video_bps != 0
                     ? std::clamp(config.start_video_bps, config.min_video_bps, config.max_video_bps)
                     : config.max_video_bps} {
  if (config_.fps == 0) config_.fps = 30;
  if (config_.gop == 0) config_.gop = 1;
  if (config_.iframe_scale < 1) config_.iframe_scale = 1;
}

void synthetic_encoder::set_target_rate(std::uint64_t bits_per_second) noexcept {
  if (!config_.adaptive || bits_per_second == 0) return;
  const std::uint64_t video = bits_per_second > config_.audio_bps ? bits_per_second - config_.audio_bps : 0;
  video_bps_ = std::clamp(video, config_.min_video_bps, config_.max_video_bps);
}

video_frame synthetic_encoder::next_video_frame() noexcept {
  video_frame f;
  f.index = next_index_++;
  const std::uint64_t in_gop = f.index % config_.gop;
  f.key = in_gop == 0;
  f.reference = f.key ? f.index : f.index - 1;
  // One GOP's bytes at the current bitrate, split so an I-frame is
  // iframe_scale P-frames.
  const double mean = static_cast<double>(video_bps_) / 8.0 / config_.fps;
  const double gop = config_.gop;
  const double p = config_.gop > 1 ? mean * gop / (gop - 1 + config_.iframe_scale) : mean;
  f.bytes = static_cast<std::size_t>(std::llround(f.key && config_.gop > 1 ? p * config_.iframe_scale : p));
  f.bytes = std::max<std::size_t>(f.bytes, 1);
  return f;
}

std::size_t synthetic_encoder::audio_packet_bytes() const noexcept {
  const double seconds = std::chrono::duration<double>(config_.audio_interval).count();
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(static_cast<double>(config_.audio_bps) * seconds / 8)));
}

} // namespace tern::media
