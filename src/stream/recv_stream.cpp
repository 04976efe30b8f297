// Receiving half of a stream (RFC 9000 §2.2, §3.2, §4.1, §4.5).
//
// Reassembly: bytes are written into a byte_ring at their stream offset and
// `received_` records which ranges are present above the read offset. A
// read copies the contiguous run starting at the read offset. Overlapping
// and duplicate data simply rewrites the same offsets (RFC 9000 §2.2 says
// retransmitted data must be identical); the range set makes duplicates
// free in accounting.
//
// Bounded memory: the ring never needs to hold more than [read offset,
// advertised limit), and the advertised limit is read offset + window at
// most, so a stream holds at most its window (rounded up to a power of two).
// Data beyond the limit is FLOW_CONTROL_ERROR before anything is stored.
//
// Holes: `received_` holds at most max_ranges disjoint ranges, and a frame
// that would add one more is refused before anything changes (the
// connection closes). Dropping it instead would lose data for good: the
// packet carrying it is acknowledged as a whole. With the ring written in
// place and the range set a balanced tree, a frame costs O(its bytes +
// log max_ranges) whatever the arrival order.
//
// Final size (§4.5): fixed by the first FIN or RESET_STREAM; any later
// frame that moves it, or data beyond it, or a FIN below data already
// received, is FINAL_SIZE_ERROR. Checks run before any state changes, so a
// rejected frame leaves the stream as it was.
#include "stream/recv_stream.hpp"

#include "stream/stream_errc.hpp"
#include "stream/stream_id.hpp"

#include <algorithm>

namespace tern::stream {

recv_stream::recv_stream(window_config cfg, std::size_t max_ranges, range_budget* shared)
    : window_{cfg}, received_{max_ranges, shared} {}

std::error_code recv_stream::check_final_size(std::uint64_t end, bool fin) const noexcept {
  if (final_size_) {
    if (end > *final_size_ || (fin && end != *final_size_)) return stream_errc::final_size_error;
  } else if (fin && end < window_.received()) {
    return stream_errc::final_size_error;
  }
  return {};
}

recv_result recv_stream::on_data(std::uint64_t offset, std::span<const std::byte> data, bool fin,
                                 std::uint64_t connection_credit) {
  recv_result res;
  if (offset > max_varint || data.size() > max_varint - offset) {
    res.error = stream_errc::flow_control_error;
    return res;
  }
  const std::uint64_t end = offset + data.size();
  if ((res.error = check_final_size(end, fin))) return res;
  if (state_ == recv_state::reset_recvd || state_ == recv_state::reset_read) return res; // final size checked

  if (!window_.allows(end)) {
    res.error = stream_errc::flow_control_error;
    return res;
  }
  const std::uint64_t before = window_.received();
  res.credit_used = end > before ? end - before : 0;
  if (res.credit_used > connection_credit) {
    res.error = stream_errc::flow_control_error;
    res.credit_used = 0;
    return res;
  }
  // The last check, and the first change: recording the range is what the
  // hole cap can refuse, and doing it here costs one tree search per frame.
  const std::uint64_t begin = std::max(offset, read_offset_);
  std::uint64_t added = 0;
  if (!stop_error_) {
    const auto inserted = received_.try_insert(begin, end);
    if (!inserted) {
      res.error = stream_errc::protocol_violation;
      res.credit_used = 0;
      return res;
    }
    added = *inserted;
  }
  (void)window_.on_received(end);
  if (fin && !final_size_) {
    final_size_ = end;
    window_.stop_updates();
    if (state_ == recv_state::recv) state_ = recv_state::size_known;
  }

  if (stop_error_) {
    res.released = discard_buffered();
    update_complete();
    return res;
  }
  if (added > 0) { // pure duplicates are not copied again
    ring_.reserve_to(end);
    ring_.write(begin, data.subspan(static_cast<std::size_t>(begin - offset)));
  }
  update_complete();
  return res;
}

void recv_stream::update_complete() noexcept {
  if (state_ != recv_state::size_known || !final_size_) return;
  if (stop_error_ ? window_.received() == *final_size_
                  : received_.contiguous_end(read_offset_) == *final_size_ || read_offset_ == *final_size_)
    state_ = recv_state::data_recvd;
}

recv_result recv_stream::on_reset(std::uint64_t final_size, std::uint64_t app_error,
                                  std::uint64_t connection_credit) {
  recv_result res;
  if (final_size > max_varint) {
    res.error = stream_errc::flow_control_error;
    return res;
  }
  if ((final_size_ && final_size != *final_size_) || final_size < window_.received()) {
    res.error = stream_errc::final_size_error;
    return res;
  }
  if (!window_.allows(final_size)) {
    res.error = stream_errc::flow_control_error;
    return res;
  }
  const std::uint64_t credit = final_size - window_.received();
  if (credit > connection_credit) {
    res.error = stream_errc::flow_control_error;
    return res;
  }
  if (state_ != recv_state::recv && state_ != recv_state::size_known) return res; // nothing left to abandon
  res.credit_used = credit;
  (void)window_.on_received(final_size);
  window_.stop_updates();
  final_size_ = final_size;
  reset_error_ = app_error;
  res.released = final_size - read_offset_;
  window_.on_consumed(res.released);
  read_offset_ = final_size;
  received_.clear();
  ring_ = byte_ring{}; // free the buffer now; the stream may linger until the app reads
  stop_pending_ = false;
  state_ = recv_state::reset_recvd;
  return res;
}

read_result recv_stream::read(std::span<std::byte> out, std::error_code& ec) {
  ec.clear();
  if (state_ == recv_state::reset_recvd || state_ == recv_state::reset_read) {
    state_ = recv_state::reset_read;
    ec = stream_errc::reset_by_peer;
    return {};
  }
  if (stop_error_) {
    ec = stream_errc::stream_closed;
    return {};
  }
  const std::uint64_t n = std::min<std::uint64_t>(readable(), out.size());
  if (n > 0) {
    ring_.read(read_offset_, out.first(static_cast<std::size_t>(n)));
    received_.erase(read_offset_, read_offset_ + n);
    read_offset_ += n;
    ring_.advance_to(read_offset_);
    window_.on_consumed(n);
  }
  read_result r{static_cast<std::size_t>(n), false, std::nullopt};
  if (final_size_ && read_offset_ == *final_size_) {
    r.fin = true;
    state_ = recv_state::data_read;
  }
  return r;
}

std::uint64_t recv_stream::readable() const noexcept {
  return received_.contiguous_end(read_offset_) - read_offset_;
}

std::uint64_t recv_stream::discard_buffered() noexcept {
  // After STOP_SENDING every byte that arrives is consumed at once, so the
  // window keeps the peer's remaining data flowing to its end (or reset).
  const std::uint64_t to = window_.received();
  const std::uint64_t released = to - read_offset_;
  window_.on_consumed(released);
  read_offset_ = to;
  received_.clear();
  ring_.advance_to(to);
  return released;
}

std::uint64_t recv_stream::stop_sending(std::uint64_t app_error) noexcept {
  if (stop_error_ || state_ == recv_state::data_read || state_ == recv_state::reset_recvd ||
      state_ == recv_state::reset_read)
    return 0;
  stop_error_ = app_error;
  // Only worth asking the peer while data is still missing (RFC 9000 §3.5).
  stop_pending_ = state_ == recv_state::recv || state_ == recv_state::size_known;
  const std::uint64_t released = discard_buffered();
  ring_ = byte_ring{};
  ring_.advance_to(read_offset_);
  update_complete();
  return released;
}

std::optional<std::uint64_t> recv_stream::poll_max_stream_data(time_point now, duration rtt) noexcept {
  if (state_ != recv_state::recv) return std::nullopt;
  return window_.poll_update(now, rtt, readable() == 0);
}

std::optional<std::uint64_t> recv_stream::poll_stop_sending() noexcept {
  if (!stop_pending_) return std::nullopt;
  stop_pending_ = false;
  return stop_error_;
}

void recv_stream::on_stop_sending_lost() noexcept {
  if (stop_error_ && (state_ == recv_state::recv || state_ == recv_state::size_known)) stop_pending_ = true;
}

bool recv_stream::is_closed() const noexcept {
  if (state_ == recv_state::data_read || state_ == recv_state::reset_read) return true;
  return stop_error_ && (state_ == recv_state::data_recvd || state_ == recv_state::reset_recvd);
}

} // namespace tern::stream
