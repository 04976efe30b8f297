#pragma once

// The paced frame stream of the TCP/SRT/tern comparison: constant-size
// frames at a fixed rate, each stamped with its capture time (the moment
// it was due, not the moment a blocked writer got to it), so that the
// receiver's "now - capture" is the whole end-to-end latency a viewer
// would see. Sender and receiver run on one machine (in two network
// namespaces), so they share CLOCK_MONOTONIC.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tern::bench {

/// What the sender sends: `fps` frames per second at `bits_per_second`
/// for `seconds`.
struct stream_shape {
  double bits_per_second = 4e6;
  int fps = 30;
  double seconds = 20;

  std::size_t frame_bytes() const noexcept;
  std::uint32_t frames() const noexcept;
  std::chrono::nanoseconds interval() const noexcept;
};

/// The header at the start of each frame, or of each chunk of a frame when
/// a datagram transport carries it in pieces.
struct frame_header {
  std::uint32_t seq = 0;
  std::uint32_t size = 0;   ///< bytes of the whole frame, header included
  std::uint16_t chunk = 0;  ///< index of this piece
  std::uint16_t chunks = 1; ///< pieces of the frame
  std::int64_t capture_ns = 0;
};

inline constexpr std::size_t frame_header_bytes = 24;

/// Writes `h` into the first frame_header_bytes of `out`.
void write_header(std::byte* out, const frame_header& h) noexcept;
/// Reads a header; nothing when the magic does not match or `size` is too
/// short (a stray packet, not one of ours).
std::optional<frame_header> read_header(const std::byte* in, std::size_t size) noexcept;

/// CLOCK_MONOTONIC in nanoseconds (steady_clock on Linux).
std::int64_t monotonic_ns() noexcept;

/// Sleeps until `ns` (CLOCK_MONOTONIC, absolute).
void sleep_until_ns(std::int64_t ns) noexcept;

/// The receiver's tally: one latency per delivered frame.
class latency_report {
public:
  explicit latency_report(std::uint32_t expected) : expected_(expected) {}
  void delivered(std::int64_t capture_ns, std::int64_t now_ns);
  /// The same, remembering the frame for write_frames().
  void delivered(std::uint32_t seq, std::int64_t capture_ns, std::int64_t now_ns);
  std::size_t count() const noexcept { return ms_.size(); }
  /// One line per frame delivered with its seq: "seq capture_ns latency_ms",
  /// so a driver can split the run by time (a rate schedule's steps).
  /// False when the file cannot be written.
  bool write_frames(const std::string& path) const;

  /// {"frames":N,"delivered":D,"drop_rate":R,"p50_ms":..,"p90_ms":..,
  /// "p99_ms":..,"max_ms":..,"slowest":[[delivery index, ms], ...]} (the
  /// eight slowest frames) followed by the members of `extra` (an object),
  /// on one line. Frames never delivered count as dropped.
  std::string json(const nlohmann::ordered_json& extra = nlohmann::ordered_json::object()) const;

private:
  struct frame_record {
    std::uint32_t seq;
    std::int64_t capture_ns;
    double ms;
  };
  std::uint32_t expected_;
  std::vector<double> ms_;
  std::vector<frame_record> frames_;
};

} // namespace tern::bench
