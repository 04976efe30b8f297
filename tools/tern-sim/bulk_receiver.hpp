#pragma once

#include "recovery/ack_tracker.hpp"
#include "recovery/sender.hpp"
#include "sim/node.hpp"

#include <tern/random.hpp>
#include <tern/time.hpp>

#include <cstdint>
#include <vector>

namespace tern::bulk {

struct receiver_options {
  std::uint64_t bytes = 0;
  std::size_t mtu = 1200;
  sim::address peer{};
  recovery::ack_tracker_config acks{};
  /// Every n-th ACK packet is ack-eliciting, so the sender acknowledges it
  /// and this side learns which of its ACK ranges arrived (RFC 9000 §13.2.4).
  std::uint64_t ping_every = 8;
};

/// The receiving endpoint: records packet numbers with recovery::ack_tracker
/// and sends ACKs as it says (every second packet, after max_ack_delay, at
/// once on gaps), counts unique payload bytes, and notes when the last byte
/// arrived. Its own ack-eliciting packets go through a recovery::sender so
/// that they are tracked and probed like any other.
class bulk_receiver final : public sim::node {
public:
  bulk_receiver(const receiver_options& options, random_source& rng);

  void on_datagram(std::span<const std::byte> bytes, sim::address from, time_point now) override;
  std::optional<sim::transmit> poll_transmit(std::span<std::byte> out, time_point now) override;
  time_point next_timeout() const override;
  void on_timeout(time_point now) override;

  [[nodiscard]] bool done() const noexcept { return received_chunks_ == chunks_; }
  /// When the last missing byte arrived (never until then).
  [[nodiscard]] time_point done_time() const noexcept { return done_time_; }
  /// Unique payload bytes received so far.
  [[nodiscard]] std::uint64_t bytes_received() const noexcept { return bytes_received_; }
  [[nodiscard]] std::uint64_t duplicate_packets() const noexcept { return duplicates_; }
  [[nodiscard]] std::uint64_t ack_packets() const noexcept { return ack_packets_; }
  [[nodiscard]] const recovery::ack_tracker& tracker() const noexcept { return tracker_; }

private:
  receiver_options options_;
  recovery::ack_tracker tracker_;
  recovery::sender own_;
  std::uint64_t payload_;
  std::uint64_t chunks_;
  std::vector<std::uint8_t> received_;
  std::uint64_t received_chunks_ = 0;
  std::uint64_t bytes_received_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t ack_packets_ = 0;
  std::uint64_t largest_peer_ = 0;
  bool any_peer_ = false;
  time_point done_time_ = never;
};

} // namespace tern::bulk
