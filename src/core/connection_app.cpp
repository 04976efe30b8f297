// The application's data API (docs/connection.md, "Application API"):
// streams, unreliable datagrams and deadline messages. Each call changes the
// owning component (stream map, send and receive streams, flow control,
// datagram queues, message sender and receiver) and marks what the next
// poll_transmit() has to look at; none of them sends anything itself.

#include "core/connection.hpp"

#include "stream/stream_errc.hpp"

#include <algorithm>

namespace tern::core {

namespace {
bool usable(connection_state s) {
  return s == connection_state::handshaking || s == connection_state::established;
}
} // namespace

void connection::update_stream(std::uint64_t id) {
  send_.set(send_flag::stream_control);
  (void)streams_.update(id);
}

std::optional<std::uint64_t> connection::open_stream(stream::direction d, std::error_code& ec) {
  return open_stream(d, false, ec);
}

std::optional<std::uint64_t> connection::open_stream(stream::direction d, bool allow_early, std::error_code& ec) {
  ec.clear();
  if (!usable(state_)) {
    ec = core_errc::connection_closed;
    return std::nullopt;
  }
  auto* s = streams_.open(d, ec);
  if (!s) return std::nullopt;
  s->allow_early = allow_early;
  return s->id;
}

std::optional<std::uint64_t> connection::accept_stream(stream::direction d) { return streams_.accept(d); }

std::size_t connection::write(std::uint64_t id, std::span<const std::byte> data, std::error_code& ec) {
  ec.clear();
  if (!usable(state_)) {
    ec = core_errc::connection_closed;
    return 0;
  }
  auto* s = streams_.find(id);
  if (!s) {
    ec = core_errc::unknown_stream;
    return 0;
  }
  if (!s->send) {
    ec = core_errc::invalid_stream_direction;
    return 0;
  }
  s->send->set_buffer_limit(send_buffer_limit());
  const std::size_t n = s->send->write(data, ec);
  auto& want = events_.want_writable;
  if (n < data.size() && !ec && std::find(want.begin(), want.end(), id) == want.end()) want.push_back(id);
  update_stream(id);
  return n;
}

std::size_t connection::writable(std::uint64_t id) {
  auto* s = streams_.find(id);
  if (!s || !s->send) return 0;
  s->send->set_buffer_limit(send_buffer_limit());
  return s->send->writable();
}

std::size_t connection::send_buffer_limit() const noexcept {
  // A fixed buffer caps throughput at buffer / RTT: on a 100 Mbit/s 200 ms
  // path 1 MB allows 40 Mbit/s, and after a loss the ring also holds
  // everything above the hole until the retransmission is acknowledged,
  // which takes two RTTs or more while a loss burst is repaired (and the
  // queue it overflowed inflates the RTT). Four congestion windows cover
  // what is in flight plus that backlog; at twice, a 100 Mbit/s, 200 ms,
  // 1% loss path stalls on the buffer in the BBR start-up loss burst
  // (bench/core/connection_vs_packet.sh: 74.6 vs 76.4 Mb/s, seed 1).
  const std::size_t floor = config_.stream_send_buffer;
  const std::size_t ceiling = std::max(floor, config_.max_stream_send_buffer);
  const std::uint64_t want = 4 * sender_.congestion_window();
  return static_cast<std::size_t>(std::clamp<std::uint64_t>(want, floor, ceiling));
}

std::error_code connection::finish(std::uint64_t id) {
  if (!usable(state_)) return core_errc::connection_closed;
  auto* s = streams_.find(id);
  if (!s) return core_errc::unknown_stream;
  if (!s->send) return core_errc::invalid_stream_direction;
  auto ec = s->send->finish();
  update_stream(id);
  return ec;
}

stream::read_result connection::read(std::uint64_t id, std::span<std::byte> out, std::error_code& ec) {
  ec.clear();
  auto* s = streams_.find(id);
  if (!s) {
    ec = core_errc::unknown_stream;
    return {};
  }
  if (!s->recv) {
    ec = core_errc::invalid_stream_direction;
    return {};
  }
  events_.readable_pending.erase(id);
  auto r = s->recv->read(out, ec);
  if (ec == stream::stream_errc::reset_by_peer) r.reset_code = s->recv->reset_error();
  if (r.bytes > 0) conn_recv_window_.on_consumed(r.bytes);
  update_stream(id);
  return r;
}

std::error_code connection::reset_stream(std::uint64_t id, std::uint64_t app_error) {
  auto* s = streams_.find(id);
  if (!s) return core_errc::unknown_stream;
  if (!s->send) return core_errc::invalid_stream_direction;
  s->send->reset(app_error);
  update_stream(id);
  return {};
}

std::error_code connection::stop_sending(std::uint64_t id, std::uint64_t app_error) {
  auto* s = streams_.find(id);
  if (!s) return core_errc::unknown_stream;
  if (!s->recv) return core_errc::invalid_stream_direction;
  const std::uint64_t dropped = s->recv->stop_sending(app_error);
  if (dropped > 0) conn_recv_window_.on_consumed(dropped);
  update_stream(id);
  return {};
}

std::error_code connection::set_urgency(std::uint64_t id, std::uint8_t urgency) {
  if (!streams_.find(id)) return core_errc::unknown_stream;
  streams_.set_urgency(id, urgency);
  return {};
}

// --- datagrams and messages ---------------------------------------------------

std::error_code connection::send_datagram(std::span<const std::byte> payload, time_point deadline) {
  if (!usable(state_)) return core_errc::connection_closed;
  return datagrams_out_.push(payload, deadline);
}

std::optional<std::size_t> connection::receive_datagram(std::span<std::byte> out) { return datagrams_in_.pop(out); }

std::optional<std::uint64_t> connection::send_message(std::span<const std::byte> message, time_point deadline,
                                                      time_point now, std::error_code& ec,
                                                      const message_options& options) {
  ec.clear();
  if (!usable(state_)) {
    ec = core_errc::connection_closed;
    return std::nullopt;
  }
  const std::uint64_t id = messages_out_.send(message, deadline, now, ec, options);
  if (ec) return std::nullopt;
  return id;
}

std::error_code connection::configure_message_flow(std::uint8_t flow, const message_flow_options& options) {
  return messages_out_.configure(flow, options);
}

std::optional<stream::message_event> connection::receive_message(time_point now) {
  events_.message_pending = false;
  return messages_in_.poll(now);
}

} // namespace tern::core
