// The bulk data sender. Chunk i covers stream bytes [i·P, (i+1)·P) where P
// is the datagram size less the headers; a packet's cookie is its chunk.
// Order of what goes out: an ACK owed to the receiver (not congestion
// controlled), then lost chunks, then new chunks, then - only when a PTO
// asks for probes and nothing else is left - the oldest unacknowledged
// chunk again. A chunk acknowledged through a spurious loss is not sent
// again, and a queued retransmission of an acknowledged chunk is dropped.

#include "bulk_sender.hpp"

#include "bulk_format.hpp"
#include "wire/packet_number.hpp"

#include <algorithm>

namespace tern::bulk {

bulk_sender::bulk_sender(const sender_options& options, random_source& rng)
    : options_{options}, sender_{[&] {
                                   recovery::sender_config c = options.transport;
                                   c.controller.max_datagram_size = options.mtu;
                                   return c;
                                 }(),
                                 rng},
      payload_{payload_per_packet(options.mtu)}, chunks_{(options.bytes + payload_ - 1) / payload_},
      acked_(chunks_, 0), sent_before_(chunks_, 0) {
  if (chunks_ == 0) done_time_ = options.start;
}

std::size_t bulk_sender::chunk_length(std::uint64_t chunk) const noexcept {
  const std::uint64_t offset = chunk * payload_;
  return static_cast<std::size_t>(std::min(payload_, options_.bytes - offset));
}

std::uint64_t bulk_sender::pick_chunk() {
  while (!retransmit_.empty()) {
    const std::uint64_t c = retransmit_.front();
    if (!acked_[c]) return c;
    retransmit_.pop_front();
  }
  if (next_new_chunk_ < chunks_) return next_new_chunk_;
  if (sender_.probes_owed() > 0) {
    while (first_unacked_ < chunks_ && acked_[first_unacked_]) ++first_unacked_;
    if (first_unacked_ < chunks_) return first_unacked_;
  }
  return no_chunk;
}

std::optional<sim::transmit> bulk_sender::poll_transmit(std::span<std::byte> out, time_point now) {
  if (now < options_.start) return std::nullopt;
  started_ = true;
  if (peer_acks_.ack_due(now)) {
    recovery::ack_info ack;
    peer_acks_.build_ack(now, ack);
    const std::uint64_t pn = sender_.next_packet_number();
    const std::size_t size = encode_ack(out, pn, ack, false);
    if (size != 0) {
      sender_.on_packet_sent({.bytes = size, .ack_eliciting = false, .in_flight = false}, now);
      ++counters_.ack_packets;
      return sim::transmit{options_.peer, size};
    }
  }
  pacing_wait_ = never;
  if (done()) return std::nullopt;
  const std::uint64_t chunk = pick_chunk();
  if (chunk == no_chunk) {
    if (!app_limited_reported_) {
      sender_.on_app_limited(now);
      app_limited_reported_ = true;
    }
    return std::nullopt;
  }
  const std::size_t length = chunk_length(chunk);
  // The largest the packet can be; the offset's varint may make it shorter.
  const std::size_t size = options_.mtu - payload_ + length;
  const auto permission = sender_.can_send(size, now);
  if (!permission.allowed()) {
    if (permission.limit == recovery::send_limit::pacing) pacing_wait_ = permission.release;
    return std::nullopt;
  }
  const std::uint64_t pn = sender_.next_packet_number();
  const std::size_t written = encode_data(out, pn, chunk * payload_, length);
  if (written == 0) return std::nullopt;
  if (!retransmit_.empty() && retransmit_.front() == chunk) {
    retransmit_.pop_front();
  } else if (chunk == next_new_chunk_) {
    ++next_new_chunk_;
  }
  if (sent_before_[chunk]) ++counters_.retransmitted_packets;
  sent_before_[chunk] = 1;
  ++counters_.data_packets;
  app_limited_reported_ = false;
  sender_.on_packet_sent({.bytes = written, .ack_eliciting = true, .in_flight = true, .cookie = chunk}, now);
  return sim::transmit{options_.peer, written};
}

void bulk_sender::mark_acked(std::uint64_t chunk, time_point now) {
  if (chunk >= chunks_ || acked_[chunk]) return;
  acked_[chunk] = 1;
  if (++acked_chunks_ == chunks_) done_time_ = now;
}

void bulk_sender::requeue(std::span<const recovery::sent_packet> lost) {
  for (const auto& p : lost)
    if (p.in_flight && p.cookie < chunks_ && !acked_[p.cookie]) retransmit_.push_back(p.cookie);
}

void bulk_sender::on_datagram(std::span<const std::byte> bytes, sim::address, time_point now) {
  decoded_datagram d;
  if (!decode(bytes, d)) {
    ++counters_.malformed;
    return;
  }
  const std::uint64_t pn = wire::expand_packet_number(
      d.truncated_packet_number,
      peer_acks_.any_received() ? std::optional<std::uint64_t>{peer_acks_.largest_received()} : std::nullopt);
  if (!peer_acks_.on_packet_received(pn, (d.flags & flag_ping) != 0, now)) return;
  if ((d.flags & flag_ack) == 0) return;
  const auto& out = sender_.on_ack_received(d.ack, now);
  if (out.error) {
    ++counters_.ack_errors;
    return;
  }
  for (const auto& p : out.acked)
    if (p.in_flight) mark_acked(p.cookie, now);
  for (const auto& p : out.spurious)
    if (p.in_flight) mark_acked(p.cookie, now);
  requeue(out.lost);
}

time_point bulk_sender::next_timeout() const {
  if (!started_) return options_.start;
  time_point t = std::min(pacing_wait_, peer_acks_.ack_deadline());
  if (!done()) t = std::min(t, sender_.next_timeout());
  return t;
}

void bulk_sender::on_timeout(time_point now) {
  if (!done() && now >= sender_.next_timeout()) requeue(sender_.on_timeout(now).lost);
  if (now >= pacing_wait_) pacing_wait_ = never;
}

} // namespace tern::bulk
