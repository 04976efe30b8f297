// JSON-SEQ qlog writer (see trace_writer.hpp). Records are built in one
// reusable string and written with a single fwrite each; the FILE is fully
// buffered, so a busy connection costs a formatted line per event and a
// write(2) per 64 KiB.

#include "qlog/trace_writer.hpp"

#include "qlog/frame_json.hpp"
#include "qlog/json_out.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace tern::qlog {

namespace {

using json::append;
using json::append_ms;
using json::append_string;

constexpr char record_separator = '\x1e';
constexpr std::size_t file_buffer = 64 * 1024;

std::string_view name_of(packet_type t) {
  switch (t) {
  case packet_type::initial:
    return "initial";
  case packet_type::handshake:
    return "handshake";
  case packet_type::one_rtt:
    return "1RTT";
  case packet_type::zero_rtt:
    return "0RTT";
  }
  return "unknown";
}

std::string_view name_of(loss_trigger t) {
  switch (t) {
  case loss_trigger::reordering_threshold:
    return "reordering_threshold";
  case loss_trigger::time_threshold:
    return "time_threshold";
  case loss_trigger::pto_expired:
    return "pto_expired";
  }
  return "time_threshold";
}

std::string_view name_of(connection_state s) {
  switch (s) {
  case connection_state::attempted:
    return "attempted";
  case connection_state::handshake_started:
    return "handshake_started";
  case connection_state::handshake_complete:
    return "handshake_complete";
  case connection_state::handshake_confirmed:
    return "handshake_confirmed";
  case connection_state::closing:
    return "closing";
  case connection_state::draining:
    return "draining";
  case connection_state::closed:
    return "closed";
  }
  return "closed";
}

std::string_view name_of(key_type k) {
  return k == key_type::client_1rtt_secret ? "client_1rtt_secret" : "server_1rtt_secret";
}

std::string_view name_of(key_trigger t) {
  switch (t) {
  case key_trigger::tls:
    return "tls";
  case key_trigger::local_update:
    return "local_update";
  case key_trigger::remote_update:
    return "remote_update";
  }
  return "tls";
}

} // namespace

std::string trace_writer::file_name(std::string_view odcid_hex, vantage side) {
  std::string name(odcid_hex);
  name += side == vantage::client ? "_client.sqlog" : "_server.sqlog";
  return name;
}

std::unique_ptr<trace_writer> trace_writer::create(const std::string& dir, std::string_view odcid_hex,
                                                   vantage side, time_point reference, std::error_code& ec) {
  ec.clear();
  if (dir.empty() || odcid_hex.empty()) {
    ec = std::make_error_code(std::errc::invalid_argument);
    return nullptr;
  }
  const std::string path = dir + "/" + file_name(odcid_hex, side);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    ec = std::error_code(errno, std::generic_category());
    return nullptr;
  }
  std::setvbuf(f, nullptr, _IOFBF, file_buffer);
  std::unique_ptr<trace_writer> w(new trace_writer(f, reference));
  w->write_header(odcid_hex, side);
  return w;
}

std::unique_ptr<observer> trace_directory::open(const trace_id& id, std::error_code& ec) {
  return trace_writer::create(dir_, id.odcid_hex, id.side, id.reference, ec);
}

trace_writer::trace_writer(std::FILE* file, time_point reference) : file_(file), reference_(reference) {
  line_.reserve(512);
}

trace_writer::~trace_writer() {
  if (std::fclose(file_) != 0 && !error_) error_ = std::error_code(errno, std::generic_category());
}

void trace_writer::write_header(std::string_view odcid_hex, vantage side) {
  line_.clear();
  line_ += record_separator;
  line_ += R"({"qlog_version":"0.3","qlog_format":"JSON-SEQ","title":"tern connection )";
  line_ += odcid_hex;
  line_ += R"(","trace":{"vantage_point":{"name":"tern","type":")";
  line_ += side == vantage::client ? "client" : "server";
  line_ += R"("},"common_fields":{"ODCID":")";
  line_ += odcid_hex;
  line_ += R"(","group_id":")";
  line_ += odcid_hex;
  line_ += R"(","protocol_type":["QUIC"],"time_format":"relative","reference_time":)";
  append_ms(line_, reference_.time_since_epoch());
  line_ += "}}}\n";
  if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size() && !error_)
    error_ = std::error_code(errno, std::generic_category());
}

void trace_writer::begin_event(time_point now, std::string_view name) {
  line_.clear();
  line_ += record_separator;
  line_ += R"({"time":)";
  append_ms(line_, std::max(now - reference_, duration::zero()));
  line_ += R"(,"name":")";
  line_ += name;
  line_ += R"(","data":{)";
}

void trace_writer::end_event() {
  line_ += "}}\n";
  if (std::fwrite(line_.data(), 1, line_.size(), file_) != line_.size() && !error_)
    error_ = std::error_code(errno, std::generic_category());
}

void trace_writer::packet_event(time_point now, std::string_view name, const packet_info& p) {
  begin_event(now, name);
  line_ += R"("header":{"packet_type":")";
  line_ += name_of(p.type);
  line_ += R"(","packet_number":)";
  append(line_, p.number);
  line_ += R"(},"raw":{"length":)";
  append(line_, p.length);
  line_ += "},";
  append_frames(line_, p.frames);
  end_event();
}

void trace_writer::packet_sent(time_point now, const packet_info& p) {
  if (p.type != packet_type::one_rtt) long_header_sent_.emplace_back(p.number, p.type);
  packet_event(now, "transport:packet_sent", p);
}

void trace_writer::packet_received(time_point now, const packet_info& p) {
  packet_event(now, "transport:packet_received", p);
}

void trace_writer::packet_recovered(time_point now, const packet_info& p) {
  packet_event(now, "tern:packet_recovered", p);
}

packet_type trace_writer::type_of_sent(std::uint64_t number) const noexcept {
  for (const auto& [pn, type] : long_header_sent_)
    if (pn == number) return type;
  return packet_type::one_rtt;
}

void trace_writer::packet_lost(time_point now, std::uint64_t number, loss_trigger why) {
  begin_event(now, "recovery:packet_lost");
  line_ += R"("header":{"packet_type":")";
  line_ += name_of(type_of_sent(number));
  line_ += R"(","packet_number":)";
  append(line_, number);
  line_ += R"(},"trigger":")";
  line_ += name_of(why);
  line_ += '"';
  end_event();
}

void trace_writer::metrics_updated(time_point now, const recovery_metrics& m) {
  if (metrics_written_ && m == metrics_) return;
  begin_event(now, "recovery:metrics_updated");
  bool first = true;
  auto field = [&](std::string_view key) {
    if (!first) line_ += ',';
    first = false;
    line_ += '"';
    line_ += key;
    line_ += "\":";
  };
  // RTTs are meaningful once sampled; qlog wants them absent before.
  const bool sampled = m.smoothed_rtt > duration::zero();
  const bool all = !metrics_written_;
  if (sampled && (all || m.min_rtt != metrics_.min_rtt)) field("min_rtt"), append_ms(line_, m.min_rtt);
  if (sampled && (all || m.smoothed_rtt != metrics_.smoothed_rtt))
    field("smoothed_rtt"), append_ms(line_, m.smoothed_rtt);
  if (sampled && (all || m.latest_rtt != metrics_.latest_rtt))
    field("latest_rtt"), append_ms(line_, m.latest_rtt);
  if (sampled && (all || m.rtt_variance != metrics_.rtt_variance))
    field("rtt_variance"), append_ms(line_, m.rtt_variance);
  if (all || m.congestion_window != metrics_.congestion_window)
    field("congestion_window"), append(line_, m.congestion_window);
  if (all || m.bytes_in_flight != metrics_.bytes_in_flight)
    field("bytes_in_flight"), append(line_, m.bytes_in_flight);
  if (all || m.pacing_rate != metrics_.pacing_rate) field("pacing_rate"), append(line_, m.pacing_rate * 8);
  metrics_written_ = true;
  metrics_ = m;
  if (first) return; // only RTTs changed before they were sampled: nothing to say
  end_event();
}

void trace_writer::congestion_state_updated(time_point now, std::string_view state) {
  if (state == congestion_state_) return;
  begin_event(now, "recovery:congestion_state_updated");
  if (!congestion_state_.empty()) {
    line_ += R"("old":)";
    append_string(line_, congestion_state_);
    line_ += ',';
  }
  line_ += R"("new":)";
  append_string(line_, state);
  end_event();
  congestion_state_.assign(state);
}

void trace_writer::key_updated(time_point now, key_type key, std::uint64_t generation, key_trigger why) {
  begin_event(now, "security:key_updated");
  line_ += R"("key_type":")";
  line_ += name_of(key);
  line_ += R"(","generation":)";
  append(line_, generation);
  line_ += R"(,"trigger":")";
  line_ += name_of(why);
  line_ += '"';
  end_event();
}

void trace_writer::connection_state_updated(time_point now, connection_state state) {
  if (state_written_ && state == state_) return;
  begin_event(now, "connectivity:connection_state_updated");
  if (state_written_) {
    line_ += R"("old":")";
    line_ += name_of(state_);
    line_ += "\",";
  }
  line_ += R"("new":")";
  line_ += name_of(state);
  line_ += '"';
  end_event();
  state_written_ = true;
  state_ = state;
}

} // namespace tern::qlog
