#pragma once

#include "wire/header.hpp"

#include <cstdint>

namespace tern::wire {

/// Frame type code points (docs/protocol.md, "Frames"). Every type fits in
/// one byte and must be encoded as a 1-byte varint. STREAM and DATAGRAM
/// occupy ranges whose low bits are flags.
namespace frame_type {
inline constexpr std::uint8_t padding = 0x00;
inline constexpr std::uint8_t ping = 0x01;
inline constexpr std::uint8_t ack = 0x02;
inline constexpr std::uint8_t ack_ecn = 0x03;
inline constexpr std::uint8_t reset_stream = 0x04;
inline constexpr std::uint8_t stop_sending = 0x05;
inline constexpr std::uint8_t crypto = 0x06;
inline constexpr std::uint8_t new_token = 0x07;
inline constexpr std::uint8_t stream = 0x08; ///< 0x08-0x0f
inline constexpr std::uint8_t stream_last = 0x0f;
inline constexpr std::uint8_t max_data = 0x10;
inline constexpr std::uint8_t max_stream_data = 0x11;
inline constexpr std::uint8_t max_streams_bidi = 0x12;
inline constexpr std::uint8_t max_streams_uni = 0x13;
inline constexpr std::uint8_t data_blocked = 0x14;
inline constexpr std::uint8_t stream_data_blocked = 0x15;
inline constexpr std::uint8_t streams_blocked_bidi = 0x16;
inline constexpr std::uint8_t streams_blocked_uni = 0x17;
inline constexpr std::uint8_t new_connection_id = 0x18;
inline constexpr std::uint8_t retire_connection_id = 0x19;
inline constexpr std::uint8_t path_challenge = 0x1a;
inline constexpr std::uint8_t path_response = 0x1b;
inline constexpr std::uint8_t connection_close = 0x1c;     ///< transport error
inline constexpr std::uint8_t connection_close_app = 0x1d; ///< application error
inline constexpr std::uint8_t handshake_done = 0x1e;
inline constexpr std::uint8_t datagram = 0x30; ///< 0x30-0x33
inline constexpr std::uint8_t datagram_last = 0x33;
inline constexpr std::uint8_t message_abandon = 0x34;
inline constexpr std::uint8_t flow_message = 0x35; ///< a message fragment on a flow (always with length)
inline constexpr std::uint8_t flow_abandon = 0x36;  ///< MESSAGE_ABANDON on a flow, with a cause
// 0x37 is reserved for message flows and not yet defined.

/// FLOW_MESSAGE flag bits.
inline constexpr std::uint64_t flow_message_unordered = 0x01;

// Forward error correction (docs/fec.md); 0x3a-0x3b stay reserved for it.
inline constexpr std::uint8_t repair = 0x38;
inline constexpr std::uint8_t repair_report = 0x39;

// Flag bits within the STREAM and DATAGRAM ranges.
inline constexpr std::uint8_t stream_off_bit = 0x04; ///< an offset field is present
inline constexpr std::uint8_t stream_len_bit = 0x02; ///< a length field is present
inline constexpr std::uint8_t stream_fin_bit = 0x01; ///< the frame ends the stream
inline constexpr std::uint8_t datagram_msg_bit = 0x02; ///< message fields are present
inline constexpr std::uint8_t datagram_len_bit = 0x01; ///< a length field is present
} // namespace frame_type

/// Whether `type` is a frame type tern defines.
constexpr bool is_known_frame_type(std::uint64_t type) noexcept {
  return type <= frame_type::handshake_done ||
         (type >= frame_type::datagram && type <= frame_type::flow_abandon) ||
         (type >= frame_type::repair && type <= frame_type::repair_report);
}

/// Whether a frame of type `type` may appear in a packet of type `packet`.
/// Initial and handshake packets carry only PADDING, PING, ACK, ACK_ECN,
/// CRYPTO and the transport CONNECTION_CLOSE; retry packets carry no frames;
/// 1-RTT packets carry every known frame.
constexpr bool is_frame_allowed(std::uint64_t type, packet_type packet) noexcept {
  switch (packet) {
  case packet_type::initial:
  case packet_type::handshake:
    return type == frame_type::padding || type == frame_type::ping || type == frame_type::ack ||
           type == frame_type::ack_ecn || type == frame_type::crypto || type == frame_type::connection_close;
  case packet_type::retry: return false;
  case packet_type::one_rtt: return is_known_frame_type(type);
  // Early data: stream data, datagrams and message fragments (DATAGRAM,
  // FLOW_MESSAGE) only. No ACK: 0-RTT keys protect one direction. No
  // abandon: the application allows early streams, message flows and (on
  // both sides, explicitly) plain datagrams only (docs/protocol.md §4.9).
  case packet_type::zero_rtt:
    return type == frame_type::padding || type == frame_type::ping ||
           (type >= frame_type::stream && type <= frame_type::stream_last) ||
           type == frame_type::datagram || type == (frame_type::datagram | frame_type::datagram_len_bit) ||
           type == (frame_type::datagram | frame_type::datagram_msg_bit) ||
           type == (frame_type::datagram | frame_type::datagram_msg_bit | frame_type::datagram_len_bit) ||
           type == frame_type::flow_message;
  }
  return false;
}

} // namespace tern::wire
