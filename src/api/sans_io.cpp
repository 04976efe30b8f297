// tern::sans_io: the public face of core::endpoint and core::connection for
// applications that run their own I/O loop. It only translates errors,
// events and stats; routing, admission and timers are the core endpoint's,
// shared with tern::endpoint through detail::front_end.

#include "api/front_end.hpp"
#include "core/connection.hpp"
#include "stream/stream_errc.hpp"

#include <tern/error.hpp>
#include <tern/sans_io.hpp>

#include <unordered_map>

namespace tern::sans_io {

struct endpoint::state {
  state(const config& cfg, std::uint64_t seed, std::error_code& ec) : fe(cfg, seed, ec) {}
  detail::front_end fe;
  /// The public connection of each core handle, for on_datagram's result.
  std::unordered_map<core::connection_handle, connection*> connections;
  /// The time of the latest call that carried one: calls without a `now`
  /// (write, read, ...) update the core endpoint at it.
  time_point last_now{};
  /// Where on_datagram decrypts, reused.
  std::vector<std::byte> scratch;
};

struct connection::impl {
  std::shared_ptr<endpoint::state> ep; // keeps the TLS contexts and the random source alive
  std::unique_ptr<core::connection> core;
  core::connection_handle handle = core::no_connection;

  /// After every call into the core: its routes and timer follow.
  void touched(time_point now) {
    ep->last_now = std::max(ep->last_now, now);
    ep->fe.core().update(handle, ep->last_now);
  }
  void touched() { touched(ep->last_now); }
};

namespace {

/// Updates the core endpoint when a call that may change the connection's
/// routes or timers returns, whichever way it returns.
struct touch_on_return {
  connection::impl& c;
  time_point now;
  ~touch_on_return() { c.touched(now); }
};

stream::direction direction_of(bool unidirectional) noexcept {
  return unidirectional ? stream::direction::uni : stream::direction::bidi;
}

} // namespace

// --- endpoint ------------------------------------------------------------------

endpoint::endpoint(const config& cfg, std::error_code& ec, std::uint64_t seed) {
  auto s = std::make_shared<state>(cfg, seed, ec);
  ec = detail::public_error(ec);
  if (!ec) state_ = std::move(s);
}

endpoint::~endpoint() = default;
endpoint::endpoint(endpoint&&) noexcept = default;
endpoint& endpoint::operator=(endpoint&&) noexcept = default;

std::string endpoint::fingerprint() const { return state_ ? state_->fe.identity().fingerprint() : std::string{}; }

std::unique_ptr<connection> endpoint::connect(const address& server, const connect_options& options, time_point now,
                                              std::error_code& ec) {
  ec.clear();
  if (!state_) {
    ec = make_error_code(errc::invalid_argument);
    return nullptr;
  }
  auto tls = state_->fe.client_tls(options, ec);
  if (ec) return nullptr;
  state_->last_now = std::max(state_->last_now, now);
  auto i = std::make_unique<connection::impl>();
  i->ep = state_;
  i->core = state_->fe.core().connect(server, tls, now, ec, i->handle, options.address_token,
                                      core::resumption_offer{options.session_ticket, options.early_data, options.early_datagrams});
  if (ec || !i->core) {
    ec = detail::public_error(ec);
    return nullptr;
  }
  std::unique_ptr<connection> c(new connection(std::move(i)));
  state_->connections[c->impl_->handle] = c.get();
  return c;
}

datagram_result endpoint::on_datagram(std::span<const std::byte> datagram, const address& from, time_point now) {
  datagram_result r;
  if (!state_) return r;
  state_->last_now = std::max(state_->last_now, now);
  // The core works in place; the caller's bytes stay as they were.
  auto& copy = state_->scratch;
  copy.assign(datagram.begin(), datagram.end());
  auto outcome = state_->fe.core().on_datagram(copy, from, now);
  using kind = core::datagram_outcome::kind;
  if (outcome.what == kind::delivered) {
    auto it = state_->connections.find(outcome.handle);
    r.conn = it == state_->connections.end() ? nullptr : it->second;
  } else if (outcome.what == kind::accepted) {
    auto i = std::make_unique<connection::impl>();
    i->ep = state_;
    i->core = std::move(outcome.accepted);
    i->handle = outcome.handle;
    // The application holds it from here: it counts as accepted.
    state_->fe.core().claim(i->handle);
    r.accepted.reset(new connection(std::move(i)));
    r.conn = r.accepted.get();
    state_->connections[outcome.handle] = r.conn;
  }
  return r;
}

std::optional<transmit> endpoint::poll_transmit(std::span<std::byte> out, time_point now) {
  if (!state_) return std::nullopt;
  state_->last_now = std::max(state_->last_now, now);
  auto t = state_->fe.core().poll_transmit(out);
  if (!t) return std::nullopt;
  return transmit{t->size, t->to};
}

time_point endpoint::next_timeout() const noexcept { return state_ ? state_->fe.core().next_timeout() : never; }

std::vector<connection*> endpoint::on_timeout(time_point now) {
  std::vector<connection*> out;
  if (!state_) return out;
  state_->last_now = std::max(state_->last_now, now);
  std::vector<core::connection_handle> ran;
  state_->fe.core().on_timeout(now, ran);
  for (const auto h : ran)
    if (auto it = state_->connections.find(h); it != state_->connections.end()) out.push_back(it->second);
  return out;
}

endpoint_stats endpoint::stats() const noexcept {
  endpoint_stats s;
  if (!state_) return s;
  const auto c = state_->fe.core().stats();
  s.connections = c.connections;
  s.datagrams_received = c.datagrams_received;
  s.datagrams_dropped = c.datagrams_dropped;
  s.retries_sent = c.retries_sent;
  s.initials_refused = c.initials_refused;
  s.initials_over_limit = c.initials_over_limit;
  s.handshakes_displaced = c.handshakes_displaced;
  s.handshakes_unanswered = c.handshakes_unanswered;
  s.initials_from_unanswered = c.initials_from_unanswered;
  s.initials_unauthenticated = c.initials_unauthenticated;
  s.half_open = c.half_open;
  return s;
}

// --- connection: I/O and state ------------------------------------------------

connection::connection(std::unique_ptr<impl> p) : impl_(std::move(p)) {}

connection::~connection() {
  impl_->ep->fe.core().remove(impl_->handle);
  impl_->ep->connections.erase(impl_->handle);
}

std::optional<transmit> connection::poll_transmit(std::span<std::byte> out, time_point now) {
  const touch_on_return touch{*impl_, now};
  auto t = impl_->core->poll_transmit(out, now);
  if (!t) return std::nullopt;
  return transmit{t->size, t->to};
}

std::optional<event> connection::poll_event() {
  auto e = impl_->core->poll_event();
  if (!e) return std::nullopt;
  using in = core::connection_event::kind;
  using out = event::kind;
  event r;
  r.stream_id = e->stream_id;
  switch (e->what) {
  case in::handshake_complete: r.what = out::handshake_complete; break;
  case in::stream_opened: r.what = out::stream_opened; break;
  case in::stream_readable: r.what = out::stream_readable; break;
  case in::stream_writable: r.what = out::stream_writable; break;
  case in::datagram_received: r.what = out::datagram_received; break;
  case in::message_received: r.what = out::message_received; break;
  case in::path_changed: r.what = out::path_changed; break;
  case in::closed: r.what = out::closed; break;
  case in::target_rate_changed: r.what = out::target_rate_changed; break;
  }
  return r;
}

bool connection::is_established() const noexcept { return impl_->core->is_established(); }
bool connection::is_closed() const noexcept { return impl_->core->is_closed(); }

std::error_code connection::close_error() const noexcept {
  return detail::public_error(impl_->core->close_reason().error);
}
std::uint64_t connection::close_code() const noexcept { return impl_->core->close_reason().code; }
std::string connection::close_reason() const { return impl_->core->close_reason().reason; }

connection_stats connection::stats() const {
  return detail::public_stats(impl_->core->stats());
}

address connection::remote_address() const noexcept { return impl_->core->peer_address(); }
std::string connection::alpn() const { return impl_->core->alpn(); }
std::vector<std::byte> connection::address_token() const { return impl_->core->received_token(); }
std::vector<std::byte> connection::session_ticket() const { return impl_->core->session_ticket(); }
bool connection::resumed() const noexcept { return impl_->core->resumed(); }
bool connection::early_data_accepted() const noexcept { return impl_->core->early_data_accepted(); }
bool connection::sends_before_handshake() const noexcept { return impl_->core->sends_before_handshake(); }

std::string connection::peer_fingerprint() const {
  const auto fp = impl_->core->peer_fingerprint();
  return fp ? crypto::format_fingerprint(*fp) : std::string{};
}

// --- streams -------------------------------------------------------------------

std::optional<std::uint64_t> connection::open_stream(bool unidirectional, std::error_code& ec) {
  return open_stream(stream_options{.unidirectional = unidirectional}, ec);
}

std::optional<std::uint64_t> connection::open_stream(const stream_options& options, std::error_code& ec) {
  const touch_on_return touch{*impl_, impl_->ep->last_now};
  auto id = impl_->core->open_stream(direction_of(options.unidirectional), options.allow_early, ec);
  // The peer's stream limit is a wait, not a failure: try again later.
  if (ec == stream::stream_errc::streams_blocked) ec.clear();
  ec = detail::public_error(ec);
  return id;
}

std::optional<std::uint64_t> connection::accept_stream(bool unidirectional) {
  return impl_->core->accept_stream(direction_of(unidirectional));
}

std::size_t connection::write(std::uint64_t stream_id, std::span<const std::byte> data, std::error_code& ec) {
  const touch_on_return touch{*impl_, impl_->ep->last_now};
  const auto n = impl_->core->write(stream_id, data, ec);
  ec = detail::public_error(ec);
  return n;
}

std::error_code connection::finish(std::uint64_t stream_id) {
  const touch_on_return touch{*impl_, impl_->ep->last_now};
  return detail::public_error(impl_->core->finish(stream_id));
}

read_result connection::read(std::uint64_t stream_id, std::span<std::byte> out, std::error_code& ec) {
  const touch_on_return touch{*impl_, impl_->ep->last_now};
  const auto r = impl_->core->read(stream_id, out, ec);
  ec = detail::public_error(ec);
  return read_result{r.bytes, r.fin, r.reset_code};
}

std::error_code connection::reset_stream(std::uint64_t stream_id, std::uint64_t code) {
  const touch_on_return touch{*impl_, impl_->ep->last_now};
  return detail::public_error(impl_->core->reset_stream(stream_id, code));
}
std::error_code connection::stop_sending(std::uint64_t stream_id, std::uint64_t code) {
  const touch_on_return touch{*impl_, impl_->ep->last_now};
  return detail::public_error(impl_->core->stop_sending(stream_id, code));
}
std::error_code connection::set_urgency(std::uint64_t stream_id, std::uint8_t urgency) {
  const touch_on_return touch{*impl_, impl_->ep->last_now};
  return detail::public_error(impl_->core->set_urgency(stream_id, urgency));
}
std::size_t connection::writable(std::uint64_t stream_id) { return impl_->core->writable(stream_id); }

// --- datagrams and messages ---------------------------------------------------------

std::error_code connection::send_datagram(std::span<const std::byte> payload, time_point deadline) {
  const touch_on_return touch{*impl_, impl_->ep->last_now};
  return detail::public_error(impl_->core->send_datagram(payload, deadline));
}

std::optional<std::size_t> connection::receive_datagram(std::span<std::byte> out) {
  return impl_->core->receive_datagram(out);
}

std::optional<std::uint64_t> connection::send_message(std::span<const std::byte> message, time_point deadline,
                                                      time_point now, std::error_code& ec) {
  const touch_on_return touch{*impl_, now};
  auto id = impl_->core->send_message(message, deadline, now, ec);
  ec = detail::public_error(ec);
  return id;
}

std::optional<std::uint64_t> connection::send_message(std::span<const std::byte> message, time_point deadline,
                                                      const message_options& options, time_point now,
                                                      std::error_code& ec) {
  const touch_on_return touch{*impl_, now};
  auto id = impl_->core->send_message(message, deadline, now, ec, options);
  ec = detail::public_error(ec);
  return id;
}

std::error_code connection::configure_message_flow(std::uint8_t flow, const message_flow_options& options) {
  return detail::public_error(impl_->core->configure_message_flow(flow, options));
}

std::optional<received_message> connection::receive_message(time_point now) {
  const touch_on_return touch{*impl_, now};
  auto e = impl_->core->receive_message(now);
  if (!e) return std::nullopt;
  return detail::public_message(std::move(*e));
}

void connection::close(std::uint64_t code, std::string_view reason, time_point now) {
  const touch_on_return touch{*impl_, now};
  impl_->core->close(code, reason, now);
}

} // namespace tern::sans_io
