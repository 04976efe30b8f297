// See frame_json.hpp. Each frame becomes one object; only sizes are taken
// from data-bearing frames (their bytes may already be ciphertext on the
// send side), never contents.

#include "qlog/frame_json.hpp"

#include "qlog/json_out.hpp"
#include "wire/frame_type.hpp"

#include <string_view>
#include <type_traits>

namespace tern::qlog {

namespace {

/// Writes one frame object's members after `{"frame_type":"<type>"`.
class frame_object {
public:
  frame_object(std::string& out, std::string_view type) : out_(out) {
    out_ += R"({"frame_type":")";
    out_ += type;
    out_ += '"';
  }
  ~frame_object() { out_ += '}'; }
  frame_object(const frame_object&) = delete;
  frame_object& operator=(const frame_object&) = delete;

  frame_object& number(std::string_view key, std::uint64_t v) {
    this->key(key);
    json::append(out_, v);
    return *this;
  }
  frame_object& flag(std::string_view key, bool v) {
    this->key(key);
    out_ += v ? "true" : "false";
    return *this;
  }
  frame_object& text(std::string_view key, std::string_view v) {
    this->key(key);
    json::append_string(out_, v);
    return *this;
  }
  frame_object& hex(std::string_view key, std::span<const std::byte> v) {
    this->key(key);
    json::append_hex(out_, v);
    return *this;
  }
  frame_object& milliseconds(std::string_view key, duration v) {
    this->key(key);
    json::append_ms(out_, v);
    return *this;
  }
  /// [[smallest, largest], ...] in ascending order, as qlog lists them.
  frame_object& ranges(std::string_view key, const wire::ack_range_list& list) {
    this->key(key);
    out_ += '[';
    for (std::size_t i = list.size(); i-- > 0;) {
      out_ += '[';
      json::append(out_, list[i].smallest);
      out_ += ',';
      json::append(out_, list[i].largest);
      out_ += ']';
      if (i != 0) out_ += ',';
    }
    out_ += ']';
    return *this;
  }

private:
  void key(std::string_view k) {
    out_ += ",\"";
    out_ += k;
    out_ += "\":";
  }
  std::string& out_;
};

std::string_view stream_type(bool bidirectional) { return bidirectional ? "bidirectional" : "unidirectional"; }

void append_frame(std::string& out, const wire::frame& frame) {
  std::visit(
      [&out](const auto& f) {
        using F = std::decay_t<decltype(f)>;
        if constexpr (std::is_same_v<F, wire::padding_frame>) {
          frame_object(out, "padding").number("length", f.length).number("payload_length", f.length);
        } else if constexpr (std::is_same_v<F, wire::ping_frame>) {
          frame_object(out, "ping");
        } else if constexpr (std::is_same_v<F, wire::ack_frame>) {
          frame_object o(out, "ack");
          o.milliseconds("ack_delay", f.ack_delay).ranges("acked_ranges", f.ranges);
          if (f.ecn) o.number("ect0", f.ecn->ect0).number("ect1", f.ecn->ect1).number("ce", f.ecn->ce);
        } else if constexpr (std::is_same_v<F, wire::reset_stream_frame>) {
          frame_object(out, "reset_stream")
              .number("stream_id", f.stream_id)
              .number("error_code", f.error_code)
              .number("final_size", f.final_size);
        } else if constexpr (std::is_same_v<F, wire::stop_sending_frame>) {
          frame_object(out, "stop_sending").number("stream_id", f.stream_id).number("error_code", f.error_code);
        } else if constexpr (std::is_same_v<F, wire::crypto_frame>) {
          frame_object(out, "crypto").number("offset", f.offset).number("length", f.data.size());
        } else if constexpr (std::is_same_v<F, wire::new_token_frame>) {
          // The token's bytes are a credential of the server: only its size.
          frame_object o(out, "new_token");
          out += R"(,"token":{"length":)";
          json::append(out, f.token.size());
          out += '}';
        } else if constexpr (std::is_same_v<F, wire::stream_frame>) {
          frame_object(out, "stream")
              .number("stream_id", f.stream_id)
              .number("offset", f.offset)
              .number("length", f.data.size())
              .flag("fin", f.fin);
        } else if constexpr (std::is_same_v<F, wire::max_data_frame>) {
          frame_object(out, "max_data").number("maximum", f.maximum);
        } else if constexpr (std::is_same_v<F, wire::max_stream_data_frame>) {
          frame_object(out, "max_stream_data").number("stream_id", f.stream_id).number("maximum", f.maximum);
        } else if constexpr (std::is_same_v<F, wire::max_streams_frame>) {
          frame_object(out, "max_streams").text("stream_type", stream_type(f.bidirectional)).number("maximum", f.maximum);
        } else if constexpr (std::is_same_v<F, wire::data_blocked_frame>) {
          frame_object(out, "data_blocked").number("limit", f.limit);
        } else if constexpr (std::is_same_v<F, wire::stream_data_blocked_frame>) {
          frame_object(out, "stream_data_blocked").number("stream_id", f.stream_id).number("limit", f.limit);
        } else if constexpr (std::is_same_v<F, wire::streams_blocked_frame>) {
          frame_object(out, "streams_blocked").text("stream_type", stream_type(f.bidirectional)).number("limit", f.limit);
        } else if constexpr (std::is_same_v<F, wire::new_connection_id_frame>) {
          frame_object(out, "new_connection_id")
              .number("sequence_number", f.sequence)
              .number("retire_prior_to", f.retire_prior_to)
              .number("connection_id_length", f.cid.bytes().size())
              .hex("connection_id", f.cid.bytes());
        } else if constexpr (std::is_same_v<F, wire::retire_connection_id_frame>) {
          frame_object(out, "retire_connection_id").number("sequence_number", f.sequence);
        } else if constexpr (std::is_same_v<F, wire::path_challenge_frame>) {
          frame_object(out, "path_challenge").hex("data", f.data);
        } else if constexpr (std::is_same_v<F, wire::path_response_frame>) {
          frame_object(out, "path_response").hex("data", f.data);
        } else if constexpr (std::is_same_v<F, wire::connection_close_frame>) {
          // The reason phrase is left out: on the send side its bytes are
          // already encrypted when the packet is reported.
          frame_object o(out, "connection_close");
          o.text("error_space", f.application ? "application" : "transport").number("error_code", f.error_code);
          if (!f.application) o.number("trigger_frame_type", f.frame_type);
        } else if constexpr (std::is_same_v<F, wire::handshake_done_frame>) {
          frame_object(out, "handshake_done");
        } else if constexpr (std::is_same_v<F, wire::datagram_frame>) {
          frame_object o(out, "datagram");
          o.number("length", f.data.size());
          if (f.message)
            o.number("tern_message_id", f.message->message_id)
                .number("tern_message_length", f.message->message_length)
                .number("tern_message_offset", f.message->offset)
                .milliseconds("tern_message_ttl", f.message->ttl);
          if (f.message && (f.message->flow != 0 || f.message->unordered))
            o.number("tern_message_flow", f.message->flow).flag("tern_message_unordered", f.message->unordered);
        } else if constexpr (std::is_same_v<F, wire::message_abandon_frame>) {
          const bool on_flow = f.flow != 0 || f.cause != 0;
          frame_object o(out, "unknown");
          o.number("raw_frame_type", on_flow ? wire::frame_type::flow_abandon : wire::frame_type::message_abandon)
              .text("tern_frame_type", on_flow ? "flow_abandon" : "message_abandon")
              .number("tern_message_id", f.message_id);
          if (on_flow) o.number("tern_message_flow", f.flow).number("tern_abandon_cause", f.cause);
        } else if constexpr (std::is_same_v<F, wire::repair_frame>) {
          frame_object(out, "unknown")
              .number("raw_frame_type", wire::frame_type::repair)
              .text("tern_frame_type", "repair")
              .number("tern_first_packet", f.first_packet)
              .number("tern_source_count", f.source_count())
              .number("tern_repair_index", f.repair_index)
              .number("tern_repair_count", f.repair_count)
              .number("length", f.symbol.size());
        } else if constexpr (std::is_same_v<F, wire::repair_report_frame>) {
          frame_object(out, "unknown")
              .number("raw_frame_type", wire::frame_type::repair_report)
              .text("tern_frame_type", "repair_report")
              .number("tern_packets_seen", f.packets_seen)
              .number("tern_packets_missing", f.packets_missing)
              .number("tern_loss_events", f.loss_events)
              .number("tern_packets_recovered", f.packets_recovered);
        } else {
          static_assert(!sizeof(F), "every frame type has a qlog form");
        }
      },
      frame);
}

} // namespace

void append_frames(std::string& out, std::span<const wire::frame> frames) {
  out += R"("frames":[)";
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (i != 0) out += ',';
    append_frame(out, frames[i]);
  }
  out += ']';
}

} // namespace tern::qlog
