#pragma once

// DPLPMTUD (RFC 8899): how large the connection's datagrams may be. The
// connection asks probe_due(), sends a padded ack-eliciting packet of that
// size, and reports its fate from its own loss detection (docs/io.md,
// "DPLPMTUD").

#include <tern/time.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace tern::core {

/// Settings of the DPLPMTUD search. Sizes are UDP payload bytes (what the
/// connection may put in one datagram), not IP packet sizes.
struct pmtud_config {
  /// BASE_PLPMTU (RFC 8899 §5.1.2): the size every path is assumed to carry.
  /// tern's handshake datagrams are this size, so completing the handshake
  /// confirms it.
  std::size_t base_size = 1200;
  /// MAX_PLPMTU: the search never goes above it. Values below base_size are
  /// raised to base_size.
  std::size_t max_size = 1452;
  /// MAX_PROBES (RFC 8899 §5.1.2): consecutive losses of one probe size that
  /// mark the size as not carried by the path.
  std::size_t max_probes = 3;
  /// The search stops when the unproven gap above the confirmed size is
  /// narrower than this many bytes.
  std::size_t search_granularity = 8;
  /// PMTU_RAISE_TIMER (RFC 8899 §5.1.1): after a search finishes (or fails),
  /// wait this long and search again from the confirmed size up to max_size,
  /// in case the path now carries more.
  duration raise_interval = std::chrono::seconds(600);
  /// Black-hole detection: this many consecutive losses of packets larger than
  /// base_size, with no packet larger than base_size acknowledged in between
  /// or sent after them, and no base-size packet lost in between (which
  /// would point to congestion), drop the usable size back to base_size.
  std::size_t black_hole_threshold = 4;
  /// True when base_size is already confirmed (the handshake proved it);
  /// false starts by probing base_size itself (RFC 8899 BASE state).
  bool base_confirmed = true;
};

/// RFC 8899 §5.2 states. `error` means even base_size probes were lost; the
/// usable size then stays at base_size (a QUIC-like transport cannot go lower)
/// and base_size is probed again after raise_interval.
enum class pmtud_state { base, searching, search_complete, error };

/// What the search did, for connection statistics.
struct pmtud_stats {
  std::uint64_t probes_sent = 0;
  std::uint64_t probes_acked = 0;
  std::uint64_t probes_lost = 0;  ///< declared lost or refused as too big
  std::uint64_t black_holes = 0;  ///< falls back to base_size after sizes that had worked
};

/// Datagram Packetization Layer PMTU Discovery (RFC 8899) as a sans-IO state
/// machine. It never sends: poll_probe says which probe size to send next;
/// the caller builds a padded, ack-eliciting probe of exactly that size and
/// reports its fate. It never reads a clock: `now` is passed in.
///
/// Invariant: usable_size() is base_size or a size whose probe was
/// acknowledged, and never more than the largest acknowledged probe.
class pmtud {
public:
  explicit pmtud(const pmtud_config& config = {});

  /// Largest UDP payload, in bytes, the connection may send now.
  std::size_t usable_size() const noexcept { return current_; }
  pmtud_state state() const noexcept { return state_; }
  const pmtud_stats& stats() const noexcept { return stats_; }

  /// The size of the probe to send now, in bytes, or 0 when none is due (a
  /// probe is already in flight, the search is complete, or it waits for the
  /// raise timer). Changes nothing: a caller that cannot send now (congestion
  /// window, pacing) asks again later.
  std::size_t probe_due() const noexcept;
  /// A probe of `size` bytes (what probe_due() returned) went out; it counts
  /// as in flight until reported acked, lost or too big.
  void on_probe_sent(std::size_t size) noexcept;
  /// probe_due() and, when a size is due, on_probe_sent() for it.
  std::size_t poll_probe(time_point now) noexcept;
  /// The probe size in flight, or 0.
  std::size_t probe_in_flight() const noexcept { return in_flight_; }

  /// The probe of `size` bytes was acknowledged: the path carries it.
  /// Reports for a size that is not in flight are ignored.
  void on_probe_acked(std::size_t size, time_point now) noexcept;
  /// The probe of `size` bytes was declared lost by loss detection. After
  /// max_probes consecutive losses of one size the search stops looking at
  /// that size and above. Reports for a size not in flight are ignored.
  void on_probe_lost(std::size_t size, time_point now) noexcept;
  /// Sending `size` bytes failed locally with EMSGSIZE, or a validated ICMP
  /// Packet Too Big said so: the size is ruled out at once. If it was the
  /// probe, the search continues below it; if it was at or below the usable
  /// size, the usable size falls back to base_size and is searched again.
  void on_packet_too_big(std::size_t size, time_point now) noexcept;

  /// A non-probe packet of `size` bytes, number `packet_number`, was
  /// acknowledged / declared lost: the input of black-hole detection. A lost
  /// packet sent before a larger-than-base packet that was acknowledged
  /// proves nothing about size (the path carried that later one): that is
  /// congestion, such as a queue dropping a burst.
  void on_packet_acked(std::size_t size, std::uint64_t packet_number) noexcept;
  void on_packet_lost(std::size_t size, std::uint64_t packet_number, time_point now) noexcept;

  /// Nothing sent has been acknowledged across repeated probe timeouts, so
  /// no loss can be declared and on_packet_lost never runs: the usable size
  /// may have become a black hole. Above base_size it falls back to
  /// base_size and the search starts again; the size is suspected, not ruled
  /// out, since an outage looks the same.
  void on_path_silent(time_point now) noexcept;

  /// When on_timeout should next be called (the raise timer), or tern::never.
  time_point next_timeout() const noexcept { return timer_; }
  void on_timeout(time_point now) noexcept;

private:
  std::size_t next_probe_size() const noexcept;
  void fail_size(std::size_t size, time_point now) noexcept;
  void confirm(std::size_t size, time_point now) noexcept;
  void finish_if_narrow(time_point now) noexcept;
  void black_hole(std::size_t bad_size) noexcept;

  pmtud_config config_;
  pmtud_state state_;
  std::size_t current_;      // confirmed usable size
  std::size_t high_;         // largest size not yet ruled out
  std::size_t in_flight_ = 0;
  std::size_t losses_ = 0;   // consecutive losses of the size in flight
  std::size_t big_losses_ = 0;
  std::uint64_t largest_big_acked_ = 0; // packet number + 1 (0: none yet)
  time_point timer_ = never;
  pmtud_stats stats_;
};

} // namespace tern::core
