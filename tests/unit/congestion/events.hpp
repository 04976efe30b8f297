#pragma once

// Small builders for controller events in the congestion tests.

#include "congestion/controller.hpp"

namespace tern::cc::test {

inline ack_event ack(time_point now, std::uint64_t bytes, time_point largest_sent, duration srtt,
                     std::uint64_t in_flight = 0) {
  ack_event e;
  e.now = now;
  e.bytes_acked = bytes;
  e.prior_in_flight = in_flight + bytes;
  e.bytes_in_flight = in_flight;
  e.largest_acked_sent_time = largest_sent;
  e.latest_rtt = srtt;
  e.smoothed_rtt = srtt;
  e.min_rtt = srtt;
  e.rttvar = srtt / 4;
  return e;
}

inline loss_event loss(time_point now, std::uint64_t bytes, time_point largest_sent,
                       std::uint64_t first_pn = 0, std::uint64_t packets = 1) {
  loss_event e;
  e.now = now;
  e.bytes_lost = bytes;
  e.packets_lost = packets;
  e.smallest_lost_packet_number = first_pn;
  e.largest_lost_sent_time = largest_sent;
  return e;
}

inline packet_sent_event sent(time_point now, std::uint64_t pn, std::uint64_t bytes,
                              std::uint64_t prior_in_flight, bool app_limited = false) {
  packet_sent_event e;
  e.now = now;
  e.packet_number = pn;
  e.bytes = bytes;
  e.prior_in_flight = prior_in_flight;
  e.app_limited = app_limited;
  return e;
}

} // namespace tern::cc::test
