#pragma once

#include <asio/ip/udp.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace tern::io {

/// The two ECN bits of the IP TOS / IPv6 traffic class byte (RFC 3168 §5).
enum class ecn_codepoint : std::uint8_t { not_ect = 0b00, ect1 = 0b01, ect0 = 0b10, ce = 0b11 };

/// One datagram to send. The payload is borrowed until udp_socket::send
/// returns; nothing is copied.
struct tx_datagram {
  std::span<const std::byte> payload;
  asio::ip::udp::endpoint destination;
  /// Written into the IP header when the socket has ECN enabled; ignored
  /// otherwise.
  ecn_codepoint ecn = ecn_codepoint::not_ect;
};

/// What one receive slot holds after udp_socket::receive.
struct rx_slot {
  /// The bytes received. With GRO this is several datagrams back to back.
  std::span<std::byte> data;
  /// Size of each datagram in `data` (the last may be shorter). Equal to
  /// data.size() unless the kernel coalesced datagrams (UDP_GRO).
  std::size_t segment_size = 0;
  asio::ip::udp::endpoint source;
  /// From the IP_TOS / IPV6_TCLASS control message; not_ect when the kernel
  /// did not report one.
  ecn_codepoint ecn = ecn_codepoint::not_ect;
  /// The datagram was larger than the slot (MSG_TRUNC); `data` is incomplete.
  bool truncated = false;
};

struct recv_batch_native; // platform arrays (mmsghdr, iovec, cmsg), udp_native.hpp

/// A caller-owned set of receive buffers that one udp_socket::receive call
/// fills in a single recvmmsg. Allocated once; receiving allocates nothing.
/// The contents stay valid until the next receive into the same batch.
class udp_recv_batch {
public:
  /// `slots`: datagrams (or GRO super-buffers) per receive call, >= 1.
  /// `slot_size`: bytes per slot. Use 65535 when the socket has GRO enabled
  /// (a coalesced buffer can be that large); a datagram larger than its slot
  /// is reported truncated.
  udp_recv_batch(std::size_t slots, std::size_t slot_size);
  ~udp_recv_batch();
  udp_recv_batch(udp_recv_batch&&) noexcept;
  udp_recv_batch& operator=(udp_recv_batch&&) noexcept;
  udp_recv_batch(const udp_recv_batch&) = delete;
  udp_recv_batch& operator=(const udp_recv_batch&) = delete;

  std::size_t capacity() const noexcept { return slots_.size(); }
  std::size_t slot_size() const noexcept { return slot_size_; }

  /// Slots filled by the last receive.
  std::size_t size() const noexcept { return filled_; }
  const rx_slot& operator[](std::size_t i) const noexcept { return slots_[i]; }

  /// Calls fn(std::span<std::byte> payload, const udp::endpoint& from,
  /// ecn_codepoint) once per datagram of the last receive, splitting GRO
  /// buffers back into the datagrams the sender sent. Truncated slots are
  /// skipped. Returns the number of datagrams visited. The payload is the
  /// batch's own buffer: fn may overwrite it (the endpoint decrypts packets
  /// there instead of copying them out first).
  template <class F> std::size_t for_each_datagram(F&& fn);

private:
  friend class udp_socket;

  std::size_t slot_size_;
  std::size_t filled_ = 0;
  std::vector<std::byte> storage_;
  std::vector<rx_slot> slots_;
  std::unique_ptr<recv_batch_native> native_;
};

template <class F> std::size_t udp_recv_batch::for_each_datagram(F&& fn) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < filled_; ++i) {
    const rx_slot& s = slots_[i];
    if (s.truncated) continue;
    const std::size_t seg = s.segment_size == 0 ? s.data.size() : s.segment_size;
    std::size_t off = 0;
    do {
      const std::size_t n = std::min(seg, s.data.size() - off);
      fn(std::span<std::byte>(s.data.data() + off, n), s.source, s.ecn);
      ++count;
      off += n;
    } while (off < s.data.size());
  }
  return count;
}

} // namespace tern::io
