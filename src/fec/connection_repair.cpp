#include "fec/connection_repair.hpp"

#include <algorithm>

namespace tern::fec {

std::size_t connection_repair::reserve(const protection& asks) const noexcept {
  const bool adaptive_repairs = asks.adaptive && (path_.measured_loss_rate() > 0 || path_.prior_holds());
  return asks.fixed_ratio > 0 || adaptive_repairs ? source_reserve : 0;
}

void connection_repair::on_packet_built(const sent_source& p, duration srtt) {
  if (p.any_message) ++message_packets_since_repair_;
  if (p.carries_message && reserve(p.asks) > 0) {
    if (!encoder_) encoder_ = std::make_unique<block_encoder>();
    if (!encoder_->fits(p.number)) close_block(srtt, p.sent_at);
    if (encoder_->open_sources() == 0) block_started_ = p.sent_at;
    if (encoder_->add_source(p.number, p.payload)) {
      block_slack_ = std::min(block_slack_, p.message_slack);
      block_bytes_ += p.payload.size();
      block_asks_ |= p.asks;
    }
  }
  if (encoder_ && encoder_->open_sources() > 0 &&
      (closes_at_tail(p, srtt) || encoder_->open_sources() == wire::repair_bounds::max_sources))
    close_block(srtt, p.sent_at);
}

bool connection_repair::closes_at_tail(const sent_source& p, duration srtt) const noexcept {
  if (!p.message_tail) return false;
  if (!layout_for(path_.measured_loss_rate(), path_.measured_mean_burst()).span_messages) return true;
  const auto max_age = std::chrono::duration_cast<duration>(srtt * max_block_age_rtts);
  return encoder_->open_sources() >= spanning_sources || p.sent_at - block_started_ >= max_age;
}

void connection_repair::close_block(duration srtt, time_point now) {
  block_outlook b;
  b.sources = encoder_->open_sources();
  const bool deadline_close =
      block_slack_ < std::chrono::duration_cast<duration>(srtt * path_loss::prior_slack_rtts);
  b.loss_rate = path_.loss_rate(deadline_close);
  b.mean_burst = path_.mean_burst(deadline_close);
  // A retransmission arrives about one and a half round trips after the
  // original was sent (loss detected by the ACK of later packets, then one
  // way again).
  b.retransmission_can_help = block_slack_ >= srtt + srtt / 2;
  // Each ask on its own, the block gets the larger: a fixed flow's ratio
  // holds whatever the path does, an adaptive flow's follows the path.
  repair_policy_config adaptive = config_;
  adaptive.mode = repair_mode::adaptive;
  const repair_policy_config fixed{repair_mode::fixed, block_asks_.fixed_ratio, config_.max_ratio};
  const std::size_t repairs = std::max(block_asks_.adaptive ? repairs_for(b, adaptive) : 0,
                                       block_asks_.fixed_ratio > 0 ? repairs_for(b, fixed) : 0);
  if (repairs > 0) {
    if (protected_.size() == max_protected_blocks) protected_.erase(protected_.begin());
    protected_.push_back(protected_block{encoder_->open_first(), encoder_->open_mask(), repairs, 0});
  }
  const bool repair_was_queued = has_repair();
  encoder_->close_block(repairs);
  if (repairs > 0 && layout_for(b.loss_rate, b.mean_burst).interleave_repairs) {
    // Repair already waiting keeps its deadline: a new block's never holds
    // an older one's back.
    if (!repair_was_queued || !interleaving_) {
      interleave_until_ = now + std::chrono::duration_cast<duration>(srtt * max_block_age_rtts);
      interleave_released_ = false;
      message_packets_since_repair_ = 0;
    }
    interleaving_ = true;
  }
  if (repairs > 0) {
    ++stats_.blocks_closed;
    stats_.source_packets += b.sources;
    stats_.source_bytes += block_bytes_;
  }
  block_slack_ = duration::max();
  block_bytes_ = 0;
  block_asks_ = {};
}

connection_repair::protected_block* connection_repair::protected_block_at(std::uint64_t first) noexcept {
  for (auto& b : protected_)
    if (b.first == first) return &b;
  return nullptr;
}

bool connection_repair::write_repair(wire::writer& w, std::size_t packet_room, std::uint64_t number) {
  if (!encoder_) return false;
  while (const wire::repair_frame* f = encoder_->next_repair()) {
    const std::size_t size = wire::encoded_size(*f);
    protected_block* b = protected_block_at(f->first_packet);
    if (size > packet_room) {
      encoder_->pop_repair(); // the path's packets shrank: this one never fits
      if (b != nullptr && b->repairs_unsent > 0) --b->repairs_unsent;
      continue;
    }
    if (size > w.remaining() || wire::encode(w, *f)) return false;
    ++stats_.repair_packets_sent;
    stats_.repair_bytes_sent += size;
    encoder_->pop_repair();
    if (b != nullptr) {
      if (b->repairs_unsent > 0) --b->repairs_unsent;
      b->last_repair_packet = number;
    }
    message_packets_since_repair_ = 0;
    if (!has_repair()) {
      interleaving_ = false;
      interleave_released_ = false;
      interleave_until_ = never;
    }
    return true;
  }
  return false;
}

std::optional<std::uint64_t> connection_repair::repair_horizon(std::uint64_t number) const noexcept {
  for (const auto& b : protected_) {
    if (number < b.first || number - b.first >= wire::repair_bounds::max_span) continue;
    if (((b.mask >> (number - b.first)) & 1) == 0) continue;
    return b.repairs_unsent > 0 ? no_horizon : b.last_repair_packet;
  }
  return std::nullopt;
}

void connection_repair::on_report(const wire::repair_report_frame& f) noexcept { path_.on_report(f); }

connection_repair::repaired_losses connection_repair::take_repaired_losses() noexcept {
  const std::uint64_t total = path_.estimate().packets_recovered();
  if (total <= peer_recovered_taken_) return {};
  // A peer cannot have rebuilt more than this side protected: a report
  // that says so is believed only that far.
  const std::uint64_t believable = std::min(total, stats_.source_packets);
  if (believable <= peer_recovered_taken_) return {};
  const std::uint64_t packets = believable - peer_recovered_taken_;
  peer_recovered_taken_ = believable;
  // Header, AEAD tag and UDP/IP are about 60 bytes on top of the payload.
  constexpr std::uint64_t packet_overhead = 60;
  const std::uint64_t mean_payload =
      stats_.source_packets > 0 ? stats_.source_bytes / stats_.source_packets : 1200 - packet_overhead;
  return {packets, packets * (mean_payload + packet_overhead)};
}

void connection_repair::on_source_received(std::uint64_t number, std::span<const std::byte> payload,
                                           time_point now) {
  message_data_received_ = true;
  if (config_.mode == repair_mode::off) return;
  if (!decoder_) decoder_ = std::make_unique<block_decoder>();
  decoder_->on_source_received(number, payload, now);
}

void connection_repair::on_repair(const wire::repair_frame& f, time_point now) {
  if (config_.mode == repair_mode::off || processing_rebuilt_) return;
  if (!decoder_) decoder_ = std::make_unique<block_decoder>();
  decoder_->on_repair(f, now);
}

std::optional<wire::repair_report_frame> connection_repair::report_due(time_point now,
                                                                        duration interval) const noexcept {
  if (config_.mode == repair_mode::off || !message_data_received_) return std::nullopt;
  const auto counts = meter_.counts(stats_.packets_recovered);
  if (counts == last_report_ || now - last_report_at_ < interval) return std::nullopt;
  return counts;
}

void connection_repair::on_report_sent(const wire::repair_report_frame& f, time_point now) noexcept {
  last_report_ = f;
  last_report_at_ = now;
}

repair_stats connection_repair::stats() const noexcept {
  repair_stats s = stats_;
  if (decoder_) {
    s.repairs_received = decoder_->stats().repairs_received;
    s.repairs_ignored = decoder_->stats().repairs_ignored;
  }
  s.peer_packets_recovered = path_.estimate().packets_recovered();
  s.path_loss_rate = path_.measured_loss_rate();
  s.path_mean_burst = path_.measured_mean_burst();
  return s;
}

} // namespace tern::fec
