#include "relay_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace tern::netem::test {

relay_process::relay_process(std::vector<std::string> args) {
  args.insert(args.begin(), TERN_NETEM_PATH);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (pid_ < 0) return;
  // Wait for "listening 127.0.0.1:PORT\n" (or for the process to exit).
  for (int i = 0; i < 100 && out_.find('\n') == std::string::npos; ++i) {
    drain(100);
    if (out_fd_ < 0 && err_fd_ < 0) break;
  }
  const auto line_end = out_.find('\n');
  const auto colon = out_.rfind(':', line_end);
  if (out_.rfind("listening ", 0) == 0 && line_end != std::string::npos && colon != std::string::npos)
    port_ = static_cast<std::uint16_t>(std::stoi(out_.substr(colon + 1, line_end - colon - 1)));
}

relay_process::~relay_process() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void relay_process::drain(int timeout_ms) {
  pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (::poll(fds, 2, timeout_ms) <= 0) return;
  char buf[4096];
  for (int k = 0; k < 2; ++k) {
    if (fds[k].revents == 0) continue;
    int& fd = k == 0 ? out_fd_ : err_fd_;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) (k == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(n));
    else {
      ::close(fd);
      fd = -1;
    }
  }
}

int relay_process::wait() {
  if (status_) return *status_;
  if (pid_ < 0) return -1;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  int status = 0;
  for (;;) {
    drain(50);
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
  }
  while (out_fd_ >= 0 || err_fd_ >= 0) drain(1000);
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return *status_;
}

void relay_process::interrupt() {
  if (pid_ > 0 && !status_) ::kill(pid_, SIGINT);
}

int relay_process::terminate() {
  if (pid_ > 0 && !status_) ::kill(pid_, SIGTERM);
  return wait();
}

udp_socket::udp_socket() {
  fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int size = 4 * 1024 * 1024;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
}

udp_socket::~udp_socket() {
  if (fd_ >= 0) ::close(fd_);
}

bool udp_socket::send_to(std::uint16_t port, const void* data, std::size_t size) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  return ::sendto(fd_, data, size, 0, reinterpret_cast<sockaddr*>(&a), sizeof a) == static_cast<ssize_t>(size);
}

std::optional<std::pair<std::vector<std::uint8_t>, std::uint16_t>> udp_socket::receive(
    std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  std::vector<std::uint8_t> buf(65536);
  sockaddr_in from{};
  socklen_t len = sizeof from;
  const ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
  if (n < 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  return std::pair{std::move(buf), ntohs(from.sin_port)};
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace tern::netem::test
