#pragma once

#include "recovery/ack_tracker.hpp"
#include "recovery/sender.hpp"
#include "sim/node.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <cstdint>
#include <deque>
#include <vector>

namespace tern::bulk {

struct sender_options {
  /// Bytes to transfer.
  std::uint64_t bytes = 0;
  /// Datagram size, bytes (header included).
  std::size_t mtu = 1200;
  /// When the transfer starts (virtual time).
  time_point start{};
  sim::address peer{};
  recovery::sender_config transport{};
};

/// The data-sending endpoint of a one-way bulk transfer over the simulator:
/// a byte stream cut into fixed chunks, one chunk per packet. Loss detection
/// comes from the receiver's ACKs (which cross the return path and can be
/// lost too); lost chunks go out again in new packets; every in-flight
/// packet is paced and window-limited by recovery::sender, which also holds
/// the 2^15 unacknowledged-packet limit. It acknowledges the receiver's
/// ack-eliciting packets so the receiver can forget old ACK ranges.
class bulk_sender final : public sim::node {
public:
  bulk_sender(const sender_options& options, random_source& rng);

  void on_datagram(std::span<const std::byte> bytes, sim::address from, time_point now) override;
  std::optional<sim::transmit> poll_transmit(std::span<std::byte> out, time_point now) override;
  time_point next_timeout() const override;
  void on_timeout(time_point now) override;

  /// Every chunk has been acknowledged.
  [[nodiscard]] bool done() const noexcept { return acked_chunks_ == chunks_; }
  [[nodiscard]] time_point done_time() const noexcept { return done_time_; }
  [[nodiscard]] const recovery::sender& transport() const noexcept { return sender_; }

  struct counters {
    std::uint64_t data_packets = 0;
    std::uint64_t retransmitted_packets = 0; ///< data packets carrying a chunk sent before
    std::uint64_t ack_packets = 0;
    std::uint64_t malformed = 0;
    std::uint64_t ack_errors = 0;
  };
  [[nodiscard]] const counters& stats() const noexcept { return counters_; }

private:
  static constexpr std::uint64_t no_chunk = UINT64_MAX;
  [[nodiscard]] std::uint64_t pick_chunk();
  [[nodiscard]] std::size_t chunk_length(std::uint64_t chunk) const noexcept;
  void mark_acked(std::uint64_t chunk, time_point now);
  void requeue(std::span<const recovery::sent_packet> lost);

  sender_options options_;
  recovery::sender sender_;
  recovery::ack_tracker peer_acks_;
  std::uint64_t payload_;
  std::uint64_t chunks_;
  std::uint64_t next_new_chunk_ = 0;
  std::uint64_t acked_chunks_ = 0;
  std::uint64_t first_unacked_ = 0;
  std::vector<std::uint8_t> acked_;
  std::vector<std::uint8_t> sent_before_;
  std::deque<std::uint64_t> retransmit_;
  time_point pacing_wait_ = never;
  time_point done_time_ = never;
  bool app_limited_reported_ = false;
  bool started_ = false;
  counters counters_{};
};

} // namespace tern::bulk
