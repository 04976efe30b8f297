// Sending half of a stream (RFC 9000 §2.2, §3.1, §4.1, §13.3).
//
// Bytes live in a byte_ring from the lowest unacknowledged offset to the
// end of what the application wrote. Three cursors and two range sets
// describe them: [acked_offset, send_next_) has been sent; within it,
// `acked_` holds what is acknowledged above the contiguous prefix and
// `lost_` what must go again; the rest is in flight. When the acknowledged
// prefix grows, the ring's base moves and those bytes are freed.
//
// A loss notification may refer to data that another copy already got
// acknowledged (a spurious loss, or a range sent twice): only the parts not
// in `acked_` are queued again. An acknowledgement removes the range from
// `lost_` too, so late acks of "lost" packets save a retransmission.
// Retransmissions go first and in offset order, so the receiver's gap at its
// read offset is filled as early as possible.
#include "stream/send_stream.hpp"

#include "stream/stream_errc.hpp"
#include "stream/stream_id.hpp"

#include <algorithm>

namespace tern::stream {

send_stream::send_stream(std::uint64_t peer_max_stream_data, send_config cfg)
    : cfg_{cfg}, credit_{peer_max_stream_data} {}

std::size_t send_stream::writable() const noexcept {
  if (fin_written_ || state_ == send_state::reset_sent || state_ == send_state::reset_recvd) return 0;
  const std::uint64_t held = buffered();
  const std::uint64_t room = held >= cfg_.buffer_limit ? 0 : cfg_.buffer_limit - held;
  return static_cast<std::size_t>(std::min(room, max_varint - write_end_));
}

std::size_t send_stream::write(std::span<const std::byte> data, std::error_code& ec) {
  ec.clear();
  if (stop_error_) {
    ec = stream_errc::stopped_by_peer;
    return 0;
  }
  if (fin_written_ || state_ == send_state::reset_sent || state_ == send_state::reset_recvd) {
    ec = stream_errc::stream_closed;
    return 0;
  }
  const std::size_t n = std::min(data.size(), writable());
  if (n == 0) return 0;
  ring_.reserve_to(write_end_ + n);
  ring_.write(write_end_, data.first(n));
  write_end_ += n;
  return n;
}

std::error_code send_stream::finish() noexcept {
  if (state_ == send_state::reset_sent || state_ == send_state::reset_recvd)
    return stream_errc::stream_closed;
  fin_written_ = true;
  return {};
}

void send_stream::reset(std::uint64_t app_error) noexcept {
  if (state_ == send_state::data_recvd || state_ == send_state::reset_sent ||
      state_ == send_state::reset_recvd)
    return;
  reset_ = reset_info{app_error, send_next_};
  reset_pending_ = true;
  state_ = send_state::reset_sent;
  acked_.clear();
  lost_.clear();
  fin_lost_ = false;
}

bool send_stream::has_data_to_send() const noexcept {
  if (state_ == send_state::reset_sent || state_ == send_state::reset_recvd) return false;
  if (has_retransmission()) return true;
  if (send_next_ < write_end_) return credit_.available() > 0;
  return fin_written_ && !fin_sent_;
}

std::optional<stream_chunk> send_stream::next_chunk(std::size_t max_len, std::uint64_t connection_credit) {
  if (state_ == send_state::reset_sent || state_ == send_state::reset_recvd) return std::nullopt;

  if (!lost_.empty() && max_len > 0) {
    const byte_range r = lost_.front();
    const auto data =
        ring_.contiguous(r.begin, static_cast<std::size_t>(std::min<std::uint64_t>(r.size(), max_len)));
    const std::uint64_t end = r.begin + data.size();
    lost_.erase(r.begin, end);
    stream_chunk c{r.begin, data, false, true};
    if (fin_sent_ && !fin_acked_ && end == write_end_) {
      c.fin = true; // a resent tail carries the FIN along, whether or not it was lost
      fin_lost_ = false;
    }
    return c;
  }
  if (fin_lost_ && lost_.empty()) {
    fin_lost_ = false;
    return stream_chunk{write_end_, {}, true, true};
  }

  const std::uint64_t pending = write_end_ - send_next_;
  if (pending > 0) {
    if (credit_.available() == 0) {
      credit_.on_blocked();
      return std::nullopt;
    }
    const std::uint64_t n =
        std::min({pending, static_cast<std::uint64_t>(max_len), credit_.available(), connection_credit});
    if (n == 0) return std::nullopt;
    const auto data = ring_.contiguous(send_next_, static_cast<std::size_t>(n));
    stream_chunk c{send_next_, data, false, false};
    send_next_ += data.size();
    credit_.consume(data.size());
    if (state_ == send_state::ready) state_ = send_state::send;
    if (fin_written_ && send_next_ == write_end_) {
      c.fin = true;
      fin_sent_ = true;
      state_ = send_state::data_sent;
    }
    if (send_next_ < write_end_) credit_.on_blocked(); // arms only if the stream limit is what stopped us
    return c;
  }
  if (fin_written_ && !fin_sent_) {
    fin_sent_ = true;
    state_ = send_state::data_sent;
    return stream_chunk{send_next_, {}, true, false};
  }
  return std::nullopt;
}

void send_stream::on_acked(std::uint64_t offset, std::uint64_t length, bool fin) noexcept {
  if (state_ == send_state::reset_sent || state_ == send_state::reset_recvd ||
      state_ == send_state::data_recvd)
    return;
  const std::uint64_t begin = std::max(offset, ring_.base());
  const std::uint64_t end = std::min(offset + length, send_next_);
  if (begin < end) {
    acked_.insert(begin, end);
    lost_.erase(begin, end);
  }
  if (fin && fin_sent_) {
    fin_acked_ = true;
    fin_lost_ = false;
  }
  release_acked();
  if (fin_acked_ && ring_.base() == write_end_) state_ = send_state::data_recvd;
}

void send_stream::release_acked() noexcept {
  if (acked_.empty() || acked_.front().begin != ring_.base()) return;
  const std::uint64_t new_base = acked_.front().end;
  acked_.erase(ring_.base(), new_base);
  ring_.advance_to(new_base);
}

void send_stream::on_lost(std::uint64_t offset, std::uint64_t length, bool fin) {
  if (state_ != send_state::send && state_ != send_state::data_sent) return;
  const std::uint64_t begin = std::max(offset, ring_.base());
  const std::uint64_t end = std::min(offset + length, send_next_);
  if (begin < end) {
    lost_.insert(begin, end);
    lost_.erase_held_by(acked_, begin, end);
  }
  if (fin && fin_sent_ && !fin_acked_) fin_lost_ = true;
}

bool send_stream::on_max_stream_data(std::uint64_t max) noexcept {
  const bool was_blocked = credit_.available() == 0 && send_next_ < write_end_;
  return credit_.on_max(max) && was_blocked;
}

void send_stream::on_stop_sending(std::uint64_t app_error) noexcept {
  if (!stop_error_) stop_error_ = app_error;
  reset(app_error);
}

std::optional<reset_info> send_stream::poll_reset() noexcept {
  if (!reset_pending_) return std::nullopt;
  reset_pending_ = false;
  return reset_;
}

void send_stream::on_reset_acked() noexcept {
  if (state_ == send_state::reset_sent) {
    state_ = send_state::reset_recvd;
    reset_pending_ = false;
  }
}

void send_stream::on_reset_lost() noexcept {
  if (state_ == send_state::reset_sent) reset_pending_ = true;
}

} // namespace tern::stream
