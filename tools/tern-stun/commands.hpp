#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace tern::tools {

struct query_settings {
  std::string server; ///< HOST:PORT
  std::string bind;   ///< local ADDR:PORT, empty for any
  bool json = false;
  int family = 0; ///< 0 any, 4, 6
  std::chrono::milliseconds timeout{10'000};
  std::chrono::milliseconds rto{500};
  unsigned rc = 7;
  unsigned rm = 16;
  std::string software = "tern-stun";
  bool fingerprint = true;
};

struct serve_settings {
  std::vector<std::string> listen; ///< ADDR:PORT, port 0 for an ephemeral port
  std::string software = "tern-stun";
  bool fingerprint = true;
  bool rfc3489 = true;
  bool verbose = false;
};

/// Runs one Binding transaction; prints the mapped address (or JSON).
/// Returns the process exit status: 0 success, 1 the query failed, 2 bad
/// arguments or a local socket error.
int run_query(const query_settings& settings);

/// Serves until SIGINT/SIGTERM. Prints "listening on ADDR:PORT" per socket
/// on stdout once bound. Returns the process exit status.
int run_serve(const serve_settings& settings);

} // namespace tern::tools
