// UDP socket layer: batched, non-blocking datagram I/O under Asio's reactor.
//
// Design notes
// - Asio owns the descriptor and the readiness notifications; the data path
//   bypasses Asio's per-datagram operations and calls recvmmsg / sendmmsg on
//   native_handle() so one system call moves up to a batch of datagrams.
// - GSO (Linux UDP_SEGMENT): a run of datagrams to one peer, all of one size
//   except possibly a shorter last one, is handed over as one message whose
//   iovecs point at the caller's buffers (no copy); the kernel or the NIC cuts
//   it back into datagrams. The kernel can still refuse a GSO send (EIO when
//   the route cannot checksum-offload, EINVAL/EOPNOTSUPP on odd stacks): the
//   first refusal turns GSO off for the socket's life and the run is resent as
//   plain datagrams.
// - GRO (UDP_GRO): the kernel may hand over several datagrams from one sender
//   in one buffer with a UDP_GRO control message carrying the segment size;
//   udp_recv_batch::for_each_datagram splits them again.
// - ECN (RFC 3168 §5): IP_RECVTOS / IPV6_RECVTCLASS report the TOS byte per
//   datagram; the sender writes the codepoint per message with an IP_TOS /
//   IPV6_TCLASS control message (IP_TOS for v4-mapped peers on a dual-stack
//   socket, which the kernel sends through its IPv4 path).
// - Don't-fragment: IP_PMTUDISC_PROBE / IPV6_PMTUDISC_PROBE set DF but ignore
//   the kernel's cached path MTU, so DPLPMTUD (RFC 8899 §3) alone decides
//   packet sizes; oversize sends fail locally with EMSGSIZE.
// - Errors: an ICMP error on an unconnected socket is queued on the error
//   queue (IP_RECVERR) and also fails the next send or receive once. Those
//   errno values concern one peer, so they are drained into a path-error
//   queue with the peer's address and the operation is retried; they never
//   close the socket. A send that fails again on its own destination (no
//   route, firewall) is reported for that destination and skipped.

#include "asio/udp_socket.hpp"

#include "asio/udp_native.hpp"

#include <asio/error.hpp>
#include <asio/ip/v6_only.hpp>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#if TERN_IO_LINUX
#include <linux/errqueue.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#endif

namespace tern::io {

namespace {

using udp = asio::ip::udp;

// sendmmsg batch limits: messages per call, iovecs per call (UIO_MAXIOV),
// segments per GSO message (the kernel's UDP_MAX_SEGMENTS on every version
// that has GSO) and bytes per GSO message (the IPv4 datagram limit).
constexpr std::size_t max_send_messages = 64;
constexpr std::size_t max_send_iovecs = 1024;
constexpr std::size_t max_gso_segments = 64;
constexpr std::size_t max_gso_bytes = 65507;

std::error_code sys_error(int err) noexcept { return {err, std::system_category()}; }

// Asio reports kernel errors in its own "asio.system" category; tern hands
// them out in std::system_category so they compare equal to std::errc.
std::error_code from_asio(const std::error_code& ec) noexcept {
  if (ec && ec.category() == asio::error::get_system_category()) return sys_error(ec.value());
  return ec;
}

bool is_would_block(int err) noexcept { return err == EAGAIN || err == EWOULDBLOCK; }

} // namespace

struct send_scratch {
#if TERN_IO_LINUX
  std::vector<mmsghdr> msgs = std::vector<mmsghdr>(max_send_messages);
  std::vector<iovec> iovs = std::vector<iovec>(max_send_iovecs);
  std::vector<cmsg_buffer> controls = std::vector<cmsg_buffer>(max_send_messages);
  std::vector<sockaddr_in6> mapped = std::vector<sockaddr_in6>(max_send_messages);
  // How many input datagrams each built message carries.
  std::vector<std::size_t> counts = std::vector<std::size_t>(max_send_messages);
#endif
};

#if TERN_IO_LINUX
namespace {

bool set_int(int fd, int level, int name, int value) noexcept {
  return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

int get_int(int fd, int level, int name) noexcept {
  int value = 0;
  socklen_t len = sizeof value;
  if (::getsockopt(fd, level, name, &value, &len) != 0) return 0;
  return value;
}

// Requests `bytes` of socket buffer, first past the sysctl cap (needs
// CAP_NET_ADMIN), then within it. Returns what the kernel reports.
std::size_t size_buffer(int fd, int force_name, int name, std::size_t bytes, bool& forced) noexcept {
  const int value = static_cast<int>(std::min<std::size_t>(bytes, INT_MAX / 2));
  if (set_int(fd, SOL_SOCKET, force_name, value)) {
    forced = true;
  } else {
    forced = false;
    set_int(fd, SOL_SOCKET, name, value);
  }
  return static_cast<std::size_t>(get_int(fd, SOL_SOCKET, name));
}

void to_endpoint(const sockaddr_storage& ss, socklen_t len, udp::endpoint& ep) noexcept {
  const std::size_t n = std::min<std::size_t>(len, ep.capacity());
  std::memcpy(ep.data(), &ss, n);
  ep.resize(n);
}

ecn_codepoint ecn_of(int tos) noexcept { return static_cast<ecn_codepoint>(tos & 0b11); }

// Fills msg_control with the per-message control messages and sets its length.
void build_control(msghdr& h, cmsg_buffer& buf, bool v4_path, int tos, std::uint16_t gso_size) noexcept {
  std::size_t used = 0;
  h.msg_control = buf.bytes;
  h.msg_controllen = sizeof buf.bytes;
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  if (tos >= 0) {
    c->cmsg_level = v4_path ? IPPROTO_IP : IPPROTO_IPV6;
    c->cmsg_type = v4_path ? IP_TOS : IPV6_TCLASS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &tos, sizeof tos);
    used += CMSG_SPACE(sizeof(int));
    c = CMSG_NXTHDR(&h, c);
  }
  if (gso_size != 0) {
    c->cmsg_level = SOL_UDP;
    c->cmsg_type = UDP_SEGMENT;
    c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
    std::memcpy(CMSG_DATA(c), &gso_size, sizeof gso_size);
    used += CMSG_SPACE(sizeof(std::uint16_t));
  }
  if (used == 0) h.msg_control = nullptr;
  h.msg_controllen = used;
}

// Byte equality of the socket addresses. It runs once per datagram on the GSO
// path, so it compares in 8-byte words rather than calling memcmp; a false
// "different" (padding bytes) only costs a shorter GSO run.
bool same_destination(const udp::endpoint& a, const udp::endpoint& b) noexcept {
  const std::size_t n = a.size();
  if (n != b.size()) return false;
  const auto* pa = static_cast<const unsigned char*>(static_cast<const void*>(a.data()));
  const auto* pb = static_cast<const unsigned char*>(static_cast<const void*>(b.data()));
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t x, y;
    std::memcpy(&x, pa + i, 8);
    std::memcpy(&y, pb + i, 8);
    if (x != y) return false;
  }
  for (; i < n; ++i)
    if (pa[i] != pb[i]) return false;
  return true;
}

// An errno that means "this kernel or route cannot do UDP GSO".
bool is_gso_refusal(int err) noexcept {
  return err == EIO || err == EINVAL || err == EOPNOTSUPP || err == ENOPROTOOPT || err == ENOTSUP;
}

} // namespace
#endif

udp_socket::udp_socket(const asio::any_io_executor& ex) : socket_(ex) {}

udp_socket::~udp_socket() = default;

void udp_socket::close() noexcept {
  std::error_code ignored;
  socket_.close(ignored);
}

udp::endpoint udp_socket::local_endpoint() const noexcept {
  std::error_code ec;
  auto ep = socket_.local_endpoint(ec);
  return ec ? udp::endpoint{} : ep;
}

std::error_code udp_socket::open(const udp::endpoint& local, const udp_socket_options& options) {
  std::error_code ec;
  close();
  caps_ = {};
  counters_ = {};
  // A failed open leaves the socket closed, never half configured.
  const auto fail = [this](const std::error_code& e) {
    close();
    return from_asio(e);
  };
  path_error_head_ = path_error_count_ = 0;
  ipv6_ = local.address().is_v6();
  socket_.open(local.protocol(), ec);
  if (ec) return from_asio(ec);
  if (ipv6_) {
    socket_.set_option(asio::ip::v6_only(!options.dual_stack), ec);
    if (ec) return fail(ec);
  }
#if TERN_IO_LINUX
  const int fd = socket_.native_handle();
  // The IPv4 options also govern v4-mapped traffic on a dual-stack socket.
  const bool v4_path = !ipv6_ || options.dual_stack;
  if (options.reuse_port && !set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1)) return fail(sys_error(errno));
  if (options.recv_buffer != 0)
    caps_.recv_buffer = size_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, options.recv_buffer, caps_.buffers_forced);
  else
    caps_.recv_buffer = static_cast<std::size_t>(get_int(fd, SOL_SOCKET, SO_RCVBUF));
  if (options.send_buffer != 0) {
    bool forced = false;
    caps_.send_buffer = size_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, options.send_buffer, forced);
    caps_.buffers_forced = (options.recv_buffer == 0 || caps_.buffers_forced) && forced;
  } else {
    caps_.send_buffer = static_cast<std::size_t>(get_int(fd, SOL_SOCKET, SO_SNDBUF));
  }
  if (options.ecn) {
    bool ok = true;
    if (v4_path) ok = set_int(fd, IPPROTO_IP, IP_RECVTOS, 1) && ok;
    if (ipv6_) ok = set_int(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, 1) && ok;
    caps_.ecn = ok;
  }
  if (options.dont_fragment) {
    bool ok = true;
    if (v4_path)
      ok = (set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE) ||
            set_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)) &&
           ok;
    if (ipv6_) {
      ok = (set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE) ||
            set_int(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO)) &&
           ok;
      ok = set_int(fd, IPPROTO_IPV6, IPV6_DONTFRAG, 1) && ok;
    }
    caps_.dont_fragment = ok;
  }
  if (options.recv_errors) {
    bool ok = true;
    if (v4_path) ok = set_int(fd, IPPROTO_IP, IP_RECVERR, 1) && ok;
    if (ipv6_) ok = set_int(fd, IPPROTO_IPV6, IPV6_RECVERR, 1) && ok;
    caps_.recv_errors = ok;
  }
  // Setting a zero segment size changes nothing but tells whether the kernel
  // knows UDP_SEGMENT at all; whether a route accepts it shows on first use.
  if (options.gso) caps_.gso = set_int(fd, SOL_UDP, UDP_SEGMENT, 0);
  if (options.gro) caps_.gro = set_int(fd, SOL_UDP, UDP_GRO, 1);
  caps_.batched = true;
  scratch_ = std::make_unique<send_scratch>();
#else
  (void)options;
#endif
  socket_.bind(local, ec);
  if (ec) return fail(ec);
  socket_.non_blocking(true, ec);
  if (ec) return fail(ec);
  return {};
}

void udp_socket::push_path_error(const path_error& e) noexcept {
  ++counters_.path_errors;
  const std::size_t tail = (path_error_head_ + path_error_count_) % max_path_errors;
  path_errors_[tail] = e;
  if (path_error_count_ == max_path_errors)
    path_error_head_ = (path_error_head_ + 1) % max_path_errors;
  else
    ++path_error_count_;
}

bool udp_socket::pop_path_error(path_error& out) noexcept {
  if (path_error_count_ == 0) return false;
  out = path_errors_[path_error_head_];
  path_error_head_ = (path_error_head_ + 1) % max_path_errors;
  --path_error_count_;
  return true;
}

void udp_socket::drain_error_queue() noexcept {
#if TERN_IO_LINUX
  if (!caps_.recv_errors) return;
  const int fd = socket_.native_handle();
  // Bounded: the kernel caps the queue by the receive buffer, and a sender
  // flooding ICMP must not pin this loop.
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage name{};
    cmsg_buffer control{};
    std::byte payload[64];
    iovec iov{payload, sizeof payload};
    msghdr h{};
    h.msg_name = &name;
    h.msg_namelen = sizeof name;
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    h.msg_control = control.bytes;
    h.msg_controllen = sizeof control.bytes;
    if (::recvmsg(fd, &h, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
      const bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
      const bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
      if (!v4 && !v6) continue;
      sock_extended_err ee;
      std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
      path_error e;
      to_endpoint(name, h.msg_namelen, e.destination);
      if (ee.ee_errno == EMSGSIZE) {
        e.error = make_error_code(io_errc::message_too_big);
        e.mtu = ee.ee_info;
      } else {
        e.error = sys_error(static_cast<int>(ee.ee_errno));
      }
      push_path_error(e);
    }
  }
#endif
}

std::size_t udp_socket::receive(udp_recv_batch& batch, std::error_code& ec) noexcept {
  batch.filled_ = 0;
  ec.clear();
  if (!socket_.is_open()) {
    ec = make_error_code(io_errc::not_open);
    return 0;
  }
#if TERN_IO_LINUX
  recv_batch_native& nat = *batch.native_;
  const std::size_t n = batch.capacity();
  const int fd = socket_.native_handle();
  // Each ICMP error fails one call and is consumed by it; retry a few times
  // so a burst of them does not hide queued datagrams.
  for (int attempt = 0; attempt < 16; ++attempt) {
    for (std::size_t i = 0, e = std::min(n, nat.dirty); i < e; ++i) {
      msghdr& h = nat.msgs[i].msg_hdr;
      h.msg_name = &nat.names[i];
      h.msg_namelen = sizeof(sockaddr_storage);
      h.msg_iov = &nat.iovs[i];
      h.msg_iovlen = 1;
      h.msg_control = nat.controls[i].bytes;
      h.msg_controllen = sizeof nat.controls[i].bytes;
      h.msg_flags = 0;
      nat.msgs[i].msg_len = 0;
    }
    const int r = ::recvmmsg(fd, nat.msgs.data(), static_cast<unsigned>(n), MSG_DONTWAIT, nullptr);
    ++counters_.recv_syscalls;
    nat.dirty = r > 0 ? static_cast<std::size_t>(r) : 1;
    if (r < 0) {
      const int err = errno;
      if (err == EINTR) continue;
      if (is_would_block(err)) {
        ec = make_error_code(io_errc::would_block);
        return 0;
      }
      const std::error_code sec = sys_error(err);
      if (is_path_error(sec)) {
        const std::size_t before = path_error_count_;
        drain_error_queue();
        if (path_error_count_ == before) push_path_error(path_error{{}, sec, 0});
        continue;
      }
      ec = sec;
      return 0;
    }
    const auto got = static_cast<std::size_t>(r);
    for (std::size_t i = 0; i < got; ++i) {
      msghdr& h = nat.msgs[i].msg_hdr;
      rx_slot& s = batch.slots_[i];
      const std::size_t len = nat.msgs[i].msg_len;
      s.data = std::span<std::byte>(batch.storage_.data() + i * batch.slot_size_, len);
      s.segment_size = len;
      s.truncated = (h.msg_flags & MSG_TRUNC) != 0;
      s.ecn = ecn_codepoint::not_ect;
      to_endpoint(nat.names[i], h.msg_namelen, s.source);
      for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
          unsigned char tos = 0;
          std::memcpy(&tos, CMSG_DATA(c), 1);
          s.ecn = ecn_of(tos);
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
          int tclass = 0;
          std::memcpy(&tclass, CMSG_DATA(c), sizeof tclass);
          s.ecn = ecn_of(tclass);
        } else if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
          int seg = 0;
          std::memcpy(&seg, CMSG_DATA(c), sizeof seg);
          if (seg > 0) s.segment_size = static_cast<std::size_t>(seg);
        }
      }
    }
    batch.filled_ = got;
    counters_.recv_slots += got;
    return got;
  }
  ec = make_error_code(io_errc::would_block);
  return 0;
#else
  return receive_one_by_one(batch, ec);
#endif
}

std::size_t udp_socket::receive_one_by_one(udp_recv_batch& batch, std::error_code& ec) noexcept {
  std::size_t got = 0;
  while (got < batch.capacity()) {
    rx_slot& s = batch.slots_[got];
    std::byte* base = batch.storage_.data() + got * batch.slot_size_;
    std::error_code rec;
    const std::size_t len =
        socket_.receive_from(asio::buffer(base, batch.slot_size_), s.source, 0, rec);
    ++counters_.recv_syscalls;
    if (rec == asio::error::would_block || rec == asio::error::try_again) break;
    if (rec == asio::error::message_size) {
      s.data = std::span<std::byte>(base, batch.slot_size_);
      s.segment_size = s.data.size();
      s.truncated = true;
      ++got;
      continue;
    }
    if (rec) {
      const std::error_code sec = sys_error(rec.value());
      if (is_path_error(sec)) {
        push_path_error(path_error{{}, sec, 0});
        continue;
      }
      if (got == 0) ec = from_asio(rec);
      break;
    }
    s.data = std::span<std::byte>(base, len);
    s.segment_size = len;
    s.ecn = ecn_codepoint::not_ect;
    s.truncated = false;
    ++got;
  }
  batch.filled_ = got;
  counters_.recv_slots += got;
  if (got == 0 && !ec) ec = make_error_code(io_errc::would_block);
  return got;
}

send_result udp_socket::send_one_by_one(std::span<const tx_datagram> datagrams) noexcept {
  std::size_t i = 0;
  for (; i < datagrams.size(); ++i) {
    const tx_datagram& d = datagrams[i];
    std::error_code ec;
    socket_.send_to(asio::buffer(d.payload.data(), d.payload.size()), d.destination, 0, ec);
    ++counters_.send_syscalls;
    if (!ec) {
      ++counters_.send_messages;
      ++counters_.send_datagrams;
      continue;
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again)
      return {i, make_error_code(io_errc::would_block)};
    if (ec == asio::error::message_size) return {i, make_error_code(io_errc::message_too_big)};
    const std::error_code sec = sys_error(ec.value());
    if (is_path_error(sec)) {
      push_path_error(path_error{d.destination, sec, 0});
      continue;
    }
    return {i, from_asio(ec)};
  }
  return {i, {}};
}

send_result udp_socket::send(std::span<const tx_datagram> datagrams) noexcept {
  if (!socket_.is_open()) return {0, make_error_code(io_errc::not_open)};
#if TERN_IO_LINUX
  send_scratch& sc = *scratch_;
  const int fd = socket_.native_handle();
  const std::size_t total = datagrams.size();
  std::size_t i = 0;
  // Datagrams before this index are sent one per message even if GSO is on:
  // set after a GSO message failed with EMSGSIZE, to find the culprit.
  std::size_t no_gso_before = 0;
  // A path error on datagram i is retried once (it may be a stale ICMP error
  // the failed call consumed); failing again blames datagram i itself.
  std::size_t path_retry_at = SIZE_MAX;

  while (i < total) {
    std::size_t built = 0;
    std::size_t iov_used = 0;
    std::size_t j = i;
    while (j < total && built < max_send_messages && iov_used < max_send_iovecs) {
      const tx_datagram& first = datagrams[j];
      const std::size_t seg = first.payload.size();
      std::size_t run = 1;
      if (caps_.gso && j >= no_gso_before && seg != 0) {
        const std::size_t max_run =
            std::min({max_gso_segments, max_gso_bytes / seg, max_send_iovecs - iov_used});
        std::size_t bytes = seg;
        while (j + run < total && run < max_run) {
          const tx_datagram& next = datagrams[j + run];
          const std::size_t sz = next.payload.size();
          if (sz == 0 || sz > seg || bytes + sz > max_gso_bytes || next.ecn != first.ecn ||
              !same_destination(next.destination, first.destination))
            break;
          bytes += sz;
          ++run;
          if (sz < seg) break; // only the last segment may be short
        }
      }
      mmsghdr& m = sc.msgs[built];
      msghdr& h = m.msg_hdr;
      h = msghdr{};
      m.msg_len = 0;
      bool v4_path = !ipv6_;
      if (ipv6_ && first.destination.address().is_v4()) {
        // A dual-stack socket speaks to IPv4 peers through v4-mapped addresses.
        sockaddr_in6& s6 = sc.mapped[built];
        s6 = sockaddr_in6{};
        s6.sin6_family = AF_INET6;
        s6.sin6_port = htons(first.destination.port());
        const auto mapped = asio::ip::make_address_v6(asio::ip::v4_mapped, first.destination.address().to_v4());
        const auto bytes = mapped.to_bytes();
        std::memcpy(&s6.sin6_addr, bytes.data(), bytes.size());
        h.msg_name = &s6;
        h.msg_namelen = sizeof s6;
        v4_path = true;
      } else {
        h.msg_name = const_cast<void*>(static_cast<const void*>(first.destination.data()));
        h.msg_namelen = static_cast<socklen_t>(first.destination.size());
        if (ipv6_ && first.destination.address().to_v6().is_v4_mapped()) v4_path = true;
      }
      for (std::size_t k = 0; k < run; ++k) {
        const auto& p = datagrams[j + k].payload;
        sc.iovs[iov_used + k].iov_base = const_cast<std::byte*>(p.data());
        sc.iovs[iov_used + k].iov_len = p.size();
      }
      h.msg_iov = &sc.iovs[iov_used];
      h.msg_iovlen = run;
      const int tos = caps_.ecn && first.ecn != ecn_codepoint::not_ect ? static_cast<int>(first.ecn) : -1;
      build_control(h, sc.controls[built], v4_path, tos, run > 1 ? static_cast<std::uint16_t>(seg) : 0);
      sc.counts[built] = run;
      iov_used += run;
      j += run;
      ++built;
    }

    const int r = ::sendmmsg(fd, sc.msgs.data(), static_cast<unsigned>(built), MSG_DONTWAIT);
    ++counters_.send_syscalls;
    if (r > 0) {
      counters_.send_messages += static_cast<std::size_t>(r);
      for (int k = 0; k < r; ++k) {
        const std::size_t c = sc.counts[static_cast<std::size_t>(k)];
        i += c;
        counters_.send_datagrams += c;
        counters_.gso_messages += c > 1;
      }
      continue; // a short count: the next call reports the failing message's error
    }
    const int err = r < 0 ? errno : EAGAIN;
    if (err == EINTR) continue;
    if (is_would_block(err)) return {i, make_error_code(io_errc::would_block)};
    const std::size_t count0 = sc.counts[0];
    if (count0 > 1 && is_gso_refusal(err)) {
      caps_.gso = false;
      continue;
    }
    if (err == EMSGSIZE) {
      if (count0 > 1) {
        no_gso_before = i + count0;
        continue;
      }
      drain_error_queue(); // the kernel also queued a local EMSGSIZE with the MTU
      return {i, make_error_code(io_errc::message_too_big)};
    }
    const std::error_code sec = sys_error(err);
    if (is_path_error(sec)) {
      drain_error_queue();
      if (path_retry_at != i) {
        path_retry_at = i;
        continue;
      }
      push_path_error(path_error{datagrams[i].destination, sec, 0});
      i += count0;
      continue;
    }
    return {i, sec};
  }
  return {total, {}};
#else
  return send_one_by_one(datagrams);
#endif
}

} // namespace tern::io
