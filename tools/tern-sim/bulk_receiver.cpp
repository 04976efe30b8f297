#include "bulk_receiver.hpp"

#include "bulk_format.hpp"
#include "wire/packet_number.hpp"

namespace tern::bulk {

bulk_receiver::bulk_receiver(const receiver_options& options, random_source& rng)
    : options_{options}, tracker_{options.acks}, own_{[&] {
                                                        recovery::sender_config c;
                                                        c.algorithm = cc::algorithm::new_reno;
                                                        c.controller.max_datagram_size = options.mtu;
                                                        c.pacing = false;
                                                        return c;
                                                      }(),
                                                      rng},
      payload_{payload_per_packet(options.mtu)}, chunks_{(options.bytes + payload_ - 1) / payload_},
      received_(chunks_, 0) {}

void bulk_receiver::on_datagram(std::span<const std::byte> bytes, sim::address, time_point now) {
  decoded_datagram d;
  if (!decode(bytes, d)) return;
  const std::uint64_t pn = wire::expand_packet_number(
      d.truncated_packet_number, any_peer_ ? std::optional<std::uint64_t>{largest_peer_} : std::nullopt);
  const bool eliciting = (d.flags & (flag_data | flag_ping)) != 0;
  if (!tracker_.on_packet_received(pn, eliciting, now)) {
    ++duplicates_;
    return;
  }
  if (!any_peer_ || pn > largest_peer_) largest_peer_ = pn;
  any_peer_ = true;
  if ((d.flags & flag_data) && d.offset % payload_ == 0) {
    const std::uint64_t chunk = d.offset / payload_;
    if (chunk < chunks_ && !received_[chunk]) {
      received_[chunk] = 1;
      bytes_received_ += d.length;
      if (++received_chunks_ == chunks_) done_time_ = now;
    }
  }
  if (d.flags & flag_ack) {
    const auto& out = own_.on_ack_received(d.ack, now);
    if (out.error) return;
    for (const auto& p : out.acked)
      if (p.carried_ack_largest != recovery::no_packet) tracker_.on_ack_acknowledged(p.carried_ack_largest);
    for (const auto& p : out.spurious)
      if (p.carried_ack_largest != recovery::no_packet) tracker_.on_ack_acknowledged(p.carried_ack_largest);
  }
}

std::optional<sim::transmit> bulk_receiver::poll_transmit(std::span<std::byte> out, time_point now) {
  const bool probe = own_.probes_owed() > 0;
  if (!tracker_.ack_due(now) && !probe) return std::nullopt;
  recovery::ack_info ack;
  if (!tracker_.build_ack(now, ack)) return std::nullopt;
  const bool ping = probe || (++ack_packets_ % options_.ping_every == 0);
  const std::uint64_t pn = own_.next_packet_number();
  const std::size_t size = encode_ack(out, pn, ack, ping);
  if (size == 0) return std::nullopt;
  own_.on_packet_sent({.bytes = size,
                       .ack_eliciting = ping,
                       .in_flight = ping,
                       .carried_ack_largest = ping ? ack.largest() : recovery::no_packet},
                      now);
  return sim::transmit{options_.peer, size};
}

time_point bulk_receiver::next_timeout() const {
  return std::min(tracker_.ack_deadline(), own_.next_timeout());
}

void bulk_receiver::on_timeout(time_point now) {
  if (now >= own_.next_timeout()) own_.on_timeout(now);
}

} // namespace tern::bulk
