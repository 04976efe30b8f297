#pragma once

// Runs tern-netem as a child process and talks UDP to it on loopback.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tern::netem::test {

/// A running tern-netem. The constructor starts it and waits (up to 10 s)
/// for its "listening HOST:PORT" line; the destructor kills it if needed.
class relay_process {
public:
  explicit relay_process(std::vector<std::string> args);
  ~relay_process();
  relay_process(const relay_process&) = delete;
  relay_process& operator=(const relay_process&) = delete;

  /// The relay's client-facing port, or 0 if it never said it was listening.
  std::uint16_t port() const noexcept { return port_; }

  /// The child's process id (-1 if it could not start).
  pid_t pid() const noexcept { return pid_; }

  /// Sends SIGTERM and waits for the exit; returns the exit status.
  int terminate();
  /// Sends SIGINT (as Ctrl-C does) without waiting.
  void interrupt();
  /// Waits (up to 20 s, then kills) and returns the exit status.
  int wait();

  /// Everything the process wrote (complete once it has exited).
  const std::string& out() const noexcept { return out_; }
  const std::string& err() const noexcept { return err_; }

private:
  void drain(int timeout_ms);
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
  std::uint16_t port_ = 0;
  std::optional<int> status_;
};

/// A non-blocking UDP socket bound to 127.0.0.1 on an ephemeral port.
class udp_socket {
public:
  udp_socket();
  ~udp_socket();
  udp_socket(const udp_socket&) = delete;
  udp_socket& operator=(const udp_socket&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  bool send_to(std::uint16_t port, const void* data, std::size_t size);
  /// Waits up to `timeout` for a datagram; returns its bytes and source port.
  std::optional<std::pair<std::vector<std::uint8_t>, std::uint16_t>> receive(std::chrono::milliseconds timeout);

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// Monotonic nanoseconds, for timestamps carried inside datagrams.
std::int64_t now_ns();

} // namespace tern::netem::test
