#pragma once

// Frame structs and their codecs (docs/protocol.md, "Frames"). Every frame
// type X has:
//
//   std::size_t     encoded_size(const X&)   bytes encode writes (exact for a
//                                            frame encode accepts)
//   std::error_code encode(writer&, const X&) writes the frame, type included;
//                                            no_space or a validation error,
//                                            and then nothing is written
//   std::error_code decode(reader&, X&)       reads one frame of that kind,
//                                            type included; wrong_frame_type
//                                            for another type; the reader's
//                                            position is unspecified on error
//
// plus the same three for the `frame` variant (decode_frame reads whichever
// frame comes next). Data-bearing frames (STREAM, CRYPTO, DATAGRAM,
// NEW_TOKEN, CONNECTION_CLOSE's reason) hold spans into the packet buffer on
// decode and into caller memory on encode: nothing is copied.

#include "wire/ack_frame.hpp"
#include "wire/connection_id.hpp"
#include "wire/errc.hpp"
#include "wire/frame_type.hpp"
#include "wire/reader.hpp"
#include "wire/repair_frames.hpp"
#include "wire/writer.hpp"

#include <tern/time.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <variant>

namespace tern::wire {

namespace detail {
inline bool same_bytes(std::span<const std::byte> a, std::span<const std::byte> b) noexcept {
  return std::ranges::equal(a, b);
}
} // namespace detail

/// Largest stream count MAX_STREAMS and STREAMS_BLOCKED may carry (2^60).
inline constexpr std::uint64_t max_stream_count = std::uint64_t{1} << 60;

/// Bytes of a stateless reset token.
inline constexpr std::size_t stateless_reset_token_length = 16;

/// A run of `length` PADDING bytes (each a 1-byte frame of type 0x00). The
/// decoder folds a run into one value; encoding length 0 writes nothing.
struct padding_frame {
  std::size_t length = 1;
  friend constexpr bool operator==(const padding_frame&, const padding_frame&) noexcept = default;
};

/// PING: elicits an acknowledgement, nothing else.
struct ping_frame {
  friend constexpr bool operator==(const ping_frame&, const ping_frame&) noexcept = default;
};

/// RESET_STREAM: the sender abandons sending on a stream.
struct reset_stream_frame {
  std::uint64_t stream_id = 0;
  std::uint64_t error_code = 0; ///< application error code
  std::uint64_t final_size = 0; ///< bytes the stream carried in total, in bytes
  friend constexpr bool operator==(const reset_stream_frame&, const reset_stream_frame&) noexcept = default;
};

/// STOP_SENDING: the receiver asks the peer to stop sending on a stream.
struct stop_sending_frame {
  std::uint64_t stream_id = 0;
  std::uint64_t error_code = 0; ///< application error code
  friend constexpr bool operator==(const stop_sending_frame&, const stop_sending_frame&) noexcept = default;
};

/// CRYPTO: handshake bytes at `offset` of the crypto stream of the packet's
/// level. offset + data.size() must not exceed 2^62-1.
struct crypto_frame {
  std::uint64_t offset = 0;
  std::span<const std::byte> data;
  friend bool operator==(const crypto_frame& a, const crypto_frame& b) noexcept {
    return a.offset == b.offset && detail::same_bytes(a.data, b.data);
  }
};

/// NEW_TOKEN: an address-validation token for a future connection (never empty).
struct new_token_frame {
  std::span<const std::byte> token;
  friend bool operator==(const new_token_frame& a, const new_token_frame& b) noexcept {
    return detail::same_bytes(a.token, b.token);
  }
};

/// STREAM (types 0x08-0x0f): `data` at `offset` of stream `stream_id`.
/// offset + data.size() must not exceed 2^62-1. The OFF bit is set on encode
/// exactly when offset is not 0 (on decode either is accepted).
struct stream_frame {
  std::uint64_t stream_id = 0;
  std::uint64_t offset = 0;
  std::span<const std::byte> data;
  bool fin = false;
  /// LEN bit. Without a length field the data runs to the end of the packet,
  /// so such a frame must be the packet's last.
  bool has_length = true;
  friend bool operator==(const stream_frame& a, const stream_frame& b) noexcept {
    return a.stream_id == b.stream_id && a.offset == b.offset && a.fin == b.fin &&
           a.has_length == b.has_length && detail::same_bytes(a.data, b.data);
  }
};

/// MAX_DATA: connection-level flow control limit, in bytes.
struct max_data_frame {
  std::uint64_t maximum = 0;
  friend constexpr bool operator==(const max_data_frame&, const max_data_frame&) noexcept = default;
};

/// MAX_STREAM_DATA: stream-level flow control limit, in bytes.
struct max_stream_data_frame {
  std::uint64_t stream_id = 0;
  std::uint64_t maximum = 0;
  friend constexpr bool operator==(const max_stream_data_frame&, const max_stream_data_frame&) noexcept = default;
};

/// MAX_STREAMS (0x12 bidirectional, 0x13 unidirectional): cumulative number
/// of streams of that direction the peer may open, at most 2^60.
struct max_streams_frame {
  bool bidirectional = true;
  std::uint64_t maximum = 0;
  friend constexpr bool operator==(const max_streams_frame&, const max_streams_frame&) noexcept = default;
};

/// DATA_BLOCKED: the sender is blocked by the connection limit `limit` (bytes).
struct data_blocked_frame {
  std::uint64_t limit = 0;
  friend constexpr bool operator==(const data_blocked_frame&, const data_blocked_frame&) noexcept = default;
};

/// STREAM_DATA_BLOCKED: the sender is blocked by a stream's limit `limit` (bytes).
struct stream_data_blocked_frame {
  std::uint64_t stream_id = 0;
  std::uint64_t limit = 0;
  friend constexpr bool operator==(const stream_data_blocked_frame&,
                                   const stream_data_blocked_frame&) noexcept = default;
};

/// STREAMS_BLOCKED (0x16 bidirectional, 0x17 unidirectional): the sender
/// wants to open streams beyond `limit` (at most 2^60).
struct streams_blocked_frame {
  bool bidirectional = true;
  std::uint64_t limit = 0;
  friend constexpr bool operator==(const streams_blocked_frame&, const streams_blocked_frame&) noexcept = default;
};

/// NEW_CONNECTION_ID: one more connection ID (1 to 20 bytes) the peer may use.
struct new_connection_id_frame {
  std::uint64_t sequence = 0;
  std::uint64_t retire_prior_to = 0; ///< at most `sequence`
  connection_id cid;
  std::array<std::byte, stateless_reset_token_length> stateless_reset_token{};
  friend bool operator==(const new_connection_id_frame&, const new_connection_id_frame&) noexcept = default;
};

/// RETIRE_CONNECTION_ID: the sender stops using the connection ID `sequence`.
struct retire_connection_id_frame {
  std::uint64_t sequence = 0;
  friend constexpr bool operator==(const retire_connection_id_frame&,
                                   const retire_connection_id_frame&) noexcept = default;
};

/// PATH_CHALLENGE: 8 unpredictable bytes to be echoed in a PATH_RESPONSE.
struct path_challenge_frame {
  std::array<std::byte, 8> data{};
  friend constexpr bool operator==(const path_challenge_frame&, const path_challenge_frame&) noexcept = default;
};

/// PATH_RESPONSE: the 8 bytes of the PATH_CHALLENGE it answers.
struct path_response_frame {
  std::array<std::byte, 8> data{};
  friend constexpr bool operator==(const path_response_frame&, const path_response_frame&) noexcept = default;
};

/// CONNECTION_CLOSE: 0x1c (transport error; `frame_type` names the frame that
/// caused it, 0 if none) or 0x1d (`application` error; no frame type).
struct connection_close_frame {
  bool application = false;
  std::uint64_t error_code = 0;
  std::uint64_t frame_type = 0; ///< transport variant only
  std::span<const std::byte> reason; ///< UTF-8 reason phrase, may be empty
  friend bool operator==(const connection_close_frame& a, const connection_close_frame& b) noexcept {
    return a.application == b.application && a.error_code == b.error_code &&
           (a.application || a.frame_type == b.frame_type) && detail::same_bytes(a.reason, b.reason);
  }
};

/// HANDSHAKE_DONE: the server confirms the handshake.
struct handshake_done_frame {
  friend constexpr bool operator==(const handshake_done_frame&, const handshake_done_frame&) noexcept = default;
};

/// The fields that make a DATAGRAM a fragment of a deadline message.
struct message_fields {
  std::uint64_t message_id = 0;     ///< sequential per connection, from 0
  std::uint64_t message_length = 0; ///< total bytes of the message
  std::uint64_t offset = 0;         ///< of this fragment within the message, bytes
  /// Time left until the message's deadline when the fragment was sent
  /// (microseconds on the wire, rounded down; saturating on decode).
  duration ttl{0};
  /// The message flow (per-flow ids) and whether the receiver may deliver
  /// the message out of id order. Either one set makes the frame a
  /// FLOW_MESSAGE (0x35, always with a length); neither, a DATAGRAM with
  /// the message bit.
  std::uint64_t flow = 0;
  bool unordered = false;
  friend constexpr bool operator==(const message_fields&, const message_fields&) noexcept = default;
};

/// DATAGRAM (types 0x30-0x33): unreliable application data, never
/// retransmitted as such. With `message` it is a message fragment: offset +
/// data.size() must not exceed message_length.
struct datagram_frame {
  std::span<const std::byte> data;
  /// LEN bit; without it the data runs to the end of the packet.
  bool has_length = true;
  std::optional<message_fields> message;
  friend bool operator==(const datagram_frame& a, const datagram_frame& b) noexcept {
    return a.has_length == b.has_length && a.message == b.message && detail::same_bytes(a.data, b.data);
  }
};

/// MESSAGE_ABANDON (0x34): the sender gave up on message `message_id`; on
/// a flow other than 0 or with a cause other than 0 (deadline), it is a
/// FLOW_ABANDON (0x36) carrying both.
struct message_abandon_frame {
  std::uint64_t message_id = 0;
  std::uint64_t flow = 0;
  /// 0: deadline; 1: a message it depends on was given up. A receiver
  /// treats other values as 0 (room for causes to come).
  std::uint64_t cause = 0;
  friend constexpr bool operator==(const message_abandon_frame&, const message_abandon_frame&) noexcept = default;
};

/// Any one frame.
using frame = std::variant<padding_frame, ping_frame, ack_frame, reset_stream_frame, stop_sending_frame,
                           crypto_frame, new_token_frame, stream_frame, max_data_frame, max_stream_data_frame,
                           max_streams_frame, data_blocked_frame, stream_data_blocked_frame, streams_blocked_frame,
                           new_connection_id_frame, retire_connection_id_frame, path_challenge_frame,
                           path_response_frame, connection_close_frame, handshake_done_frame, datagram_frame,
                           message_abandon_frame, repair_frame, repair_report_frame>;

#define TERN_WIRE_FRAME_CODEC(X)                                                                             \
  std::size_t encoded_size(const X& f) noexcept;                                                             \
  [[nodiscard]] std::error_code encode(writer& w, const X& f) noexcept;                                      \
  [[nodiscard]] std::error_code decode(reader& r, X& f) noexcept;

TERN_WIRE_FRAME_CODEC(padding_frame)
TERN_WIRE_FRAME_CODEC(ping_frame)
TERN_WIRE_FRAME_CODEC(reset_stream_frame)
TERN_WIRE_FRAME_CODEC(stop_sending_frame)
TERN_WIRE_FRAME_CODEC(crypto_frame)         // also stream_offset_out_of_range
TERN_WIRE_FRAME_CODEC(new_token_frame)      // also empty_token
TERN_WIRE_FRAME_CODEC(stream_frame)         // also stream_offset_out_of_range
TERN_WIRE_FRAME_CODEC(max_data_frame)
TERN_WIRE_FRAME_CODEC(max_stream_data_frame)
TERN_WIRE_FRAME_CODEC(max_streams_frame)    // also stream_limit_out_of_range
TERN_WIRE_FRAME_CODEC(data_blocked_frame)
TERN_WIRE_FRAME_CODEC(stream_data_blocked_frame)
TERN_WIRE_FRAME_CODEC(streams_blocked_frame) // also stream_limit_out_of_range
TERN_WIRE_FRAME_CODEC(new_connection_id_frame) // also invalid_connection_id_length, invalid_retire_prior_to
TERN_WIRE_FRAME_CODEC(retire_connection_id_frame)
TERN_WIRE_FRAME_CODEC(path_challenge_frame)
TERN_WIRE_FRAME_CODEC(path_response_frame)
TERN_WIRE_FRAME_CODEC(connection_close_frame)
TERN_WIRE_FRAME_CODEC(handshake_done_frame)
TERN_WIRE_FRAME_CODEC(datagram_frame)       // also message_fragment_out_of_range
TERN_WIRE_FRAME_CODEC(message_abandon_frame)

#undef TERN_WIRE_FRAME_CODEC

/// Bytes encode(w, f) writes for whichever frame `f` holds.
std::size_t encoded_size(const frame& f) noexcept;

/// Writes whichever frame `f` holds. Errors: those of that frame's encode.
[[nodiscard]] std::error_code encode(writer& w, const frame& f) noexcept;

/// Reads the next frame, whatever its type, into `out` (a run of PADDING
/// bytes becomes one padding_frame). Errors: truncated; unknown_frame_type;
/// non_minimal_frame_type (a type in a longer varint than needed); and every
/// error of the frame's own decode. Checks nothing about the packet type
/// (frame_reader does).
[[nodiscard]] std::error_code decode_frame(reader& r, frame& out) noexcept;

/// The type byte `f` is encoded with (e.g. 0x0e for a STREAM frame with
/// length and offset, without FIN).
std::uint8_t type_of(const frame& f) noexcept;

/// Most data bytes a STREAM frame for `stream_id` at `offset` can carry when
/// the whole frame must fit in `space` bytes: with a length field
/// (`with_length`) or without (then it must end the packet). Also capped so
/// offset + data stays within 2^62-1. nullopt when not even a frame with no
/// data fits (a 0 result still leaves room for a FIN-only frame).
std::optional<std::size_t> stream_data_fit(std::uint64_t stream_id, std::uint64_t offset, std::size_t space,
                                           bool with_length = true) noexcept;

/// Most data bytes a CRYPTO frame at `offset` can carry in `space` bytes;
/// nullopt when not even an empty frame fits.
std::optional<std::size_t> crypto_data_fit(std::uint64_t offset, std::size_t space) noexcept;

/// Most data bytes a DATAGRAM frame (with `message` fields when set) can
/// carry in `space` bytes, with or without a length field; nullopt when not
/// even an empty one fits.
std::optional<std::size_t> datagram_data_fit(const std::optional<message_fields>& message, std::size_t space,
                                             bool with_length = true) noexcept;

} // namespace tern::wire
