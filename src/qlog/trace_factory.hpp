#pragma once

// Where a connection's qlog trace goes (docs/observability.md). The sans-IO
// core never opens a file: its driver puts a trace_factory in
// core::connection_config::qlog, and each connection asks it once, when it
// starts, for the observer of its trace. The file-writing factory is
// qlog::trace_directory (qlog/trace_writer.hpp); tests can hand out
// in-memory observers instead.

#include "qlog/observer.hpp"

#include <tern/time.hpp>

#include <cstdint>
#include <memory>
#include <string_view>
#include <system_error>

namespace tern::qlog {

/// Which end of the connection a trace is written from.
enum class vantage : std::uint8_t { client, server };

/// What names and starts one connection's trace.
struct trace_id {
  /// The client's original Destination Connection ID, in hex: the two ends
  /// of one connection share it.
  std::string_view odcid_hex;
  vantage side = vantage::client;
  /// The connection's start: event times count from it.
  time_point reference{};
};

class trace_factory {
public:
  virtual ~trace_factory() = default;
  /// The observer for the connection `id` names, or null with `ec` set when
  /// none can be made (the connection then runs untraced and reports `ec`
  /// through connection::qlog_error()). Called on the connection's thread;
  /// must not throw.
  virtual std::unique_ptr<observer> open(const trace_id& id, std::error_code& ec) = 0;
};

} // namespace tern::qlog
