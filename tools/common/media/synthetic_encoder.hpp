#pragma once

// A synthetic adaptive media encoder: what a real-time video and audio
// encoder hands a transport, without the pixels. Video comes as a GOP of
// one I-frame (key frame) followed by P-frames, each referencing the frame
// before it; an I-frame is `iframe_scale` times a P-frame, and one GOP's
// frames add up to the current bitrate. Audio is a constant-rate packet
// every `audio_interval`, beside the video.
//
// The encoder follows a target rate the way a real one does: the transport's
// target (tern::connection_stats::target_rate, or async_wait_target_rate)
// is for everything the application sends, so audio is taken off it first,
// and the video bitrate becomes what is left, clamped to the encoder's
// range. A new rate applies from the next frame. Used by examples/media and
// by `tern-sim --mode connection --media --adaptive`; it depends on nothing
// but the standard library.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace tern::media {

struct encoder_config {
  std::uint32_t fps = 30;
  /// Frames per GOP: frame 0 of each is an I-frame. 1: every frame is one.
  std::uint32_t gop = 30;
  /// I-frame size / P-frame size.
  double iframe_scale = 4;
  /// The range of the video bitrate, bits per second. The encoder starts at
  /// start_video_bps (or max_video_bps if that is 0).
  std::uint64_t min_video_bps = 100'000;
  std::uint64_t max_video_bps = 6'000'000;
  std::uint64_t start_video_bps = 1'000'000;
  /// Audio: a packet of audio_bps × audio_interval every audio_interval.
  std::uint64_t audio_bps = 64'000;
  std::chrono::microseconds audio_interval{20'000};
  /// Follow the target rate (false: the video bitrate stays at max_video_bps,
  /// the fixed-rate sender adaptive runs are compared with).
  bool adaptive = true;
};

struct video_frame {
  std::uint64_t index = 0;
  bool key = false;     ///< an I-frame: decodable alone
  std::size_t bytes = 0;
  /// The frame it is predicted from (itself for an I-frame).
  std::uint64_t reference = 0;
};

class synthetic_encoder {
public:
  explicit synthetic_encoder(const encoder_config& config) noexcept;

  /// The transport's target for all media, bits per second (tern reports
  /// bytes per second: multiply by 8). 0 is ignored (no figure yet).
  void set_target_rate(std::uint64_t bits_per_second) noexcept;

  /// The next video frame at the current bitrate.
  video_frame next_video_frame() noexcept;
  /// Bytes of one audio packet.
  [[nodiscard]] std::size_t audio_packet_bytes() const noexcept;

  [[nodiscard]] std::uint64_t video_bitrate() const noexcept { return video_bps_; }
  [[nodiscard]] std::chrono::nanoseconds frame_interval() const noexcept {
    return std::chrono::nanoseconds(1'000'000'000LL / config_.fps);
  }
  [[nodiscard]] const encoder_config& config() const noexcept { return config_; }

private:
  encoder_config config_;
  std::uint64_t video_bps_;
  std::uint64_t next_index_ = 0;
};

} // namespace tern::media
