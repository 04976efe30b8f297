#pragma once

// A qlog trace file: the observer that writes one connection's events as
// JSON-SEQ (RFC 7464; draft-ietf-quic-qlog-main-schema-03, qlog 0.3), the
// streaming form qvis loads. The first record holds the trace's common
// fields (ODCID, vantage point, relative time format); each event record
// holds `time` in milliseconds since the connection started, `name` and
// `data`. Key material is never written: key_updated carries only the key
// type, generation and trigger.
//
// Recovery metrics, the congestion state and the connection state are
// reported after every call into the connection; the writer keeps the last
// values and writes only changes, so a file holds one record per change.

#include "qlog/observer.hpp"
#include "qlog/trace_factory.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace tern::qlog {

class trace_writer final : public observer {
public:
  /// Creates `dir`/<odcid_hex>_<client|server>.sqlog (replacing an older
  /// file of that name) and writes the header record. `reference` is the
  /// instant event times count from. Errors: invalid_argument for an empty
  /// dir or ODCID, the OS error when the file cannot be created (dir
  /// missing, not writable).
  static std::unique_ptr<trace_writer> create(const std::string& dir, std::string_view odcid_hex,
                                              vantage side, time_point reference, std::error_code& ec);
  /// The file name create() uses, without the directory.
  static std::string file_name(std::string_view odcid_hex, vantage side);

  ~trace_writer() override;
  trace_writer(const trace_writer&) = delete;
  trace_writer& operator=(const trace_writer&) = delete;

  void packet_sent(time_point now, const packet_info& p) override;
  void packet_received(time_point now, const packet_info& p) override;
  void packet_lost(time_point now, std::uint64_t number, loss_trigger why) override;
  void packet_recovered(time_point now, const packet_info& p) override;
  void metrics_updated(time_point now, const recovery_metrics& m) override;
  void congestion_state_updated(time_point now, std::string_view state) override;
  void key_updated(time_point now, key_type key, std::uint64_t generation, key_trigger why) override;
  void connection_state_updated(time_point now, connection_state state) override;

  /// Write errors seen so far (the disk filled up, ...): the trace is then
  /// incomplete, the connection unaffected.
  std::error_code error() const noexcept { return error_; }

private:
  trace_writer(std::FILE* file, time_point reference);
  void write_header(std::string_view odcid_hex, vantage side);
  /// Starts an event record: RS, time, name, and the opening of data.
  void begin_event(time_point now, std::string_view name);
  /// Closes data and the record and writes it.
  void end_event();
  void packet_event(time_point now, std::string_view name, const packet_info& p);
  packet_type type_of_sent(std::uint64_t number) const noexcept;

  std::FILE* file_;
  time_point reference_;
  std::string line_;
  std::error_code error_;
  // Last values written, so that only changes are.
  bool metrics_written_ = false;
  recovery_metrics metrics_{};
  std::string congestion_state_;
  bool state_written_ = false;
  connection_state state_ = connection_state::attempted;
  // Long-header packets sent (few, all during the handshake): the type a
  // lost packet is reported with. Every other packet number is 1-RTT.
  std::vector<std::pair<std::uint64_t, packet_type>> long_header_sent_;
};

/// The factory drivers install for a qlog directory: each connection gets
/// a trace_writer file in `dir` (trace_writer::create, whose errors open()
/// passes on).
class trace_directory final : public trace_factory {
public:
  explicit trace_directory(std::string dir) : dir_(std::move(dir)) {}
  std::unique_ptr<observer> open(const trace_id& id, std::error_code& ec) override;
  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

private:
  std::string dir_;
};

} // namespace tern::qlog
