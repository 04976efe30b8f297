#pragma once

// Checks a qlog JSON-SEQ file against what the qlog main schema (0.3) and
// the QUIC event definitions require of the events tern writes: every
// record is RS-prefixed, newline-terminated JSON; the first is the header
// (qlog_format "JSON-SEQ", qlog_version, a trace with common_fields and a
// vantage point); each event has a numeric `time`, a `name` and an object
// `data` with the members its type requires; times never go backwards.
// Packets carry a `frames` array of qlog QuicFrame objects with the members
// qvis reads: ACK frames' acked_ranges as [smallest, largest] pairs, stream
// frames' stream_id / offset / length / fin (docs/observability.md).

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace tern::test::qlog_schema {

struct trace_summary {
  std::vector<std::string> errors;            ///< empty when the file is valid
  std::string vantage;                        ///< trace.vantage_point.type
  std::string odcid;                          ///< trace.common_fields.ODCID
  std::map<std::string, std::size_t> events;  ///< count per event name
  std::vector<std::string> connection_states; ///< each `new` of connection_state_updated, in order
  std::set<std::string> key_triggers;         ///< triggers of security:key_updated
  std::set<std::string> loss_triggers;
  bool saw_congestion_window = false;
  bool saw_smoothed_rtt = false;
  std::map<std::string, std::size_t> frames_sent;     ///< count per frame_type
  std::map<std::string, std::size_t> frames_received; ///< count per frame_type
  /// Per stream, the [offset, end) ranges of stream frames received.
  std::map<std::uint64_t, std::vector<std::pair<std::uint64_t, std::uint64_t>>> stream_ranges_received;
  std::set<std::uint64_t> packets_sent;  ///< packet numbers of packet_sent
  std::set<std::uint64_t> packets_acked; ///< numbers in the acked_ranges of received ACK frames
};

/// Bytes of a stream covered by `ranges` (overlaps, i.e. retransmissions
/// received twice, count once).
inline std::uint64_t covered_bytes(std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t total = 0;
  std::uint64_t reached = 0;
  for (const auto& [lo, hi] : ranges) {
    const std::uint64_t from = std::max(lo, reached);
    if (hi > from) total += hi - from;
    reached = std::max(reached, hi);
  }
  return total;
}

using nlohmann::json;

/// The member `key` of `v`, or null when absent or `v` is not an object.
inline const json* find(const json& v, const char* key) {
  if (!v.is_object()) return nullptr;
  const auto it = v.find(key);
  return it == v.end() ? nullptr : &*it;
}

inline const json* member(const json& v, std::initializer_list<const char*> path) {
  const json* at = &v;
  for (const char* key : path) {
    at = find(*at, key);
    if (!at) return nullptr;
  }
  return at;
}

inline const std::string& text(const json& v) { return v.get_ref<const std::string&>(); }

inline bool one_of(const json* v, std::initializer_list<const char*> allowed) {
  if (!v || !v->is_string()) return false;
  for (const char* a : allowed)
    if (text(*v) == a) return true;
  return false;
}

inline bool non_negative(const json* v) { return v && v->is_number() && v->get<double>() >= 0; }

/// The frames of a packet_sent / packet_received, with the members each
/// frame_type needs (the ones qvis draws from, and the qlog draft's
/// required ones).
template <class Error>
void check_frames(const json& data, bool sent, trace_summary& out, const Error& error) {
  const auto* frames = find(data, "frames");
  if (!frames || !frames->is_array() || frames->empty()) {
    error("needs a non-empty frames array");
    return;
  }
  for (const auto& f : *frames) {
    const auto* type = find(f, "frame_type");
    if (!f.is_object() || !type || !type->is_string()) {
      error("a frame needs a frame_type");
      continue;
    }
    const std::string& t = text(*type);
    ++(sent ? out.frames_sent : out.frames_received)[t];
    auto needs = [&](std::initializer_list<const char*> keys) {
      for (const char* k : keys)
        if (!non_negative(find(f, k))) error(t + " frame needs a non-negative number " + k);
    };
    if (t == "ack") {
      needs({"ack_delay"});
      const auto* ranges = find(f, "acked_ranges");
      if (!ranges || !ranges->is_array() || ranges->empty()) {
        error("ack frame needs acked_ranges");
        continue;
      }
      for (const auto& r : *ranges) {
        if (!r.is_array() || r.size() != 2 || !non_negative(&r[0]) || !non_negative(&r[1]) ||
            r[0].get<double>() > r[1].get<double>()) {
          error("acked_ranges entries must be [smallest, largest] with smallest <= largest");
          continue;
        }
        if (sent) continue;
        const auto lo = r[0].get<std::uint64_t>();
        const auto hi = r[1].get<std::uint64_t>();
        for (std::uint64_t pn = lo; pn <= hi && pn - lo < 100000; ++pn) out.packets_acked.insert(pn);
      }
    } else if (t == "stream") {
      needs({"stream_id", "offset", "length"});
      const auto* fin = find(f, "fin");
      if (!fin || !fin->is_boolean()) error("stream frame needs a boolean fin");
      if (!sent && non_negative(find(f, "stream_id")) && non_negative(find(f, "offset")) &&
          non_negative(find(f, "length"))) {
        const auto offset = find(f, "offset")->get<std::uint64_t>();
        const auto length = find(f, "length")->get<std::uint64_t>();
        out.stream_ranges_received[find(f, "stream_id")->get<std::uint64_t>()].emplace_back(offset,
                                                                                            offset + length);
      }
    } else if (t == "crypto") {
      needs({"offset", "length"});
    } else if (t == "padding" || t == "datagram") {
      needs({"length"});
    } else if (t == "max_data") {
      needs({"maximum"});
    } else if (t == "max_stream_data") {
      needs({"stream_id", "maximum"});
    } else if (t == "max_streams" || t == "streams_blocked") {
      if (!one_of(find(f, "stream_type"), {"bidirectional", "unidirectional"}))
        error(t + " needs stream_type");
    } else if (t == "reset_stream") {
      needs({"stream_id", "error_code", "final_size"});
    } else if (t == "stop_sending") {
      needs({"stream_id", "error_code"});
    } else if (t == "data_blocked") {
      needs({"limit"});
    } else if (t == "stream_data_blocked") {
      needs({"stream_id", "limit"});
    } else if (t == "new_connection_id") {
      needs({"sequence_number", "retire_prior_to", "connection_id_length"});
    } else if (t == "retire_connection_id") {
      needs({"sequence_number"});
    } else if (t == "path_challenge" || t == "path_response") {
      const auto* d = find(f, "data");
      if (!d || !d->is_string() || text(*d).size() != 16) error(t + " needs 8 bytes of hex data");
    } else if (t == "connection_close") {
      if (!one_of(find(f, "error_space"), {"transport", "application"}))
        error("connection_close needs error_space");
      needs({"error_code"});
    } else if (t == "new_token") {
      if (!non_negative(member(f, {"token", "length"}))) error("new_token needs token.length");
    } else if (t == "unknown") {
      needs({"raw_frame_type"});
    } else if (t != "ping" && t != "handshake_done") {
      error("unknown frame_type " + t);
    }
  }
}

inline void check_event(const json& data, const std::string& name, trace_summary& out,
                        const std::string& where) {
  auto error = [&](const std::string& what) { out.errors.push_back(where + ": " + name + ": " + what); };
  auto number = [&](const char* key) {
    const auto* v = find(data, key);
    if (!v || !v->is_number() || v->get<double>() < 0)
      error(std::string("needs a non-negative number ") + key);
  };
  if (name == "transport:packet_sent" || name == "transport:packet_received") {
    if (!one_of(member(data, {"header", "packet_type"}), {"initial", "handshake", "1RTT"}))
      error("header.packet_type missing or unknown");
    const auto* pn = member(data, {"header", "packet_number"});
    if (!pn || !pn->is_number()) error("header.packet_number missing");
    const auto* len = member(data, {"raw", "length"});
    if (!len || !len->is_number() || len->get<double>() <= 0) error("raw.length missing");
    const bool sent = name == "transport:packet_sent";
    if (sent && pn && pn->is_number()) out.packets_sent.insert(pn->get<std::uint64_t>());
    check_frames(data, sent, out, error);
  } else if (name == "recovery:packet_lost") {
    const auto* pn = member(data, {"header", "packet_number"});
    if (!pn || !pn->is_number()) error("header.packet_number missing");
    if (!one_of(member(data, {"header", "packet_type"}), {"initial", "handshake", "1RTT"}))
      error("header.packet_type missing or unknown");
    const auto* t = find(data, "trigger");
    if (!one_of(t, {"reordering_threshold", "time_threshold", "pto_expired"}))
      error("bad trigger");
    else
      out.loss_triggers.insert(text(*t));
  } else if (name == "recovery:metrics_updated") {
    static const std::set<std::string> known{"min_rtt",      "smoothed_rtt",      "latest_rtt",
                                             "rtt_variance", "congestion_window", "bytes_in_flight",
                                             "pacing_rate"};
    if (data.empty()) error("no metric");
    for (const auto& [key, v] : data.items()) {
      if (!known.count(key))
        error("unknown metric " + key);
      else
        number(key.c_str());
    }
    out.saw_congestion_window = out.saw_congestion_window || find(data, "congestion_window");
    out.saw_smoothed_rtt = out.saw_smoothed_rtt || find(data, "smoothed_rtt");
  } else if (name == "recovery:congestion_state_updated") {
    const auto* v = find(data, "new");
    if (!v || !v->is_string() || text(*v).empty()) error("needs `new`");
  } else if (name == "security:key_updated") {
    if (!one_of(find(data, "key_type"), {"client_1rtt_secret", "server_1rtt_secret"})) error("bad key_type");
    number("generation");
    const auto* t = find(data, "trigger");
    if (!one_of(t, {"tls", "local_update", "remote_update"}))
      error("bad trigger");
    else
      out.key_triggers.insert(text(*t));
    if (find(data, "new") || find(data, "old")) error("key material must not be logged");
  } else if (name == "connectivity:connection_state_updated") {
    static const std::initializer_list<const char*> states{
        "attempted", "handshake_started", "handshake_complete", "handshake_confirmed", "closing", "draining",
        "closed"};
    const auto* v = find(data, "new");
    if (!one_of(v, states))
      error("bad `new` state");
    else
      out.connection_states.push_back(text(*v));
    if (find(data, "old") && !one_of(find(data, "old"), states)) error("bad `old` state");
  } else {
    error("unexpected event name");
  }
}

inline trace_summary check_file(const std::string& path) {
  trace_summary out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.errors.push_back(path + ": cannot open");
    return out;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string contents = buf.str();
  if (contents.empty() || contents[0] != '\x1e') {
    out.errors.push_back(path + ": does not start with a record separator");
    return out;
  }
  std::size_t index = 0;
  double last_time = 0;
  for (std::size_t at = 0; at < contents.size();) {
    const std::size_t next = contents.find('\x1e', at + 1);
    const std::string record =
        contents.substr(at + 1, (next == std::string::npos ? contents.size() : next) - at - 1);
    at = next == std::string::npos ? contents.size() : next;
    const std::string where = path + " record " + std::to_string(index);
    if (record.empty() || record.back() != '\n') out.errors.push_back(where + ": not newline-terminated");
    json v;
    try {
      v = json::parse(record); // strict RFC 8259, valid UTF-8 included
    } catch (const json::parse_error& e) {
      out.errors.push_back(where + ": " + e.what());
      ++index;
      continue;
    }
    if (index++ == 0) {
      if (!one_of(find(v, "qlog_format"), {"JSON-SEQ"})) out.errors.push_back(where + ": qlog_format");
      if (!one_of(find(v, "qlog_version"), {"0.3"})) out.errors.push_back(where + ": qlog_version");
      const auto* vp = member(v, {"trace", "vantage_point", "type"});
      if (!one_of(vp, {"client", "server"}))
        out.errors.push_back(where + ": trace.vantage_point.type");
      else
        out.vantage = text(*vp);
      const auto* odcid = member(v, {"trace", "common_fields", "ODCID"});
      if (!odcid || !odcid->is_string() || text(*odcid).empty())
        out.errors.push_back(where + ": trace.common_fields.ODCID");
      else
        out.odcid = text(*odcid);
      if (!one_of(member(v, {"trace", "common_fields", "time_format"}), {"relative"}))
        out.errors.push_back(where + ": trace.common_fields.time_format");
      const auto* ref = member(v, {"trace", "common_fields", "reference_time"});
      if (!ref || !ref->is_number()) out.errors.push_back(where + ": trace.common_fields.reference_time");
      continue;
    }
    const auto* time = find(v, "time");
    const auto* name = find(v, "name");
    // qvis splits `name` at ':' into category and event type.
    const auto* data = find(v, "data");
    if (!time || !time->is_number() || !name || !name->is_string() || !data || !data->is_object()) {
      out.errors.push_back(where + ": an event needs time, name and data");
      continue;
    }
    if (text(*name).find(':') == std::string::npos)
      out.errors.push_back(where + ": name must be category:event");
    if (time->get<double>() < last_time) out.errors.push_back(where + ": time goes backwards");
    last_time = time->get<double>();
    ++out.events[text(*name)];
    check_event(*data, text(*name), out, where);
  }
  return out;
}

} // namespace tern::test::qlog_schema
