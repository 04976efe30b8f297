// Namespaces are created and deleted through iproute2 (`ip netns`), which
// owns the /run/netns bind-mount convention every other tool (ip netns exec,
// the benchmarks) relies on. Devices are configured with the classic
// SIOCSIF* ioctls on a socket opened inside the namespace: for a
// point-to-point device, setting the destination address makes the kernel
// add the host route to the peer.

#include "netns.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

extern char** environ;

namespace tern::netem {

namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// Runs `ip ARGS...` and waits for it; its own stderr explains failures.
std::string run_ip(std::vector<std::string> args) {
  args.insert(args.begin(), "ip");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (const int rc = posix_spawnp(&pid, "ip", nullptr, nullptr, argv.data(), environ); rc != 0)
    return std::string{"cannot run ip (iproute2): "} + std::strerror(rc);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return errno_text("waitpid");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::string line;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i) line += (i ? " " : "") + args[i];
    return "`" + line + "` failed";
  }
  return {};
}

sockaddr ipv4(in_addr a) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr = a;
  sockaddr out{};
  std::memcpy(&out, &sin, sizeof sin);
  return out;
}

// One SIOCSIF* request on `device`; `set` fills the request.
template <class Fill>
std::string if_ioctl(int sock, const std::string& device, unsigned long request, const char* what, Fill set) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, device.c_str(), IFNAMSIZ - 1);
  set(ifr);
  if (::ioctl(sock, request, &ifr) != 0) return errno_text(std::string{what} + " on " + device);
  return {};
}

std::string set_up(int sock, const std::string& device) {
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, device.c_str(), IFNAMSIZ - 1);
  if (::ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) return errno_text("SIOCGIFFLAGS on " + device);
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (::ioctl(sock, SIOCSIFFLAGS, &ifr) != 0) return errno_text("bringing " + device + " up");
  return {};
}

// Best effort: a kernel without IPv6 has no such file, which is fine.
void disable_ipv6(const std::string& device) {
  const std::string path = "/proc/sys/net/ipv6/conf/" + device + "/disable_ipv6";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return;
  [[maybe_unused]] const auto n = ::write(fd, "1", 1);
  ::close(fd);
}

class fd_guard {
public:
  explicit fd_guard(int fd) : fd_(fd) {}
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

private:
  int fd_;
};

} // namespace

bool netns_exists(const std::string& name) {
  struct stat st{};
  return ::stat(("/run/netns/" + name).c_str(), &st) == 0;
}

std::string create_netns(const std::string& name) { return run_ip({"netns", "add", name}); }

std::string delete_netns(const std::string& name) { return run_ip({"netns", "delete", name}); }

netns_scope::netns_scope(const std::string& name) {
  original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_ < 0) {
    error_ = errno_text("cannot open this thread's network namespace");
    return;
  }
  const int target = ::open(("/run/netns/" + name).c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    error_ = errno_text("cannot open network namespace \"" + name + "\"");
    return;
  }
  if (::setns(target, CLONE_NEWNET) != 0) error_ = errno_text("cannot enter network namespace \"" + name + "\"");
  ::close(target);
}

netns_scope::~netns_scope() {
  if (original_ < 0) return;
  if (error_.empty()) ::setns(original_, CLONE_NEWNET);
  ::close(original_);
}

int open_tun(const std::string& device, in_addr local, in_addr peer, int mtu, std::string& error) {
  if (device.size() >= IFNAMSIZ) {
    error = "device name \"" + device + "\" is longer than " + std::to_string(IFNAMSIZ - 1) + " characters";
    return -1;
  }
  fd_guard tun{::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)};
  if (tun.get() < 0) {
    error = errno_text("cannot open /dev/net/tun");
    return -1;
  }
  ifreq ifr{};
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI; // bare IP packets, no packet-information header
  std::strncpy(ifr.ifr_name, device.c_str(), IFNAMSIZ - 1);
  if (::ioctl(tun.get(), TUNSETIFF, &ifr) != 0) {
    error = errno_text("cannot create TUN device " + device + (errno == EBUSY ? " (another tern-netem has it?)" : ""));
    return -1;
  }
  disable_ipv6(device);
  fd_guard sock{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (sock.get() < 0) {
    error = errno_text("socket");
    return -1;
  }
  // Each step runs only when the previous one succeeded.
  std::string failed;
  const int fd = sock.get();
  if ((failed = if_ioctl(fd, device, SIOCSIFADDR, "setting the address",
                         [&](ifreq& r) { r.ifr_addr = ipv4(local); }))
          .empty() &&
      (failed = if_ioctl(fd, device, SIOCSIFDSTADDR, "setting the peer address",
                         [&](ifreq& r) { r.ifr_dstaddr = ipv4(peer); }))
          .empty() &&
      (failed = if_ioctl(fd, device, SIOCSIFNETMASK, "setting the netmask",
                         [&](ifreq& r) { r.ifr_netmask = ipv4(in_addr{0xffffffffu}); }))
          .empty() &&
      (failed = if_ioctl(fd, device, SIOCSIFMTU, "setting the MTU", [&](ifreq& r) { r.ifr_mtu = mtu; })).empty() &&
      (failed = set_up(fd, device)).empty())
    return tun.release();
  error = failed;
  return -1;
}

std::string loopback_up() {
  fd_guard sock{::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (sock.get() < 0) return errno_text("socket");
  return set_up(sock.get(), "lo");
}

} // namespace tern::netem
