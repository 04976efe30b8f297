#pragma once

// Checks a qlog JSON-SEQ file against what the qlog main schema (0.3) and
// the QUIC event definitions require of the events tern writes: every
// record is RS-prefixed, newline-terminated JSON; the first is the header
// (qlog_format "JSON-SEQ", qlog_version, a trace with common_fields and a
// vantage point); each event has a numeric `time`, a `name` and an object
// `data` with the members its type requires; times never go backwards.

#include "json_reader.hpp"

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
};

inline const json::value* member(const json::value& v, std::initializer_list<const char*> path) {
  const json::value* at = &v;
  for (const char* key : path) {
    at = at->find(key);
    if (!at) return nullptr;
  }
  return at;
}

inline bool one_of(const json::value* v, std::initializer_list<const char*> allowed) {
  if (!v || !v->is_string()) return false;
  for (const char* a : allowed)
    if (v->string() == a) return true;
  return false;
}

inline void check_event(const json::value& data, const std::string& name, trace_summary& out,
                        const std::string& where) {
  auto error = [&](const std::string& what) { out.errors.push_back(where + ": " + name + ": " + what); };
  auto number = [&](const char* key) {
    const auto* v = data.find(key);
    if (!v || !v->is_number() || v->number() < 0) error(std::string("needs a non-negative number ") + key);
  };
  if (name == "transport:packet_sent" || name == "transport:packet_received") {
    if (!one_of(member(data, {"header", "packet_type"}), {"initial", "handshake", "1RTT"}))
      error("header.packet_type missing or unknown");
    const auto* pn = member(data, {"header", "packet_number"});
    if (!pn || !pn->is_number()) error("header.packet_number missing");
    const auto* len = member(data, {"raw", "length"});
    if (!len || !len->is_number() || len->number() <= 0) error("raw.length missing");
  } else if (name == "recovery:packet_lost") {
    const auto* pn = member(data, {"header", "packet_number"});
    if (!pn || !pn->is_number()) error("header.packet_number missing");
    if (!one_of(member(data, {"header", "packet_type"}), {"initial", "handshake", "1RTT"}))
      error("header.packet_type missing or unknown");
    const auto* t = data.find("trigger");
    if (!one_of(t, {"reordering_threshold", "time_threshold", "pto_expired"}))
      error("bad trigger");
    else
      out.loss_triggers.insert(t->string());
  } else if (name == "recovery:metrics_updated") {
    static const std::set<std::string> known{"min_rtt",      "smoothed_rtt",      "latest_rtt",
                                             "rtt_variance", "congestion_window", "bytes_in_flight",
                                             "pacing_rate"};
    if (data.members().empty()) error("no metric");
    for (const auto& [key, v] : data.members()) {
      if (!known.count(key))
        error("unknown metric " + key);
      else
        number(key.c_str());
    }
    out.saw_congestion_window = out.saw_congestion_window || data.find("congestion_window");
    out.saw_smoothed_rtt = out.saw_smoothed_rtt || data.find("smoothed_rtt");
  } else if (name == "recovery:congestion_state_updated") {
    const auto* v = data.find("new");
    if (!v || !v->is_string() || v->string().empty()) error("needs `new`");
  } else if (name == "security:key_updated") {
    if (!one_of(data.find("key_type"), {"client_1rtt_secret", "server_1rtt_secret"})) error("bad key_type");
    number("generation");
    const auto* t = data.find("trigger");
    if (!one_of(t, {"tls", "local_update", "remote_update"}))
      error("bad trigger");
    else
      out.key_triggers.insert(t->string());
    if (data.find("new") || data.find("old")) error("key material must not be logged");
  } else if (name == "connectivity:connection_state_updated") {
    static const std::initializer_list<const char*> states{
        "attempted", "handshake_started", "handshake_complete", "handshake_confirmed", "closing", "draining",
        "closed"};
    const auto* v = data.find("new");
    if (!one_of(v, states))
      error("bad `new` state");
    else
      out.connection_states.push_back(v->string());
    if (data.find("old") && !one_of(data.find("old"), states)) error("bad `old` state");
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
  const std::string text = buf.str();
  if (text.empty() || text[0] != '\x1e') {
    out.errors.push_back(path + ": does not start with a record separator");
    return out;
  }
  std::size_t index = 0;
  double last_time = 0;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t next = text.find('\x1e', at + 1);
    const std::string record = text.substr(at + 1, (next == std::string::npos ? text.size() : next) - at - 1);
    at = next == std::string::npos ? text.size() : next;
    const std::string where = path + " record " + std::to_string(index);
    if (record.empty() || record.back() != '\n') out.errors.push_back(where + ": not newline-terminated");
    json::parser p(record);
    auto v = p.parse();
    if (!v) {
      out.errors.push_back(where + ": " + p.error());
      ++index;
      continue;
    }
    if (index++ == 0) {
      if (!one_of(v->find("qlog_format"), {"JSON-SEQ"})) out.errors.push_back(where + ": qlog_format");
      if (!one_of(v->find("qlog_version"), {"0.3"})) out.errors.push_back(where + ": qlog_version");
      const auto* vp = member(*v, {"trace", "vantage_point", "type"});
      if (!one_of(vp, {"client", "server"}))
        out.errors.push_back(where + ": trace.vantage_point.type");
      else
        out.vantage = vp->string();
      const auto* odcid = member(*v, {"trace", "common_fields", "ODCID"});
      if (!odcid || !odcid->is_string() || odcid->string().empty())
        out.errors.push_back(where + ": trace.common_fields.ODCID");
      else
        out.odcid = odcid->string();
      if (!one_of(member(*v, {"trace", "common_fields", "time_format"}), {"relative"}))
        out.errors.push_back(where + ": trace.common_fields.time_format");
      const auto* ref = member(*v, {"trace", "common_fields", "reference_time"});
      if (!ref || !ref->is_number()) out.errors.push_back(where + ": trace.common_fields.reference_time");
      continue;
    }
    const auto* time = v->find("time");
    const auto* name = v->find("name");
    const auto* data = v->find("data");
    if (!time || !time->is_number() || !name || !name->is_string() || !data || !data->is_object()) {
      out.errors.push_back(where + ": an event needs time, name and data");
      continue;
    }
    if (time->number() < last_time) out.errors.push_back(where + ": time goes backwards");
    last_time = time->number();
    ++out.events[name->string()];
    check_event(*data, name->string(), out, where);
  }
  return out;
}

} // namespace tern::test::qlog_schema
