// Frame codecs (RFC 9000 §19 layouts, plus tern's DATAGRAM message fields and
// MESSAGE_ABANDON). Encoders write nothing on failure: they rewind the writer
// to where the frame started. Decoders validate every cross-field rule the
// frame itself can check (offset + length bounds, stream-count limits,
// connection ID lengths, retire_prior_to <= sequence, message fragment
// bounds); rules that need connection state belong to the layers above.

#include "wire/frames.hpp"

#include "wire/micros.hpp"
#include "wire/varint.hpp"

namespace tern::wire {
namespace {

#define TERN_TRY_W(expr)                                                                                     \
  do {                                                                                                       \
    if (auto ec_ = (expr)) {                                                                                 \
      w.rewind(start_);                                                                                      \
      return ec_;                                                                                            \
    }                                                                                                        \
  } while (0)
#define TERN_BEGIN_W const std::size_t start_ = w.position()
#define TERN_TRY_R(expr)                                                                                     \
  do {                                                                                                       \
    if (auto ec_ = (expr)) return ec_;                                                                       \
  } while (0)

// Type bytes ----------------------------------------------------------------

std::uint8_t type_byte(const padding_frame&) noexcept { return frame_type::padding; }
std::uint8_t type_byte(const ping_frame&) noexcept { return frame_type::ping; }
std::uint8_t type_byte(const ack_frame& f) noexcept { return f.ecn ? frame_type::ack_ecn : frame_type::ack; }
std::uint8_t type_byte(const reset_stream_frame&) noexcept { return frame_type::reset_stream; }
std::uint8_t type_byte(const stop_sending_frame&) noexcept { return frame_type::stop_sending; }
std::uint8_t type_byte(const crypto_frame&) noexcept { return frame_type::crypto; }
std::uint8_t type_byte(const new_token_frame&) noexcept { return frame_type::new_token; }
std::uint8_t type_byte(const stream_frame& f) noexcept {
  return static_cast<std::uint8_t>(frame_type::stream | (f.offset != 0 ? frame_type::stream_off_bit : 0) |
                                   (f.has_length ? frame_type::stream_len_bit : 0) |
                                   (f.fin ? frame_type::stream_fin_bit : 0));
}
std::uint8_t type_byte(const max_data_frame&) noexcept { return frame_type::max_data; }
std::uint8_t type_byte(const max_stream_data_frame&) noexcept { return frame_type::max_stream_data; }
std::uint8_t type_byte(const max_streams_frame& f) noexcept {
  return f.bidirectional ? frame_type::max_streams_bidi : frame_type::max_streams_uni;
}
std::uint8_t type_byte(const data_blocked_frame&) noexcept { return frame_type::data_blocked; }
std::uint8_t type_byte(const stream_data_blocked_frame&) noexcept { return frame_type::stream_data_blocked; }
std::uint8_t type_byte(const streams_blocked_frame& f) noexcept {
  return f.bidirectional ? frame_type::streams_blocked_bidi : frame_type::streams_blocked_uni;
}
std::uint8_t type_byte(const new_connection_id_frame&) noexcept { return frame_type::new_connection_id; }
std::uint8_t type_byte(const retire_connection_id_frame&) noexcept { return frame_type::retire_connection_id; }
std::uint8_t type_byte(const path_challenge_frame&) noexcept { return frame_type::path_challenge; }
std::uint8_t type_byte(const path_response_frame&) noexcept { return frame_type::path_response; }
std::uint8_t type_byte(const connection_close_frame& f) noexcept {
  return f.application ? frame_type::connection_close_app : frame_type::connection_close;
}
std::uint8_t type_byte(const handshake_done_frame&) noexcept { return frame_type::handshake_done; }
bool is_flow_message(const datagram_frame& f) noexcept {
  return f.message && (f.message->flow != 0 || f.message->unordered);
}
bool is_flow_abandon(const message_abandon_frame& f) noexcept { return f.flow != 0 || f.cause != 0; }

std::uint8_t type_byte(const datagram_frame& f) noexcept {
  if (is_flow_message(f)) return frame_type::flow_message;
  return static_cast<std::uint8_t>(frame_type::datagram | (f.message ? frame_type::datagram_msg_bit : 0) |
                                   (f.has_length ? frame_type::datagram_len_bit : 0));
}
std::uint8_t type_byte(const message_abandon_frame& f) noexcept {
  return is_flow_abandon(f) ? frame_type::flow_abandon : frame_type::message_abandon;
}

// Reads the type byte of a typed decode and checks it is in [lo, hi].
status read_type(reader& r, std::uint8_t lo, std::uint8_t hi, std::uint8_t& type) noexcept {
  TERN_TRY_R(r.peek_u8(type));
  if (type < lo || type > hi) return wire_errc::wrong_frame_type;
  return r.skip(1);
}

// Whether offset + length stays within 2^62-1 (the largest stream offset).
constexpr bool offset_in_range(std::uint64_t offset, std::uint64_t length) noexcept {
  return offset <= varint_max && length <= varint_max - offset;
}

// Most n with varint_size(n) + n <= avail; nullopt when avail is 0.
std::optional<std::size_t> fit_with_length(std::size_t avail) noexcept {
  if (avail == 0) return std::nullopt;
  std::size_t best = 0;
  for (std::size_t width : {std::size_t{1}, std::size_t{2}, std::size_t{4}, std::size_t{8}}) {
    if (avail < width) break;
    std::uint64_t n = avail - width;
    while (!varint_fits(n, width)) n = (std::uint64_t{1} << (8 * width - 2)) - 1;
    best = std::max<std::size_t>(best, static_cast<std::size_t>(n));
  }
  return best;
}

// Bodies: called once the type byte has been consumed ----------------------

status body(reader& r, std::uint8_t, reset_stream_frame& f) noexcept {
  TERN_TRY_R(r.read_varint(f.stream_id));
  TERN_TRY_R(r.read_varint(f.error_code));
  return r.read_varint(f.final_size);
}

status body(reader& r, std::uint8_t, stop_sending_frame& f) noexcept {
  TERN_TRY_R(r.read_varint(f.stream_id));
  return r.read_varint(f.error_code);
}

status body(reader& r, std::uint8_t, crypto_frame& f) noexcept {
  std::uint64_t length = 0;
  TERN_TRY_R(r.read_varint(f.offset));
  TERN_TRY_R(r.read_varint(length));
  TERN_TRY_R(r.read_bytes(length, f.data));
  if (!offset_in_range(f.offset, length)) return wire_errc::stream_offset_out_of_range;
  return {};
}

status body(reader& r, std::uint8_t, new_token_frame& f) noexcept {
  std::uint64_t length = 0;
  TERN_TRY_R(r.read_varint(length));
  if (length == 0) return wire_errc::empty_token;
  return r.read_bytes(length, f.token);
}

status body(reader& r, std::uint8_t type, stream_frame& f) noexcept {
  TERN_TRY_R(r.read_varint(f.stream_id));
  f.offset = 0;
  if ((type & frame_type::stream_off_bit) != 0) TERN_TRY_R(r.read_varint(f.offset));
  f.has_length = (type & frame_type::stream_len_bit) != 0;
  f.fin = (type & frame_type::stream_fin_bit) != 0;
  std::uint64_t length = r.remaining();
  if (f.has_length) TERN_TRY_R(r.read_varint(length));
  TERN_TRY_R(r.read_bytes(length, f.data));
  if (!offset_in_range(f.offset, length)) return wire_errc::stream_offset_out_of_range;
  return {};
}

status body(reader& r, std::uint8_t, max_data_frame& f) noexcept { return r.read_varint(f.maximum); }

status body(reader& r, std::uint8_t, max_stream_data_frame& f) noexcept {
  TERN_TRY_R(r.read_varint(f.stream_id));
  return r.read_varint(f.maximum);
}

status body(reader& r, std::uint8_t type, max_streams_frame& f) noexcept {
  f.bidirectional = type == frame_type::max_streams_bidi;
  TERN_TRY_R(r.read_varint(f.maximum));
  if (f.maximum > max_stream_count) return wire_errc::stream_limit_out_of_range;
  return {};
}

status body(reader& r, std::uint8_t, data_blocked_frame& f) noexcept { return r.read_varint(f.limit); }

status body(reader& r, std::uint8_t, stream_data_blocked_frame& f) noexcept {
  TERN_TRY_R(r.read_varint(f.stream_id));
  return r.read_varint(f.limit);
}

status body(reader& r, std::uint8_t type, streams_blocked_frame& f) noexcept {
  f.bidirectional = type == frame_type::streams_blocked_bidi;
  TERN_TRY_R(r.read_varint(f.limit));
  if (f.limit > max_stream_count) return wire_errc::stream_limit_out_of_range;
  return {};
}

status body(reader& r, std::uint8_t, new_connection_id_frame& f) noexcept {
  TERN_TRY_R(r.read_varint(f.sequence));
  TERN_TRY_R(r.read_varint(f.retire_prior_to));
  std::uint8_t length = 0;
  TERN_TRY_R(r.read_u8(length));
  if (length == 0 || length > max_connection_id_length) return wire_errc::invalid_connection_id_length;
  std::span<const std::byte> cid;
  TERN_TRY_R(r.read_bytes(length, cid));
  TERN_TRY_R(connection_id::from_bytes(cid, f.cid));
  TERN_TRY_R(r.read_into(f.stateless_reset_token));
  if (f.retire_prior_to > f.sequence) return wire_errc::invalid_retire_prior_to;
  return {};
}

status body(reader& r, std::uint8_t, retire_connection_id_frame& f) noexcept {
  return r.read_varint(f.sequence);
}

status body(reader& r, std::uint8_t, path_challenge_frame& f) noexcept { return r.read_into(f.data); }
status body(reader& r, std::uint8_t, path_response_frame& f) noexcept { return r.read_into(f.data); }

status body(reader& r, std::uint8_t type, connection_close_frame& f) noexcept {
  f.application = type == frame_type::connection_close_app;
  TERN_TRY_R(r.read_varint(f.error_code));
  f.frame_type = 0;
  if (!f.application) TERN_TRY_R(r.read_varint(f.frame_type));
  std::uint64_t length = 0;
  TERN_TRY_R(r.read_varint(length));
  return r.read_bytes(length, f.reason);
}

status body(reader& r, std::uint8_t type, datagram_frame& f) noexcept {
  f.message.reset();
  const bool flow = type == frame_type::flow_message;
  if (flow || (type & frame_type::datagram_msg_bit) != 0) {
    message_fields m;
    std::uint64_t ttl_us = 0;
    if (flow) {
      std::uint64_t flags = 0;
      TERN_TRY_R(r.read_varint(m.flow));
      TERN_TRY_R(r.read_varint(flags));
      if ((flags & ~frame_type::flow_message_unordered) != 0) return wire_errc::invalid_message_flags;
      m.unordered = (flags & frame_type::flow_message_unordered) != 0;
    }
    TERN_TRY_R(r.read_varint(m.message_id));
    TERN_TRY_R(r.read_varint(m.message_length));
    TERN_TRY_R(r.read_varint(m.offset));
    TERN_TRY_R(r.read_varint(ttl_us));
    m.ttl = micros_to_duration(ttl_us);
    f.message = m;
  }
  f.has_length = flow || (type & frame_type::datagram_len_bit) != 0;
  std::uint64_t length = r.remaining();
  if (f.has_length) TERN_TRY_R(r.read_varint(length));
  TERN_TRY_R(r.read_bytes(length, f.data));
  if (f.message && (f.message->offset > f.message->message_length ||
                    length > f.message->message_length - f.message->offset))
    return wire_errc::message_fragment_out_of_range;
  return {};
}

status body(reader& r, std::uint8_t type, message_abandon_frame& f) noexcept {
  f.flow = 0;
  f.cause = 0;
  if (type == frame_type::flow_abandon) {
    TERN_TRY_R(r.read_varint(f.flow));
    TERN_TRY_R(r.read_varint(f.message_id));
    return r.read_varint(f.cause);
  }
  return r.read_varint(f.message_id);
}

template <class X>
status decode_typed(reader& r, X& f, std::uint8_t lo, std::uint8_t hi) noexcept {
  std::uint8_t type = 0;
  TERN_TRY_R(read_type(r, lo, hi, type));
  return body(r, type, f);
}

template <class X>
status decode_into(reader& r, std::uint8_t type, frame& out) noexcept {
  return body(r, type, out.emplace<X>());
}

std::size_t bytes_field_size(std::span<const std::byte> b) noexcept { return varint_size(b.size()) + b.size(); }

} // namespace

// PADDING ---------------------------------------------------------------------

std::size_t encoded_size(const padding_frame& f) noexcept { return f.length; }
std::error_code encode(writer& w, const padding_frame& f) noexcept { return w.write_zeros(f.length); }
std::error_code decode(reader& r, padding_frame& f) noexcept {
  std::uint8_t type = 0;
  TERN_TRY_R(read_type(r, frame_type::padding, frame_type::padding, type));
  const auto rest = r.rest();
  std::size_t n = 0;
  while (n < rest.size() && rest[n] == std::byte{0}) ++n;
  (void)r.skip(n);
  f.length = n + 1;
  return {};
}

// Frames without fields ---------------------------------------------------------

std::size_t encoded_size(const ping_frame&) noexcept { return 1; }
std::error_code encode(writer& w, const ping_frame& f) noexcept { return w.write_u8(type_byte(f)); }
std::error_code decode(reader& r, ping_frame&) noexcept {
  std::uint8_t type = 0;
  return read_type(r, frame_type::ping, frame_type::ping, type);
}

std::size_t encoded_size(const handshake_done_frame&) noexcept { return 1; }
std::error_code encode(writer& w, const handshake_done_frame& f) noexcept { return w.write_u8(type_byte(f)); }
std::error_code decode(reader& r, handshake_done_frame&) noexcept {
  std::uint8_t type = 0;
  return read_type(r, frame_type::handshake_done, frame_type::handshake_done, type);
}

// RESET_STREAM, STOP_SENDING --------------------------------------------------

std::size_t encoded_size(const reset_stream_frame& f) noexcept {
  return 1 + varint_size(f.stream_id) + varint_size(f.error_code) + varint_size(f.final_size);
}
std::error_code encode(writer& w, const reset_stream_frame& f) noexcept {
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.stream_id));
  TERN_TRY_W(w.write_varint(f.error_code));
  TERN_TRY_W(w.write_varint(f.final_size));
  return {};
}
std::error_code decode(reader& r, reset_stream_frame& f) noexcept {
  return decode_typed(r, f, frame_type::reset_stream, frame_type::reset_stream);
}

std::size_t encoded_size(const stop_sending_frame& f) noexcept {
  return 1 + varint_size(f.stream_id) + varint_size(f.error_code);
}
std::error_code encode(writer& w, const stop_sending_frame& f) noexcept {
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.stream_id));
  TERN_TRY_W(w.write_varint(f.error_code));
  return {};
}
std::error_code decode(reader& r, stop_sending_frame& f) noexcept {
  return decode_typed(r, f, frame_type::stop_sending, frame_type::stop_sending);
}

// CRYPTO, NEW_TOKEN, STREAM ---------------------------------------------------

std::size_t encoded_size(const crypto_frame& f) noexcept {
  return 1 + varint_size(f.offset) + bytes_field_size(f.data);
}
std::error_code encode(writer& w, const crypto_frame& f) noexcept {
  if (!offset_in_range(f.offset, f.data.size())) return wire_errc::stream_offset_out_of_range;
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.offset));
  TERN_TRY_W(w.write_varint(f.data.size()));
  TERN_TRY_W(w.write_bytes(f.data));
  return {};
}
std::error_code decode(reader& r, crypto_frame& f) noexcept {
  return decode_typed(r, f, frame_type::crypto, frame_type::crypto);
}

std::size_t encoded_size(const new_token_frame& f) noexcept { return 1 + bytes_field_size(f.token); }
std::error_code encode(writer& w, const new_token_frame& f) noexcept {
  if (f.token.empty()) return wire_errc::empty_token;
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.token.size()));
  TERN_TRY_W(w.write_bytes(f.token));
  return {};
}
std::error_code decode(reader& r, new_token_frame& f) noexcept {
  return decode_typed(r, f, frame_type::new_token, frame_type::new_token);
}

std::size_t encoded_size(const stream_frame& f) noexcept {
  return 1 + varint_size(f.stream_id) + (f.offset != 0 ? varint_size(f.offset) : 0) +
         (f.has_length ? varint_size(f.data.size()) : 0) + f.data.size();
}
std::error_code encode(writer& w, const stream_frame& f) noexcept {
  if (!offset_in_range(f.offset, f.data.size())) return wire_errc::stream_offset_out_of_range;
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.stream_id));
  if (f.offset != 0) TERN_TRY_W(w.write_varint(f.offset));
  if (f.has_length) TERN_TRY_W(w.write_varint(f.data.size()));
  TERN_TRY_W(w.write_bytes(f.data));
  return {};
}
std::error_code decode(reader& r, stream_frame& f) noexcept {
  return decode_typed(r, f, frame_type::stream, frame_type::stream_last);
}

// Flow control ------------------------------------------------------------------

std::size_t encoded_size(const max_data_frame& f) noexcept { return 1 + varint_size(f.maximum); }
std::error_code encode(writer& w, const max_data_frame& f) noexcept {
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.maximum));
  return {};
}
std::error_code decode(reader& r, max_data_frame& f) noexcept {
  return decode_typed(r, f, frame_type::max_data, frame_type::max_data);
}

std::size_t encoded_size(const max_stream_data_frame& f) noexcept {
  return 1 + varint_size(f.stream_id) + varint_size(f.maximum);
}
std::error_code encode(writer& w, const max_stream_data_frame& f) noexcept {
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.stream_id));
  TERN_TRY_W(w.write_varint(f.maximum));
  return {};
}
std::error_code decode(reader& r, max_stream_data_frame& f) noexcept {
  return decode_typed(r, f, frame_type::max_stream_data, frame_type::max_stream_data);
}

std::size_t encoded_size(const max_streams_frame& f) noexcept { return 1 + varint_size(f.maximum); }
std::error_code encode(writer& w, const max_streams_frame& f) noexcept {
  if (f.maximum > max_stream_count) return wire_errc::stream_limit_out_of_range;
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.maximum));
  return {};
}
std::error_code decode(reader& r, max_streams_frame& f) noexcept {
  return decode_typed(r, f, frame_type::max_streams_bidi, frame_type::max_streams_uni);
}

std::size_t encoded_size(const data_blocked_frame& f) noexcept { return 1 + varint_size(f.limit); }
std::error_code encode(writer& w, const data_blocked_frame& f) noexcept {
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.limit));
  return {};
}
std::error_code decode(reader& r, data_blocked_frame& f) noexcept {
  return decode_typed(r, f, frame_type::data_blocked, frame_type::data_blocked);
}

std::size_t encoded_size(const stream_data_blocked_frame& f) noexcept {
  return 1 + varint_size(f.stream_id) + varint_size(f.limit);
}
std::error_code encode(writer& w, const stream_data_blocked_frame& f) noexcept {
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.stream_id));
  TERN_TRY_W(w.write_varint(f.limit));
  return {};
}
std::error_code decode(reader& r, stream_data_blocked_frame& f) noexcept {
  return decode_typed(r, f, frame_type::stream_data_blocked, frame_type::stream_data_blocked);
}

std::size_t encoded_size(const streams_blocked_frame& f) noexcept { return 1 + varint_size(f.limit); }
std::error_code encode(writer& w, const streams_blocked_frame& f) noexcept {
  if (f.limit > max_stream_count) return wire_errc::stream_limit_out_of_range;
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.limit));
  return {};
}
std::error_code decode(reader& r, streams_blocked_frame& f) noexcept {
  return decode_typed(r, f, frame_type::streams_blocked_bidi, frame_type::streams_blocked_uni);
}

// Connection IDs and paths ---------------------------------------------------------

std::size_t encoded_size(const new_connection_id_frame& f) noexcept {
  return 1 + varint_size(f.sequence) + varint_size(f.retire_prior_to) + 1 + f.cid.size() +
         stateless_reset_token_length;
}
std::error_code encode(writer& w, const new_connection_id_frame& f) noexcept {
  if (f.cid.empty()) return wire_errc::invalid_connection_id_length;
  if (f.retire_prior_to > f.sequence) return wire_errc::invalid_retire_prior_to;
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.sequence));
  TERN_TRY_W(w.write_varint(f.retire_prior_to));
  TERN_TRY_W(w.write_u8(static_cast<std::uint8_t>(f.cid.size())));
  TERN_TRY_W(w.write_bytes(f.cid.bytes()));
  TERN_TRY_W(w.write_bytes(f.stateless_reset_token));
  return {};
}
std::error_code decode(reader& r, new_connection_id_frame& f) noexcept {
  return decode_typed(r, f, frame_type::new_connection_id, frame_type::new_connection_id);
}

std::size_t encoded_size(const retire_connection_id_frame& f) noexcept { return 1 + varint_size(f.sequence); }
std::error_code encode(writer& w, const retire_connection_id_frame& f) noexcept {
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.sequence));
  return {};
}
std::error_code decode(reader& r, retire_connection_id_frame& f) noexcept {
  return decode_typed(r, f, frame_type::retire_connection_id, frame_type::retire_connection_id);
}

std::size_t encoded_size(const path_challenge_frame& f) noexcept { return 1 + f.data.size(); }
std::error_code encode(writer& w, const path_challenge_frame& f) noexcept {
  if (w.remaining() < encoded_size(f)) return wire_errc::no_space;
  (void)w.write_u8(type_byte(f));
  return w.write_bytes(f.data);
}
std::error_code decode(reader& r, path_challenge_frame& f) noexcept {
  return decode_typed(r, f, frame_type::path_challenge, frame_type::path_challenge);
}

std::size_t encoded_size(const path_response_frame& f) noexcept { return 1 + f.data.size(); }
std::error_code encode(writer& w, const path_response_frame& f) noexcept {
  if (w.remaining() < encoded_size(f)) return wire_errc::no_space;
  (void)w.write_u8(type_byte(f));
  return w.write_bytes(f.data);
}
std::error_code decode(reader& r, path_response_frame& f) noexcept {
  return decode_typed(r, f, frame_type::path_response, frame_type::path_response);
}

// CONNECTION_CLOSE ------------------------------------------------------------------

std::size_t encoded_size(const connection_close_frame& f) noexcept {
  return 1 + varint_size(f.error_code) + (f.application ? 0 : varint_size(f.frame_type)) +
         bytes_field_size(f.reason);
}
std::error_code encode(writer& w, const connection_close_frame& f) noexcept {
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  TERN_TRY_W(w.write_varint(f.error_code));
  if (!f.application) TERN_TRY_W(w.write_varint(f.frame_type));
  TERN_TRY_W(w.write_varint(f.reason.size()));
  TERN_TRY_W(w.write_bytes(f.reason));
  return {};
}
std::error_code decode(reader& r, connection_close_frame& f) noexcept {
  return decode_typed(r, f, frame_type::connection_close, frame_type::connection_close_app);
}

// DATAGRAM, MESSAGE_ABANDON ------------------------------------------------------------

namespace {
// FLOW_MESSAGE's fields ahead of the DATAGRAM message fields: flow and flags.
std::size_t flow_prefix_size(const message_fields& m) noexcept {
  return m.flow != 0 || m.unordered ? varint_size(m.flow) + 1 : 0;
}
} // namespace

std::size_t encoded_size(const datagram_frame& f) noexcept {
  const bool with_length = f.has_length || is_flow_message(f);
  std::size_t n = 1 + (with_length ? varint_size(f.data.size()) : 0) + f.data.size();
  if (f.message)
    n += flow_prefix_size(*f.message) + varint_size(f.message->message_id) +
         varint_size(f.message->message_length) + varint_size(f.message->offset) +
         varint_size(duration_to_micros(f.message->ttl));
  return n;
}
std::error_code encode(writer& w, const datagram_frame& f) noexcept {
  if (f.message && (f.message->offset > f.message->message_length ||
                    f.data.size() > f.message->message_length - f.message->offset))
    return wire_errc::message_fragment_out_of_range;
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  if (is_flow_message(f)) {
    TERN_TRY_W(w.write_varint(f.message->flow));
    TERN_TRY_W(w.write_varint(f.message->unordered ? frame_type::flow_message_unordered : 0));
  }
  if (f.message) {
    TERN_TRY_W(w.write_varint(f.message->message_id));
    TERN_TRY_W(w.write_varint(f.message->message_length));
    TERN_TRY_W(w.write_varint(f.message->offset));
    TERN_TRY_W(w.write_varint(duration_to_micros(f.message->ttl)));
  }
  if (f.has_length || is_flow_message(f)) TERN_TRY_W(w.write_varint(f.data.size()));
  TERN_TRY_W(w.write_bytes(f.data));
  return {};
}
std::error_code decode(reader& r, datagram_frame& f) noexcept {
  std::uint8_t type = 0;
  if (!r.peek_u8(type) && type == frame_type::flow_message)
    return decode_typed(r, f, frame_type::flow_message, frame_type::flow_message);
  return decode_typed(r, f, frame_type::datagram, frame_type::datagram_last);
}

std::size_t encoded_size(const message_abandon_frame& f) noexcept {
  if (is_flow_abandon(f)) return 1 + varint_size(f.flow) + varint_size(f.message_id) + varint_size(f.cause);
  return 1 + varint_size(f.message_id);
}
std::error_code encode(writer& w, const message_abandon_frame& f) noexcept {
  TERN_BEGIN_W;
  TERN_TRY_W(w.write_u8(type_byte(f)));
  if (is_flow_abandon(f)) TERN_TRY_W(w.write_varint(f.flow));
  TERN_TRY_W(w.write_varint(f.message_id));
  if (is_flow_abandon(f)) TERN_TRY_W(w.write_varint(f.cause));
  return {};
}
std::error_code decode(reader& r, message_abandon_frame& f) noexcept {
  std::uint8_t type = 0;
  if (!r.peek_u8(type) && type == frame_type::flow_abandon)
    return decode_typed(r, f, frame_type::flow_abandon, frame_type::flow_abandon);
  return decode_typed(r, f, frame_type::message_abandon, frame_type::message_abandon);
}

// The variant ------------------------------------------------------------------------

std::size_t encoded_size(const frame& f) noexcept {
  return std::visit([](const auto& x) { return encoded_size(x); }, f);
}

std::error_code encode(writer& w, const frame& f) noexcept {
  return std::visit([&w](const auto& x) { return encode(w, x); }, f);
}

std::uint8_t type_of(const frame& f) noexcept {
  return std::visit([](const auto& x) { return type_byte(x); }, f);
}

std::error_code decode_frame(reader& r, frame& out) noexcept {
  std::uint8_t type = 0;
  TERN_TRY_R(r.peek_u8(type));
  if (varint_size_from_first_byte(std::byte{type}) != 1) {
    // Every tern frame type fits in one byte; a longer varint is either an
    // over-long encoding of one of them or a type tern does not know.
    std::uint64_t long_type = 0;
    TERN_TRY_R(r.read_varint(long_type));
    return long_type < 64 ? wire_errc::non_minimal_frame_type : wire_errc::unknown_frame_type;
  }
  if (!is_known_frame_type(type)) return wire_errc::unknown_frame_type;

  if (type == frame_type::padding) return decode(r, out.emplace<padding_frame>());
  (void)r.skip(1);
  switch (type) {
  case frame_type::ping: out.emplace<ping_frame>(); return {};
  case frame_type::handshake_done: out.emplace<handshake_done_frame>(); return {};
  case frame_type::ack:
  case frame_type::ack_ecn: return detail::decode_ack_body(r, type, out.emplace<ack_frame>());
  case frame_type::reset_stream: return decode_into<reset_stream_frame>(r, type, out);
  case frame_type::stop_sending: return decode_into<stop_sending_frame>(r, type, out);
  case frame_type::crypto: return decode_into<crypto_frame>(r, type, out);
  case frame_type::new_token: return decode_into<new_token_frame>(r, type, out);
  case frame_type::max_data: return decode_into<max_data_frame>(r, type, out);
  case frame_type::max_stream_data: return decode_into<max_stream_data_frame>(r, type, out);
  case frame_type::max_streams_bidi:
  case frame_type::max_streams_uni: return decode_into<max_streams_frame>(r, type, out);
  case frame_type::data_blocked: return decode_into<data_blocked_frame>(r, type, out);
  case frame_type::stream_data_blocked: return decode_into<stream_data_blocked_frame>(r, type, out);
  case frame_type::streams_blocked_bidi:
  case frame_type::streams_blocked_uni: return decode_into<streams_blocked_frame>(r, type, out);
  case frame_type::new_connection_id: return decode_into<new_connection_id_frame>(r, type, out);
  case frame_type::retire_connection_id: return decode_into<retire_connection_id_frame>(r, type, out);
  case frame_type::path_challenge: return decode_into<path_challenge_frame>(r, type, out);
  case frame_type::path_response: return decode_into<path_response_frame>(r, type, out);
  case frame_type::connection_close:
  case frame_type::connection_close_app: return decode_into<connection_close_frame>(r, type, out);
  case frame_type::message_abandon:
  case frame_type::flow_abandon: return decode_into<message_abandon_frame>(r, type, out);
  case frame_type::flow_message: return decode_into<datagram_frame>(r, type, out);
  case frame_type::repair: return detail::decode_repair_body(r, out.emplace<repair_frame>());
  case frame_type::repair_report: return detail::decode_repair_report_body(r, out.emplace<repair_report_frame>());
  default: break;
  }
  if (type >= frame_type::stream && type <= frame_type::stream_last) return decode_into<stream_frame>(r, type, out);
  if (type >= frame_type::datagram && type <= frame_type::datagram_last)
    return decode_into<datagram_frame>(r, type, out);
  return wire_errc::unknown_frame_type; // unreachable: is_known_frame_type covers every case above
}

// Capacity helpers ---------------------------------------------------------------------

std::optional<std::size_t> stream_data_fit(std::uint64_t stream_id, std::uint64_t offset, std::size_t space,
                                           bool with_length) noexcept {
  if (stream_id > varint_max || offset > varint_max) return std::nullopt;
  const std::size_t overhead = 1 + varint_size(stream_id) + (offset != 0 ? varint_size(offset) : 0);
  if (space < overhead) return std::nullopt;
  const std::size_t avail = space - overhead;
  std::optional<std::size_t> n = with_length ? fit_with_length(avail) : std::optional<std::size_t>{avail};
  if (n && *n > varint_max - offset) n = static_cast<std::size_t>(varint_max - offset);
  return n;
}

std::optional<std::size_t> crypto_data_fit(std::uint64_t offset, std::size_t space) noexcept {
  if (offset > varint_max) return std::nullopt;
  const std::size_t overhead = 1 + varint_size(offset);
  if (space < overhead) return std::nullopt;
  std::optional<std::size_t> n = fit_with_length(space - overhead);
  if (n && *n > varint_max - offset) n = static_cast<std::size_t>(varint_max - offset);
  return n;
}

std::optional<std::size_t> datagram_data_fit(const std::optional<message_fields>& message, std::size_t space,
                                             bool with_length) noexcept {
  std::size_t overhead = 1;
  if (message && (message->flow != 0 || message->unordered)) with_length = true;
  if (message)
    overhead += flow_prefix_size(*message) + varint_size(message->message_id) + varint_size(message->message_length) +
                varint_size(message->offset) + varint_size(duration_to_micros(message->ttl));
  if (space < overhead) return std::nullopt;
  const std::size_t avail = space - overhead;
  return with_length ? fit_with_length(avail) : std::optional<std::size_t>{avail};
}

} // namespace tern::wire
