#pragma once

// Network namespaces and TUN devices for tern-netem --tun. Linux only;
// everything here needs CAP_NET_ADMIN (and CAP_SYS_ADMIN for namespaces).
// Errors are returned as text for the command line: what failed and why.

#include <netinet/in.h>

#include <string>

namespace tern::netem {

/// True when /run/netns/NAME exists (a namespace `ip netns` knows).
bool netns_exists(const std::string& name);

/// Creates a named namespace with `ip netns add NAME`. Returns an empty
/// string on success, else the reason.
std::string create_netns(const std::string& name);

/// Deletes a named namespace with `ip netns delete NAME`; devices inside it
/// go with it. Returns an empty string on success, else the reason.
std::string delete_netns(const std::string& name);

/// Moves the calling thread into a named namespace for its lifetime and
/// back into the original one on destruction. Check error() first: when
/// it is not empty the thread stayed where it was.
class netns_scope {
public:
  explicit netns_scope(const std::string& name);
  ~netns_scope();
  netns_scope(const netns_scope&) = delete;
  netns_scope& operator=(const netns_scope&) = delete;
  const std::string& error() const noexcept { return error_; }

private:
  int original_ = -1;
  std::string error_;
};

/// A point-to-point IPv4 TUN device in the calling thread's namespace, up,
/// with `local` as its address, a host route to `peer` and the given MTU;
/// IPv6 is disabled on it so only the traffic of the benchmark crosses.
/// The device lives as long as the returned descriptor (non-blocking,
/// close-on-exec): closing it removes the device, even when the process
/// dies. Returns -1 and sets `error` on failure.
int open_tun(const std::string& device, in_addr local, in_addr peer, int mtu, std::string& error);

/// Brings the loopback device of the calling thread's namespace up, so
/// programs there can use 127.0.0.1. Returns an empty string or the reason.
std::string loopback_up();

} // namespace tern::netem
