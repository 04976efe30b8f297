#pragma once

// The two roles of tern-cp: the receiver (serve) and the sender (send).

#include <tern/tern.hpp>

#include <asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace tern_cp {

struct receive_options {
  std::string directory;
  bool once = false; ///< exit after the first connection ended
  /// Replace an existing target; without it such a file is refused ("exists").
  bool overwrite = false;
  /// A file stream that delivers no byte for this long is cut off (its
  /// descriptors closed; a non-empty partial kept for --resume).
  double stream_timeout_seconds = 60;
};

struct serve_summary {
  std::size_t received = 0;
  std::size_t refused = 0; ///< files refused or interrupted (each told why on stderr)
};

/// Serves one file per stream into options.directory; runs until the
/// endpoint closes (or after one connection with `once`). Raises the soft
/// RLIMIT_NOFILE to the hard limit and bounds the files in transfer from it
/// (open_file_budget.hpp), printing the bounds on stderr. Throws
/// std::system_error if the directory cannot be opened.
asio::awaitable<serve_summary> serve(tern::endpoint& ep, receive_options options);

/// One regular file to send.
struct source_file {
  std::string local;    ///< path to read
  std::string relative; ///< path announced to the receiver
};

/// Expands files and directories (recursively; symlinks skipped) into the
/// files to send, each named relative to its source's last component.
/// What cannot be sent is appended to `failures` as "path: reason".
std::vector<source_file> collect_sources(const std::vector<std::string>& sources,
                                         std::vector<std::string>& failures);

struct send_options {
  std::vector<source_file> files;
  std::size_t parallel = 4;     ///< files in flight at once, one stream each
  std::uint64_t rate_limit = 0; ///< bytes per second, app-level pacing; 0 = none
  bool resume = false;          ///< continue from what the receiver kept of an interrupted transfer
  bool json = false;
  bool progress = false; ///< redraw a progress line on stderr (a terminal) 4 times a second
};

/// A file of send_all that was not confirmed, and why.
struct unconfirmed_file {
  source_file file;
  std::string reason;
};

struct send_summary {
  std::size_t confirmed = 0;
  std::uint64_t bytes = 0;         ///< content bytes sent (and confirmed) by this run
  std::uint64_t resumed_bytes = 0; ///< confirmed bytes the receiver already had (--resume)
  double seconds = 0;
  std::vector<unconfirmed_file> failures;
};

/// Sends every file of options.files over `c` and waits for each file's result.
asio::awaitable<send_summary> send_all(tern::connection c, send_options options);

} // namespace tern_cp
