// Forward error correction hooks (docs/fec.md): the few places the send and
// receive paths hand packets to fec::connection_repair.
//
// Sending: a 1-RTT packet planned while deadline messages are queued leaves
// fec::source_reserve bytes unused (only while this side sends repair at
// all), so a REPAIR frame over its payload fits in a packet of the same
// size; its plaintext joins the open block once built. Queued REPAIR frames
// go first, one per packet, ack-eliciting and counted in flight like any
// packet, never recorded for retransmission. A REPAIR_REPORT rides behind
// ACKs when the loss counts changed.
//
// Receiving: a packet rebuilt from repair goes through process_frames like
// a received one (a frame that breaks a rule closes the connection, as it
// would have in the original) and is then acknowledged, so the sender does
// not retransmit it.

#include "core/connection.hpp"
#include "core/message_one_way_delay.hpp"

#include "wire/frames.hpp"

#include <algorithm>

namespace tern::core {

std::size_t connection::fec_source_reserve(time_point now) {
  if (repair_.repair_due()) return 0; // the next packet is a repair packet
  const std::uint32_t pending = messages_out_.pending_flows(now, message_one_way_delay(sender_));
  if (pending == 0) return 0;
  repair_.on_local_losses(sender_.stats().packets_sent, sender_.stats().packets_acked, sender_.stats().packets_lost);
  return repair_.reserve(fec_protection_of(pending));
}

fec::protection connection::fec_protection_of(std::uint32_t flows) const noexcept {
  fec::protection asks;
  const fec::repair_policy_config& connection_default = repair_.config();
  for (std::uint8_t flow = 0; flows != 0; ++flow, flows >>= 1) {
    if ((flows & 1) == 0) continue;
    const message_flow_options& o = messages_out_.options(flow);
    if (!o.fec) {
      asks |= fec::protection::of(connection_default);
      continue;
    }
    const fec::repair_mode mode = *o.fec == fec_mode::off        ? fec::repair_mode::off
                                  : *o.fec == fec_mode::adaptive ? fec::repair_mode::adaptive
                                                                 : fec::repair_mode::fixed;
    asks |= fec::protection::of({mode, o.fec_fixed_ratio, connection_default.max_ratio});
  }
  return asks;
}

void connection::on_fec_packet_built(std::uint64_t number, std::span<const std::byte> payload,
                                     const packet_request& request, const frame_tally& frames, time_point now) {
  fec::sent_source s;
  s.number = number;
  s.payload = payload;
  s.asks = fec_protection_of(frames.message_flows);
  s.carries_message = request.fec_source && frames.message_data && s.asks.any();
  s.message_tail = frames.message_tail && s.asks.any();
  s.message_slack = frames.message_slack;
  s.any_message = frames.message_data;
  s.sent_at = now;
  repair_.on_local_losses(sender_.stats().packets_sent, sender_.stats().packets_acked, sender_.stats().packets_lost);
  const bool had_repair = repair_.has_repair();
  repair_.on_packet_built(s, sender_.rtt().smoothed_rtt());
  if (!s.carries_message) return;
  fec_open_block_priority_ = std::min(fec_open_block_priority_, frames.message_priority);
  // The block closed behind a message's last fragment (a block closed
  // because it was full keeps its class in the next one: more urgent,
  // never less).
  if (s.message_tail || (!had_repair && repair_.has_repair())) {
    fec_queued_repair_priority_ = std::min(fec_queued_repair_priority_, fec_open_block_priority_);
    fec_open_block_priority_ = UINT8_MAX;
  }
}

bool connection::repair_goes_first(time_point now) {
  if (!repair_.has_repair()) {
    fec_queued_repair_priority_ = UINT8_MAX;
    return false;
  }
  if (!repair_.repair_due()) return false;
  const auto waiting = messages_out_.most_urgent_pending(now, message_one_way_delay(sender_));
  return !waiting || *waiting >= fec_queued_repair_priority_;
}

connection::packet_body connection::write_repair_packet_body(std::span<std::byte> body, time_point now) {
  packet_body out;
  wire::writer w(body);
  if (!repair_.write_repair(w, body.size(), sender_.next_packet_number())) return out;
  out.length = w.position();
  out.frames.ack_eliciting = true;
  if (acks_.has_unacknowledged()) {
    const auto ack = write_ack(body.subspan(out.length), now);
    out.length += ack.length;
    out.carried_ack = ack.largest;
    if (ack.length > 0) out.length += write_repair_report(body.subspan(out.length), now);
  }
  consecutive_non_eliciting_ = 0;
  return out;
}

std::size_t connection::write_repair_report(std::span<std::byte> room, time_point now) {
  // About four reports a round trip while the counts move: the sender's
  // estimate follows within a round trip, for a few bytes each.
  const duration interval = std::max<duration>(sender_.rtt().smoothed_rtt() / 4, std::chrono::milliseconds(10));
  const auto report = repair_.report_due(now, interval);
  if (!report) return 0;
  wire::writer w(room);
  if (wire::encode(w, *report)) return 0;
  repair_.on_report_sent(*report, now);
  return w.position();
}

bool connection::defer_fec_loss(const recovery::sent_packet& p, time_point now) {
  const auto horizon = repair_.repair_horizon(p.packet_number);
  if (!horizon || fec_deferred_.entries.size() >= fec_deferred_losses::max_entries) return false;
  // The receiver rebuilds a packet as soon as the block's repair arrives,
  // a fraction of a round trip after the loss shows: wait no longer than
  // a quarter of one (a repair lost or dropped must not hold data back).
  const duration wait = std::max<duration>(sender_.rtt().smoothed_rtt() / 4, std::chrono::milliseconds(5));
  fec_deferred_.entries.push_back({p.packet_number, p.cookie, *horizon, now + wait});
  return true;
}

void connection::settle_fec_losses(std::span<const recovery::sent_packet> spurious, time_point now) {
  const std::uint64_t largest = sender_.detector().largest_acked();
  auto& entries = fec_deferred_.entries;
  // Entries are settled in place and removed afterwards: on_lost_frames and
  // on_acked_frames never add to them.
  std::erase_if(entries, [&](const fec_deferred_losses::entry& e) {
    const bool rebuilt = std::any_of(spurious.begin(), spurious.end(),
                                     [&](const recovery::sent_packet& s) { return s.packet_number == e.number; });
    if (rebuilt) {
      on_acked_frames(e.cookie);
      return true;
    }
    const bool repair_arrived =
        e.horizon != fec::connection_repair::no_horizon && largest != recovery::no_packet && largest >= e.horizon;
    if (repair_arrived || now >= e.release_at) {
      on_lost_frames(e.cookie);
      return true;
    }
    return false;
  });
}

void connection::process_recovered_packets(const datagram_context& d, time_point now) {
  while (auto packet = repair_.pop_recovered()) {
    if (state_ != connection_state::established && state_ != connection_state::handshaking) return;
    // It arrived after all (late, or it carried no message data and was
    // not held): the rebuilt copy is not needed.
    if (acks_.contains(packet->number)) continue;
    // Repair goes behind its block, so what it rebuilds is numbered below
    // the packet that carried it (the largest received by now). A block
    // placed ahead is a peer rebuilding packets it never sent, up to past
    // 2^62 - 1: taken, it would move the packet number expansion of every
    // later packet off the peer's real numbers (docs/security.md).
    if (packet->number >= acks_.largest_received()) continue;
    if (qlog_.observer) {
      qlog_frames(wire::packet_type::one_rtt, packet->payload);
      qlog_.observer->packet_recovered(now, qlog::packet_info{qlog::packet_type::one_rtt, packet->number,
                                                              packet->payload.size(), qlog_.frames});
    }
    repair_.set_processing_rebuilt(true);
    const frames_outcome frames = process_frames(packet->payload, wire::packet_type::one_rtt, d.from, now);
    repair_.set_processing_rebuilt(false);
    if (frames.error) {
      close_for_frame_error(frames, now);
      return;
    }
    repair_.on_recovered_processed();
    (void)acks_.on_packet_received(packet->number, frames.ack_eliciting, now, recovery::ecn_mark::not_ect);
  }
}

} // namespace tern::core
