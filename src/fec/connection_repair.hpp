#pragma once

// Forward error correction for one connection (docs/fec.md): the thin
// coordinator the connection's send and receive paths call. Sending: the
// packets that carry deadline-message data become the sources of a block,
// which closes behind a message's last fragment (or when full) with as many
// repair symbols as repair_policy decides, queued to go before new data.
// Receiving: such packets are held briefly, REPAIR frames rebuild the ones
// that never came, and the loss meter's counts go back in REPAIR_REPORTs
// so the sender can adapt.

#include "fec/block_decoder.hpp"
#include "fec/block_encoder.hpp"
#include "fec/loss_meter.hpp"
#include "fec/path_loss.hpp"
#include "fec/repair_policy.hpp"
#include "wire/repair_frames.hpp"
#include "wire/writer.hpp"

#include <tern/time.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>
#include <optional>
#include <span>

namespace tern::fec {

/// Counters for connection_stats.
struct repair_stats {
  std::uint64_t repair_packets_sent = 0;
  std::uint64_t repair_bytes_sent = 0; ///< REPAIR frame bytes
  std::uint64_t source_packets = 0;    ///< packets protected by a block that got repair
  std::uint64_t source_bytes = 0;      ///< their payload bytes
  std::uint64_t blocks_closed = 0;
  std::uint64_t repairs_received = 0;
  std::uint64_t repairs_ignored = 0;
  /// Packets rebuilt from repair and processed (they were not received).
  std::uint64_t packets_recovered = 0;
  /// The peer's count of packets it rebuilt (its last REPAIR_REPORT).
  std::uint64_t peer_packets_recovered = 0;
  /// The loss rate measured so far (0 until a loss shows; the prior
  /// protecting the first packets is not a measurement).
  double path_loss_rate = 0;
  double path_mean_burst = 1;
};

/// What the messages of a packet ask of repair: the strongest of their
/// flows' choices (docs/fec.md, "Per flow"). Nothing asked: the packet is
/// not a source.
struct protection {
  bool adaptive = false;
  double fixed_ratio = 0; ///< > 0: at least this many repairs per source
  bool any() const noexcept { return adaptive || fixed_ratio > 0; }
  /// What one mode asks (off: nothing).
  static protection of(const repair_policy_config& c) noexcept {
    if (c.mode == repair_mode::adaptive) return {true, 0};
    if (c.mode == repair_mode::fixed) return {false, c.fixed_ratio};
    return {};
  }
  /// Both asks at once: a block protecting both gets the more repair.
  protection& operator|=(const protection& o) noexcept {
    adaptive = adaptive || o.adaptive;
    fixed_ratio = fixed_ratio > o.fixed_ratio ? fixed_ratio : o.fixed_ratio;
    return *this;
  }
};

/// A packet just built, as far as repair is concerned.
struct sent_source {
  std::uint64_t number = 0;
  /// Its plaintext payload (frames), before sealing.
  std::span<const std::byte> payload;
  /// It carries message data of a flow that asks for repair.
  bool carries_message = false;
  protection asks;
  /// Some fragment ends a message: the block closes behind it.
  bool message_tail = false;
  /// The shortest time to deadline of its message fragments.
  duration message_slack = duration::max();
  /// It carries message data at all (protected or not): interleaved repair
  /// goes behind such packets.
  bool any_message = false;
  time_point sent_at{};
};

class connection_repair {
public:
  explicit connection_repair(const repair_policy_config& config) : config_(config) {}

  // --- sending ---

  /// Bytes a packet that may carry message data asking `asks` leaves
  /// unused so a repair symbol over it fits in a packet: source_reserve
  /// while such a packet would get repair (fixed, or adaptive with loss
  /// measured), else 0.
  std::size_t reserve(const protection& asks) const noexcept;
  /// Every 1-RTT packet built (not probes padded past the reserve): message
  /// packets join the open block. `srtt` judges the deadline slack.
  void on_packet_built(const sent_source& p, duration srtt);
  /// The sender's own loss detector's counts (fec::path_loss: they end the
  /// prior and stand in for the peer's reports at first).
  void on_local_losses(std::uint64_t packets_sent, std::uint64_t packets_acked, std::uint64_t packets_lost) noexcept {
    path_.on_local(packets_sent, packets_acked, packets_lost);
  }
  bool has_repair() const noexcept { return encoder_ && encoder_->next_repair() != nullptr; }
  /// A queued repair should go in the next packet: always, unless the
  /// queued repair is interleaved (docs/fec.md, "Bursty loss") and no
  /// packet with message data went since the last repair and its wait is
  /// not over.
  bool repair_due() const noexcept {
    return has_repair() && (!interleaving_ || interleave_released_ || message_packets_since_repair_ > 0);
  }
  /// When interleaved repair stops waiting for message packets to go
  /// between (never: none waits); on_timeout at or after it releases it.
  time_point repair_wait_deadline() const noexcept {
    return has_repair() && interleaving_ && !interleave_released_ ? interleave_until_ : never;
  }
  void on_timeout(time_point now) noexcept {
    if (now >= repair_wait_deadline()) interleave_released_ = true;
  }
  /// Writes the next queued REPAIR frame if it fits in `w` (dropping it
  /// when it cannot fit even in an empty packet of `packet_room` bytes)
  /// into packet `number`; whether one was written.
  bool write_repair(wire::writer& w, std::size_t packet_room, std::uint64_t number);
  void on_report(const wire::repair_report_frame& f) noexcept;
  /// Packets the peer reported rebuilt since the last call, and their bytes
  /// (at the mean size of this side's source packets plus packet
  /// overhead): losses of the path that repair hid, for congestion control
  /// (docs/fec.md, "Congestion control").
  struct repaired_losses {
    std::uint64_t packets = 0;
    std::uint64_t bytes = 0;
  };
  repaired_losses take_repaired_losses() noexcept;
  /// For a lost packet: whether it is a source of a block that got repair,
  /// so its retransmission waits until the receiver had all of that
  /// repair; and then the packet number whose acknowledgement shows it did
  /// (the block's last REPAIR packet; no_horizon while some are unsent).
  std::optional<std::uint64_t> repair_horizon(std::uint64_t number) const noexcept;
  static constexpr std::uint64_t no_horizon = UINT64_MAX;

  // --- receiving ---

  /// An authenticated packet arrived (any type; not a rebuilt one).
  void on_packet_received(std::uint64_t number) noexcept { meter_.on_packet(number); }
  /// A received 1-RTT packet carried message data: keep it for repair.
  void on_source_received(std::uint64_t number, std::span<const std::byte> payload, time_point now);
  void on_repair(const wire::repair_frame& f, time_point now);
  /// While a rebuilt packet's frames are processed, its REPAIR frames are
  /// ignored: a source never carries one (repair goes in packets of its
  /// own), so one there is a peer nesting blocks to make one packet on the
  /// wire cost a chain of decodes (docs/security.md).
  void set_processing_rebuilt(bool rebuilt) noexcept { processing_rebuilt_ = rebuilt; }
  std::optional<recovered_packet> pop_recovered() {
    return decoder_ ? decoder_->pop_recovered() : std::nullopt;
  }
  /// A rebuilt packet was processed.
  void on_recovered_processed() noexcept { ++stats_.packets_recovered; }
  /// A REPAIR_REPORT, when one is due: the counts changed since the last
  /// one sent, message data arrived, and at least `interval` passed.
  std::optional<wire::repair_report_frame> report_due(time_point now, duration interval) const noexcept;
  void on_report_sent(const wire::repair_report_frame& f, time_point now) noexcept;

  repair_stats stats() const noexcept;
  const repair_policy_config& config() const noexcept { return config_; }

private:
  /// A block that got repair, until its repair has been sent.
  struct protected_block {
    std::uint64_t first = 0;
    std::uint64_t mask = 0;
    std::size_t repairs_unsent = 0;
    std::uint64_t last_repair_packet = 0;
  };
  /// Blocks remembered for repair_horizon: older ones' losses are not deferred.
  static constexpr std::size_t max_protected_blocks = 16;
  void close_block(duration srtt, time_point now);
  /// Whether the block closes behind a packet with a message's last
  /// fragment: always, unless blocks span messages (block_layout) and it is
  /// still small and young.
  bool closes_at_tail(const sent_source& p, duration srtt) const noexcept;
  protected_block* protected_block_at(std::uint64_t first) noexcept;
  std::vector<protected_block> protected_;

  repair_policy_config config_;
  /// Made on first use: a connection that never sends or receives message
  /// data with repair holds neither (they are a few kilobytes).
  std::unique_ptr<block_encoder> encoder_;
  std::unique_ptr<block_decoder> decoder_;
  loss_meter meter_;
  path_loss path_;
  /// The open block's shortest deadline slack, payload bytes and what its
  /// sources asked for.
  duration block_slack_ = duration::max();
  protection block_asks_;
  time_point block_started_{};
  /// Queued repair is interleaved: one behind each packet with message
  /// data, until interleave_until_ (then all of it goes).
  bool interleaving_ = false;
  bool interleave_released_ = false;
  time_point interleave_until_ = never;
  std::uint64_t message_packets_since_repair_ = 0;
  std::uint64_t block_bytes_ = 0;
  bool message_data_received_ = false;
  bool processing_rebuilt_ = false;
  std::uint64_t peer_recovered_taken_ = 0;
  wire::repair_report_frame last_report_;
  time_point last_report_at_{};
  mutable repair_stats stats_;
};

} // namespace tern::fec
