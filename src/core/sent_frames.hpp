#pragma once

#include "util/lazy_deque.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace tern::core {

/// A retransmittable frame (or piece of state) a packet carried: what must
/// be queued again if the packet is lost and released when it is
/// acknowledged. Frames that are never retransmitted as such (ACK, PADDING,
/// PING, PATH_*, DATAGRAM, CONNECTION_CLOSE) are not recorded.
struct sent_frame {
  enum class kind : std::uint8_t {
    crypto,               ///< a = offset, b = length
    stream,               ///< id, a = offset, b = length, flag = fin
    reset_stream,         ///< id
    stop_sending,         ///< id
    max_stream_data,      ///< id, a = value
    stream_data_blocked,  ///< id, a = limit
    max_data,             ///< a = value
    data_blocked,         ///< a = limit
    max_streams,          ///< flag = unidirectional, a = value
    new_connection_id,    ///< a = sequence
    retire_connection_id, ///< a = sequence
    handshake_done,
    new_token,            ///< the token is the connection's new_token_out_
    message_fragment,     ///< id = message id, a = offset, b = length, flow
    message_abandon,      ///< id = message id, a = cause (stream::abandon_cause), flow
  };
  kind what = kind::crypto;
  bool flag = false;
  std::uint64_t id = 0;
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::uint8_t flow = 0; ///< message frames: the message flow
};

/// The frames of every packet in flight, keyed by a cookie the recovery
/// sender hands back with acknowledgements and losses. Cookies are issued in
/// increasing order; records are kept in a deque indexed by cookie minus the
/// oldest live cookie, and frame vectors are recycled, so the steady state
/// allocates nothing.
class sent_frames {
public:
  /// Starts a record for the next packet and returns its cookie.
  std::uint64_t begin_packet();
  /// Adds a frame to the record begun last.
  void add(const sent_frame& f);
  /// The frames of `cookie`, or empty when unknown or already released.
  std::span<const sent_frame> frames(std::uint64_t cookie) const noexcept;
  /// Forgets the record of `cookie` (after its acknowledgement or loss was
  /// handled); unknown cookies are ignored.
  void release(std::uint64_t cookie) noexcept;
  /// Calls f(cookie, frames) for every live record, oldest first.
  template <class F>
  void for_each(F&& f) const {
    for (std::size_t i = 0; i < records_.size(); ++i)
      if (records_[i].live) f(base_ + i, std::span<const sent_frame>(records_[i].frames));
  }
  /// Live records.
  std::size_t size() const noexcept { return live_; }

private:
  struct record {
    std::vector<sent_frame> frames;
    bool live = false;
  };
  util::lazy_deque<record> records_;
  std::vector<std::vector<sent_frame>> spare_;
  std::uint64_t base_ = 0;
  std::size_t live_ = 0;
};

} // namespace tern::core
