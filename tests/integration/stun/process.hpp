#pragma once

// Child processes for the interop tests: start a program with its output
// captured in a file, read that output, stop it. POSIX only.

#include "support/skip.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>
#include <unistd.h>

namespace tern::test {

/// Full path of `name` on PATH, /usr/sbin or /sbin (stund lives in
/// /usr/sbin, which is not on every user's PATH); nullopt if absent.
std::optional<std::string> find_program(const std::string& name);

/// A running child process. stdout and stderr go to one log file, which
/// output() reads. The destructor sends SIGTERM, then SIGKILL if needed.
class child_process {
public:
  /// Starts argv[0] with the arguments; throws std::runtime_error if fork fails.
  explicit child_process(const std::vector<std::string>& argv);
  ~child_process();
  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  /// Everything the process wrote so far.
  std::string output() const;
  /// Waits until output() contains `text` or `timeout` passes.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout) const;
  /// Waits for the process to exit; returns its exit status, or nullopt on
  /// timeout (the process keeps running) or if it died from a signal.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();
  void stop();

private:
  pid_t pid_ = -1;
  std::string log_path_;
  bool reaped_ = false;
};

/// Runs a program to completion (killed after `timeout`) and returns its
/// exit status (nullopt on timeout) and combined output.
struct run_result {
  std::optional<int> status;
  std::string output;
};
run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

/// A UDP port that was free on `ip` a moment ago (bind to port 0, read it,
/// close). Another process could take it in between; the tests accept that
/// small race for programs that cannot report the port they bound.
int free_udp_port(const std::string& ip);

/// Runs `attempt(server, primary_port, alternate_port)` against a stund on
/// 127.0.0.1 and 127.0.0.2 (it insists on two addresses for RFC 3489
/// CHANGE-REQUEST; lo answers all of 127/8). stund binds both ports on both
/// addresses and exits if one is taken, so while `attempt` returns false a
/// new pair of free ports is tried, 5 times at most. Returns whether an
/// attempt returned true.
template <class Attempt>
bool with_stund(const std::string& stund, Attempt attempt) {
  for (int i = 0; i < 5; ++i) {
    const int p1 = free_udp_port("127.0.0.1");
    const int p2 = free_udp_port("127.0.0.1");
    if (p1 == p2) continue;
    child_process server{
        {stund, "-h", "127.0.0.1", "-a", "127.0.0.2", "-p", std::to_string(p1), "-o", std::to_string(p2)}};
    if (attempt(server, p1, p2)) return true;
  }
  return false;
}

/// The command line of coturn's turnserver as a plain STUN server (no TURN,
/// TLS, DTLS or CLI) on each of `listen_ips` at `port`, its pid file and
/// database in `state_dir`, logging verbosely to stdout; `extra` arguments
/// appended.
std::vector<std::string> coturn_stun_argv(const std::string& turnserver, const std::vector<std::string>& listen_ips,
                                          int port, const std::string& state_dir,
                                          const std::vector<std::string>& extra);

/// Waits until a turnserver started with coturn_stun_argv listens on `port`
/// of every one of `listen_ips`; false if it cannot (its log says the port
/// is taken, it exited, or `timeout` passed). coturn cannot bind port 0 and
/// report the port, and on a taken port it neither exits nor gives up: it
/// logs the failure and retries the bind forever.
bool coturn_listening(const child_process& server, const std::vector<std::string>& listen_ips, int port,
                      std::chrono::milliseconds timeout);

/// Runs `attempt(server, port)` against turnserver (coturn_stun_argv) on
/// `listen_ips` at a port that was free a moment ago, once it listens there.
/// While it cannot listen (another process took the port meanwhile), it is
/// stopped and a new free port tried, 5 times at most. The server's state
/// lives in a temporary directory removed afterwards. Returns whether
/// `attempt` ran.
template <class Attempt>
bool with_coturn(const std::string& turnserver, const std::vector<std::string>& listen_ips,
                 const std::vector<std::string>& extra, Attempt attempt) {
  struct removed_on_exit { // also when a REQUIRE in `attempt` throws
    std::filesystem::path path;
    ~removed_on_exit() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  } state_dir{std::filesystem::temp_directory_path() / ("tern-coturn-" + std::to_string(::getpid()))};
  std::filesystem::create_directories(state_dir.path);
  for (int i = 0; i < 5; ++i) {
    const int port = free_udp_port(listen_ips.front());
    child_process server{coturn_stun_argv(turnserver, listen_ips, port, state_dir.path.string(), extra)};
    if (!coturn_listening(server, listen_ips, port, std::chrono::seconds(20))) continue;
    attempt(server, port);
    return true;
  }
  return false;
}

// skip(why): support/skip.hpp.

/// The tern-stun binary the build made (TERN_STUN_TOOL), or "" without one.
[[maybe_unused]] inline std::string tern_stun_tool() {
#ifdef TERN_STUN_TOOL
  return TERN_STUN_TOOL;
#else
  return {};
#endif
}

} // namespace tern::test

/// Finds program `name` on PATH into `var`, or skips the test case.
#define REQUIRE_PROGRAM(var, name)                                                                           \
  const auto var = ::tern::test::find_program(name);                                                         \
  if (!var) {                                                                                                \
    ::tern::test::skip(std::string(name) + " is not installed");                                             \
    return;                                                                                                  \
  }
