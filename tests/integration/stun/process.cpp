#include "process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tern::test {

std::optional<std::string> find_program(const std::string& name) {
  std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/local/sbin";
  std::stringstream dirs{path};
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

child_process::child_process(const std::vector<std::string>& argv) {
  char log_template[] = "/tmp/tern-interop-XXXXXX";
  const int fd = ::mkstemp(log_template);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  log_path_ = log_template;
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(fd);
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    // Own process group, so stop() reaches helpers the program may fork.
    ::setpgid(0, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fd);
}

child_process::~child_process() {
  stop();
  if (!log_path_.empty()) ::unlink(log_path_.c_str());
}

std::string child_process::output() const {
  std::ifstream in{log_path_};
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool child_process::wait_for_output(const std::string& text, std::chrono::milliseconds timeout) const {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    if (output().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return output().find(text) != std::string::npos;
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
  if (reaped_ || pid_ <= 0) return std::nullopt;
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return std::nullopt;
    }
    if (r < 0 || std::chrono::steady_clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
}

bool child_process::running() {
  if (reaped_ || pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    reaped_ = true;
    return false;
  }
  return true;
}

void child_process::stop() {
  if (reaped_ || pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  if (!wait(std::chrono::seconds{5}) && !reaped_) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
  }
}

run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  child_process p{argv};
  run_result r;
  r.status = p.wait(timeout);
  r.output = p.output();
  return r;
}

int free_udp_port(const std::string& ip) {
  const bool v6 = ip.find(':') != std::string::npos;
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return 0;
  int port = 0;
  if (v6) {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    ::inet_pton(AF_INET6, ip.c_str(), &a.sin6_addr);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin6_port);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
      port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

std::vector<std::string> coturn_stun_argv(const std::string& turnserver, const std::vector<std::string>& listen_ips,
                                          int port, const std::string& state_dir,
                                          const std::vector<std::string>& extra) {
  std::vector<std::string> argv{turnserver, "-n", "-v", "--stun-only", "--no-cli", "--no-tls", "--no-dtls"};
  for (const auto& ip : listen_ips) {
    argv.push_back("--listening-ip");
    argv.push_back(ip);
  }
  argv.insert(argv.end(), {"--listening-port", std::to_string(port), "--pidfile", state_dir + "/turnserver.pid", "--db",
                           state_dir + "/turndb", "--log-file", "stdout", "--simple-log"});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

bool coturn_listening(const child_process& server, const std::vector<std::string>& listen_ips, int port,
                      std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const std::string log = server.output();
    bool all = true;
    for (const auto& ip : listen_ips) {
      const std::string address = ip + ":" + std::to_string(port);
      if (log.find("listener socket to addr " + address) != std::string::npos) return false; // "Cannot bind ..."
      all = all && log.find("UDP listener opened on: " + address) != std::string::npos;
    }
    if (all) return true;
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

} // namespace tern::test
