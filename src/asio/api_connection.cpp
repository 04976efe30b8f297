// Connection and stream operations: each tries the sans-IO core at once
// and, when the core has nothing yet, parks until the event that can change
// that (stream_readable, stream_writable, stream_opened, datagram_received,
// message_received, path_changed, closed). Completions are always posted
// (detail/async_op.hpp), so nothing here re-enters the endpoint.

#include "asio/api_impl.hpp"
#include "core/errc.hpp"
#include "stream/stream_errc.hpp"

#include <tern/error.hpp>

#include <asio/error.hpp>

#include <algorithm>

namespace tern::detail {

namespace {

std::span<std::byte> as_span(asio::mutable_buffer b) noexcept {
  return {static_cast<std::byte*>(b.data()), b.size()};
}
std::span<const std::byte> as_span(asio::const_buffer b) noexcept {
  return {static_cast<const std::byte*>(b.data()), b.size()};
}

/// Removes the op `raw` from `q` and completes it as cancelled.
template <class Op, class... Values>
void cancel_in(std::deque<Op>& q, const void* raw, Values&&... values) {
  auto it = std::find_if(q.begin(), q.end(), [raw](const Op& o) { return o.get() == raw; });
  if (it == q.end()) return;
  auto o = std::move(*it);
  q.erase(it);
  complete(o, asio::error::operation_aborted, std::forward<Values>(values)...);
}

} // namespace

connection_impl::connection_impl(std::shared_ptr<endpoint_impl> ep, std::unique_ptr<core::connection> core)
    : ep_(std::move(ep)), core_(std::move(core)) {}

connection_impl::~connection_impl() = default;

asio::any_io_executor connection_impl::executor() const { return ep_->executor(); }

tern::connection connection_impl::handle() { return tern::connection(shared_from_this(), executor()); }

bool connection_impl::usable() const noexcept {
  const auto s = core_->state();
  return !removed && ep_->is_open() &&
         (s == core::connection_state::handshaking || s == core::connection_state::established);
}

std::error_code connection_impl::unusable_error() const noexcept {
  if (!ep_->is_open()) return errc::endpoint_closed;
  auto ec = public_error(core_->close_reason().error);
  return ec ? ec : make_error_code(errc::connection_closed);
}

void connection_impl::touch() { ep_->mark_dirty(*this); }

void connection_impl::process_events(time_point t) {
  bool any = false;
  while (auto e = core_->poll_event()) {
    any = true;
    using kind = core::connection_event::kind;
    switch (e->what) {
    case kind::handshake_complete:
      established = true;
      if (connect_op) {
        complete(connect_op, std::error_code{}, handle());
      } else if (!core_->is_client() && !handed_out) {
        handed_out = true;
        ep_->on_established(*this);
      }
      while (!handshake_ops_.empty()) {
        auto op = std::move(handshake_ops_.front());
        handshake_ops_.pop_front();
        complete(op, std::error_code{});
      }
      break;
    case kind::stream_readable: {
      auto it = streams_.find(e->stream_id);
      if (it != streams_.end()) try_read(e->stream_id, it->second);
      break;
    }
    case kind::stream_writable: {
      auto it = streams_.find(e->stream_id);
      if (it != streams_.end()) try_write(e->stream_id, it->second);
      break;
    }
    case kind::path_changed: {
      const auto remote = to_asio(core_->peer_address());
      while (!path_ops_.empty()) {
        auto op = std::move(path_ops_.front());
        path_ops_.pop_front();
        complete(op, std::error_code{}, remote);
      }
      break;
    }
    case kind::closed: fail_all(unusable_error()); break;
    case kind::target_rate_changed: complete_target_rate_ops({}); break;
    case kind::stream_opened:
    case kind::datagram_received:
    case kind::message_received: break; // retry_parked() below
    }
  }
  // A server that accepted early data hands the connection out now, so the
  // application reads the early data one round trip before the handshake
  // completes (and may answer at once, 0.5-RTT).
  if (!core_->is_client() && !handed_out && core_->sends_before_handshake()) {
    handed_out = true;
    ep_->on_established(*this);
  }
  if (any || !open_ops_[0].empty() || !open_ops_[1].empty()) retry_parked(t);
}

void connection_impl::retry_parked(time_point t) {
  if (!usable()) {
    if (core_->state() != core::connection_state::handshaking) fail_all(unusable_error());
    return;
  }
  try_open(t);
  try_accept();
  try_datagrams();
  try_messages(t);
}

void connection_impl::fail_all(std::error_code ec) {
  for (auto& [id, s] : streams_) {
    if (s.read_op) complete(s.read_op, ec, std::size_t{0});
    if (s.write_op) complete(s.write_op, ec, std::size_t{0});
  }
  for (auto& q : open_ops_)
    while (!q.empty()) {
      auto w = std::move(q.front());
      q.pop_front();
      complete(w.op, ec, tern::byte_stream{});
    }
  while (!handshake_ops_.empty()) {
    auto op = std::move(handshake_ops_.front());
    handshake_ops_.pop_front();
    complete(op, ec);
  }
  for (auto& q : accept_ops_)
    while (!q.empty()) {
      auto op = std::move(q.front());
      q.pop_front();
      complete(op, ec, tern::byte_stream{});
    }
  while (!datagram_ops_.empty()) {
    auto w = std::move(datagram_ops_.front());
    datagram_ops_.pop_front();
    complete(w.op, ec, std::size_t{0});
  }
  while (!message_ops_.empty()) {
    auto op = std::move(message_ops_.front());
    message_ops_.pop_front();
    complete(op, ec, received_message{});
  }
  while (!path_ops_.empty()) {
    auto op = std::move(path_ops_.front());
    path_ops_.pop_front();
    complete(op, ec, asio::ip::udp::endpoint{});
  }
  complete_target_rate_ops(ec);
  // Closed-waiters learn why it closed; an endpoint shutdown aborts them.
  while (!closed_ops_.empty()) {
    auto op = std::move(closed_ops_.front());
    closed_ops_.pop_front();
    complete(op, ec);
  }
}

// --- streams -------------------------------------------------------------------

void connection_impl::try_open(time_point) {
  if (!sends_data()) return;
  for (int uni = 0; uni < 2; ++uni) {
    auto& q = open_ops_[uni];
    while (!q.empty()) {
      std::error_code ec;
      auto id = core_->open_stream(uni ? stream::direction::uni : stream::direction::bidi, q.front().allow_early, ec);
      if (ec == stream::stream_errc::streams_blocked) break; // MAX_STREAMS from the peer will come
      auto op = std::move(q.front().op);
      q.pop_front();
      if (ec || !id) {
        complete(op, public_error(ec), tern::byte_stream{});
        continue;
      }
      streams_.try_emplace(*id);
      complete(op, std::error_code{}, tern::byte_stream(shared_from_this(), executor(), *id));
    }
  }
}

void connection_impl::try_accept() {
  for (int uni = 0; uni < 2; ++uni) {
    auto& q = accept_ops_[uni];
    while (!q.empty()) {
      auto id = core_->accept_stream(uni ? stream::direction::uni : stream::direction::bidi);
      if (!id) break;
      auto op = std::move(q.front());
      q.pop_front();
      streams_.try_emplace(*id);
      complete(op, std::error_code{}, tern::byte_stream(shared_from_this(), executor(), *id));
    }
  }
}

void connection_impl::open_stream(bool uni, bool allow_early, stream_op op) {
  if (!usable()) return complete(op, unusable_error(), tern::byte_stream{});
  auto* raw = op.get();
  std::weak_ptr<connection_impl> weak = weak_from_this();
  op->set_canceller([weak, raw, uni] {
    auto self = weak.lock();
    if (!self) return;
    auto& q = self->open_ops_[uni];
    auto it = std::find_if(q.begin(), q.end(), [raw](const open_wait& w) { return w.get() == raw; });
    if (it == q.end()) return;
    auto o = std::move(it->op);
    q.erase(it);
    complete(o, asio::error::operation_aborted, tern::byte_stream{});
  });
  open_ops_[uni].push_back(open_wait{std::move(op), allow_early});
  try_open(now());
  touch();
}

void connection_impl::accept_stream(bool uni, stream_op op) {
  if (!usable()) return complete(op, unusable_error(), tern::byte_stream{});
  auto* raw = op.get();
  std::weak_ptr<connection_impl> weak = weak_from_this();
  op->set_canceller([weak, raw, uni] {
    if (auto self = weak.lock()) cancel_in(self->accept_ops_[uni], raw, tern::byte_stream{});
  });
  accept_ops_[uni].push_back(std::move(op));
  try_accept();
}

void connection_impl::try_read(std::uint64_t id, stream_state& s) {
  if (!s.read_op) return;
  if (s.fin_read) return complete(s.read_op, make_error_code(asio::error::eof), std::size_t{0});
  // The core forgets a stream once its reset was read; later reads see it again.
  if (s.reset_code) return complete(s.read_op, make_error_code(errc::stream_reset), std::size_t{0});
  std::error_code ec;
  const auto r = core_->read(id, as_span(s.read_buffer), ec);
  if (r.reset_code) s.reset_code = r.reset_code;
  if (ec) {
    if (ec == core::core_errc::unknown_stream && !usable()) ec = unusable_error();
    return complete(s.read_op, public_error(ec), std::size_t{0});
  }
  if (r.fin) s.fin_read = true;
  if (r.bytes > 0) {
    complete(s.read_op, std::error_code{}, r.bytes);
    touch(); // reading may open the flow-control window
  } else if (r.fin) {
    complete(s.read_op, make_error_code(asio::error::eof), std::size_t{0});
  }
}

void connection_impl::try_write(std::uint64_t id, stream_state& s) {
  if (!s.write_op) return;
  std::error_code ec;
  const std::size_t n = core_->write(id, as_span(s.write_buffer), ec);
  if (ec) return complete(s.write_op, public_error(ec), std::size_t{0});
  if (n > 0) {
    complete(s.write_op, std::error_code{}, n);
    touch();
  }
}

void connection_impl::read(std::uint64_t id, asio::mutable_buffer out, size_op op) {
  auto& s = streams_[id];
  if (s.read_op) return complete(op, make_error_code(asio::error::in_progress), std::size_t{0});
  if (out.size() == 0) return complete(op, std::error_code{}, std::size_t{0});
  if (s.fin_read) return complete(op, make_error_code(asio::error::eof), std::size_t{0});
  if (removed || !ep_->is_open()) return complete(op, unusable_error(), std::size_t{0});
  s.read_op = std::move(op);
  s.read_buffer = out;
  std::weak_ptr<connection_impl> weak = weak_from_this();
  s.read_op->set_canceller([weak, id] {
    auto self = weak.lock();
    if (!self) return;
    auto it = self->streams_.find(id);
    if (it != self->streams_.end() && it->second.read_op)
      complete(it->second.read_op, asio::error::operation_aborted, std::size_t{0});
  });
  try_read(id, s);
  // Data already read from a connection that has since closed is delivered
  // above; with nothing left, the read fails with the close reason.
  if (s.read_op && !usable() && core_->state() != core::connection_state::handshaking)
    complete(s.read_op, unusable_error(), std::size_t{0});
}

void connection_impl::write(std::uint64_t id, asio::const_buffer data, size_op op) {
  auto& s = streams_[id];
  if (s.write_op) return complete(op, make_error_code(asio::error::in_progress), std::size_t{0});
  if (!usable()) return complete(op, unusable_error(), std::size_t{0});
  if (data.size() == 0) return complete(op, std::error_code{}, std::size_t{0});
  s.write_op = std::move(op);
  s.write_buffer = data;
  std::weak_ptr<connection_impl> weak = weak_from_this();
  s.write_op->set_canceller([weak, id] {
    auto self = weak.lock();
    if (!self) return;
    auto it = self->streams_.find(id);
    if (it != self->streams_.end() && it->second.write_op)
      complete(it->second.write_op, asio::error::operation_aborted, std::size_t{0});
  });
  try_write(id, s);
}

// --- datagrams and messages ------------------------------------------------

void connection_impl::try_datagrams() {
  while (!datagram_ops_.empty()) {
    auto size = core_->receive_datagram(as_span(datagram_ops_.front().out));
    if (!size) return;
    auto w = std::move(datagram_ops_.front());
    datagram_ops_.pop_front();
    complete(w.op, std::error_code{}, *size);
  }
}

void connection_impl::try_messages(time_point t) {
  while (!message_ops_.empty()) {
    auto e = core_->receive_message(t);
    if (!e) return;
    received_message m = public_message(std::move(*e));
    auto op = std::move(message_ops_.front());
    message_ops_.pop_front();
    complete(op, std::error_code{}, std::move(m));
  }
}

void connection_impl::send_datagram(asio::const_buffer payload, time_point deadline, error_op op) {
  if (!usable()) return complete(op, unusable_error());
  auto ec = public_error(core_->send_datagram(as_span(payload), deadline));
  if (!ec) touch();
  complete(op, ec);
}

void connection_impl::receive_datagram(asio::mutable_buffer out, size_op op) {
  if (!usable()) return complete(op, unusable_error(), std::size_t{0});
  auto* raw = op.get();
  std::weak_ptr<connection_impl> weak = weak_from_this();
  op->set_canceller([weak, raw] {
    auto self = weak.lock();
    if (!self) return;
    auto& q = self->datagram_ops_;
    auto it = std::find_if(q.begin(), q.end(), [raw](const datagram_wait& w) { return w.op.get() == raw; });
    if (it == q.end()) return;
    auto w = std::move(*it);
    q.erase(it);
    complete(w.op, asio::error::operation_aborted, std::size_t{0});
  });
  datagram_ops_.push_back(datagram_wait{out, std::move(op)});
  try_datagrams();
}

void connection_impl::send_message(asio::const_buffer m, time_point deadline, const message_options& options,
                                   id_op op) {
  if (!usable()) return complete(op, unusable_error(), std::uint64_t{0});
  std::error_code ec;
  auto id = core_->send_message(as_span(m), deadline, now(), ec, options);
  if (ec || !id) return complete(op, public_error(ec), std::uint64_t{0});
  touch();
  complete(op, std::error_code{}, *id);
}

void connection_impl::receive_message(message_op op) {
  if (!usable()) return complete(op, unusable_error(), received_message{});
  auto* raw = op.get();
  std::weak_ptr<connection_impl> weak = weak_from_this();
  op->set_canceller([weak, raw] {
    if (auto self = weak.lock()) cancel_in(self->message_ops_, raw, received_message{});
  });
  message_ops_.push_back(std::move(op));
  try_messages(now());
  // The receiver may have deadlines of its own (ttl of partial messages).
  touch();
}

void connection_impl::wait_path_change(endpoint_op op) {
  if (!usable()) return complete(op, unusable_error(), asio::ip::udp::endpoint{});
  auto* raw = op.get();
  std::weak_ptr<connection_impl> weak = weak_from_this();
  op->set_canceller([weak, raw] {
    if (auto self = weak.lock()) cancel_in(self->path_ops_, raw, asio::ip::udp::endpoint{});
  });
  path_ops_.push_back(std::move(op));
}

void connection_impl::wait_handshake(error_op op) {
  if (!usable()) return complete(op, unusable_error());
  if (established) return complete(op, std::error_code{});
  auto* raw = op.get();
  std::weak_ptr<connection_impl> weak = weak_from_this();
  op->set_canceller([weak, raw] {
    if (auto self = weak.lock()) cancel_in(self->handshake_ops_, raw);
  });
  handshake_ops_.push_back(std::move(op));
}

void connection_impl::wait_closed(error_op op) {
  if (!usable()) return complete(op, unusable_error());
  auto* raw = op.get();
  std::weak_ptr<connection_impl> weak = weak_from_this();
  op->set_canceller([weak, raw] {
    if (auto self = weak.lock()) cancel_in(self->closed_ops_, raw);
  });
  closed_ops_.push_back(std::move(op));
}

// --- entry points ------------------------------------------------------------

#define TERN_REQUIRE_IMPL(c, op, ...)                                                                   \
  if (!(c)) {                                                                                           \
    complete(op, make_error_code(errc::connection_closed) __VA_OPT__(, ) __VA_ARGS__);                  \
    return;                                                                                             \
  }

void connection_open_stream(const std::shared_ptr<connection_impl>& c, bool uni, stream_op op) {
  TERN_REQUIRE_IMPL(c, op, tern::byte_stream{})
  c->open_stream(uni, false, std::move(op));
}
void connection_open_stream(const std::shared_ptr<connection_impl>& c, const stream_options& options, stream_op op) {
  TERN_REQUIRE_IMPL(c, op, tern::byte_stream{})
  c->open_stream(options.unidirectional, options.allow_early, std::move(op));
}
void connection_wait_handshake(const std::shared_ptr<connection_impl>& c, error_op op) {
  TERN_REQUIRE_IMPL(c, op)
  c->wait_handshake(std::move(op));
}
void connection_accept_stream(const std::shared_ptr<connection_impl>& c, bool uni, stream_op op) {
  TERN_REQUIRE_IMPL(c, op, tern::byte_stream{})
  c->accept_stream(uni, std::move(op));
}
void connection_send_datagram(const std::shared_ptr<connection_impl>& c, asio::const_buffer payload,
                              std::chrono::steady_clock::time_point deadline, error_op op) {
  TERN_REQUIRE_IMPL(c, op)
  c->send_datagram(payload, to_tern(deadline), std::move(op));
}
void connection_receive_datagram(const std::shared_ptr<connection_impl>& c, asio::mutable_buffer out, size_op op) {
  TERN_REQUIRE_IMPL(c, op, std::size_t{0})
  c->receive_datagram(out, std::move(op));
}
void connection_send_message(const std::shared_ptr<connection_impl>& c, asio::const_buffer m,
                             std::chrono::steady_clock::time_point deadline, id_op op) {
  TERN_REQUIRE_IMPL(c, op, std::uint64_t{0})
  c->send_message(m, to_tern(deadline), message_options{}, std::move(op));
}
void connection_send_message(const std::shared_ptr<connection_impl>& c, asio::const_buffer m,
                             std::chrono::steady_clock::time_point deadline, const message_options& options,
                             id_op op) {
  TERN_REQUIRE_IMPL(c, op, std::uint64_t{0})
  c->send_message(m, to_tern(deadline), options, std::move(op));
}
void connection_receive_message(const std::shared_ptr<connection_impl>& c, message_op op) {
  TERN_REQUIRE_IMPL(c, op, received_message{})
  c->receive_message(std::move(op));
}
void connection_wait_path_change(const std::shared_ptr<connection_impl>& c, endpoint_op op) {
  TERN_REQUIRE_IMPL(c, op, asio::ip::udp::endpoint{})
  c->wait_path_change(std::move(op));
}
void connection_wait_closed(const std::shared_ptr<connection_impl>& c, error_op op) {
  TERN_REQUIRE_IMPL(c, op)
  c->wait_closed(std::move(op));
}
void stream_read(const std::shared_ptr<connection_impl>& c, std::uint64_t id, asio::mutable_buffer out, size_op op) {
  TERN_REQUIRE_IMPL(c, op, std::size_t{0})
  c->read(id, out, std::move(op));
}
void stream_write(const std::shared_ptr<connection_impl>& c, std::uint64_t id, asio::const_buffer data, size_op op) {
  TERN_REQUIRE_IMPL(c, op, std::size_t{0})
  c->write(id, data, std::move(op));
}

#undef TERN_REQUIRE_IMPL

} // namespace tern::detail

// --- tern::connection and tern::byte_stream, synchronous parts ---------------------

namespace tern {

namespace {
void throw_if(const std::error_code& ec, const char* what) {
  if (ec) throw std::system_error(ec, what);
}
} // namespace

void connection::send_datagram(asio::const_buffer payload, std::chrono::steady_clock::time_point deadline,
                               std::error_code& ec) noexcept {
  if (!impl_ || !impl_->usable()) {
    ec = impl_ ? impl_->unusable_error() : make_error_code(errc::connection_closed);
    return;
  }
  ec = detail::public_error(impl_->core().send_datagram(
      {static_cast<const std::byte*>(payload.data()), payload.size()}, detail::to_tern(deadline)));
  if (!ec) impl_->touch();
}

void connection::send_datagram(asio::const_buffer payload, std::chrono::steady_clock::time_point deadline) {
  std::error_code ec;
  send_datagram(payload, deadline, ec);
  throw_if(ec, "tern::connection::send_datagram");
}

std::uint64_t connection::send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline,
                                       std::error_code& ec) noexcept {
  return send_message(message, deadline, message_options{}, ec);
}

std::uint64_t connection::send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline,
                                       const message_options& options, std::error_code& ec) noexcept {
  if (!impl_ || !impl_->usable()) {
    ec = impl_ ? impl_->unusable_error() : make_error_code(errc::connection_closed);
    return 0;
  }
  auto id = impl_->core().send_message({static_cast<const std::byte*>(message.data()), message.size()},
                                       detail::to_tern(deadline), detail::now(), ec, options);
  ec = detail::public_error(ec);
  if (ec || !id) return 0;
  impl_->touch();
  return *id;
}

std::uint64_t connection::send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline) {
  std::error_code ec;
  auto id = send_message(message, deadline, ec);
  throw_if(ec, "tern::connection::send_message");
  return id;
}

std::uint64_t connection::send_message(asio::const_buffer message, std::chrono::steady_clock::time_point deadline,
                                       const message_options& options) {
  std::error_code ec;
  auto id = send_message(message, deadline, options, ec);
  throw_if(ec, "tern::connection::send_message");
  return id;
}

void connection::configure_message_flow(std::uint8_t flow, const message_flow_options& options,
                                        std::error_code& ec) noexcept {
  if (!impl_ || !impl_->usable()) {
    ec = impl_ ? impl_->unusable_error() : make_error_code(errc::connection_closed);
    return;
  }
  ec = detail::public_error(impl_->core().configure_message_flow(flow, options));
}

void connection::configure_message_flow(std::uint8_t flow, const message_flow_options& options) {
  std::error_code ec;
  configure_message_flow(flow, options, ec);
  throw_if(ec, "tern::connection::configure_message_flow");
}

void connection::close(std::uint64_t code, std::string_view reason) noexcept {
  if (!impl_ || !impl_->usable()) return;
  impl_->core().close(code, reason, detail::now());
  impl_->fail_all(make_error_code(errc::closed_locally));
  impl_->touch();
}

bool connection::is_open() const noexcept { return impl_ && impl_->usable() && impl_->established; }
bool connection::handshake_complete() const noexcept { return is_open(); }
bool connection::early_data_accepted() const noexcept { return impl_ && impl_->core().early_data_accepted(); }

std::error_code connection::close_error() const noexcept {
  if (!impl_) return make_error_code(errc::connection_closed);
  if (impl_->usable()) return {};
  return impl_->unusable_error();
}

std::uint64_t connection::close_code() const noexcept { return impl_ ? impl_->core().close_reason().code : 0; }

std::string connection::close_reason() const { return impl_ ? impl_->core().close_reason().reason : std::string{}; }

connection_stats connection::stats() const noexcept {
  connection_stats s;
  if (!impl_) return s;
  return detail::public_stats(impl_->core().stats());
}

asio::ip::udp::endpoint connection::remote_endpoint() const noexcept {
  return impl_ ? detail::to_asio(impl_->core().peer_address()) : asio::ip::udp::endpoint{};
}

std::string connection::alpn() const { return impl_ ? impl_->core().alpn() : std::string{}; }

std::vector<std::byte> connection::address_token() const {
  return impl_ ? impl_->core().received_token() : std::vector<std::byte>{};
}

std::vector<std::byte> connection::session_ticket() const {
  return impl_ ? impl_->core().session_ticket() : std::vector<std::byte>{};
}

bool connection::resumed() const noexcept { return impl_ && impl_->core().resumed(); }

std::string connection::peer_fingerprint() const {
  if (!impl_) return {};
  auto fp = impl_->core().peer_fingerprint();
  return fp ? crypto::format_fingerprint(*fp) : std::string{};
}

void byte_stream::shutdown_send(std::error_code& ec) noexcept {
  if (!impl_ || !impl_->usable()) {
    ec = impl_ ? impl_->unusable_error() : make_error_code(errc::unknown_stream);
    return;
  }
  ec = detail::public_error(impl_->core().finish(id_));
  if (!ec) impl_->touch();
}

void byte_stream::shutdown_send() {
  std::error_code ec;
  shutdown_send(ec);
  throw_if(ec, "tern::stream::shutdown_send");
}

void byte_stream::reset(std::uint64_t code, std::error_code& ec) noexcept {
  if (!impl_ || !impl_->usable()) {
    ec = impl_ ? impl_->unusable_error() : make_error_code(errc::unknown_stream);
    return;
  }
  ec = detail::public_error(impl_->core().reset_stream(id_, code));
  if (!ec) {
    auto& s = impl_->stream_entry(id_);
    if (s.write_op) detail::complete(s.write_op, make_error_code(errc::stream_closed), std::size_t{0});
    impl_->touch();
  }
}

void byte_stream::reset(std::uint64_t code) {
  std::error_code ec;
  reset(code, ec);
  throw_if(ec, "tern::stream::reset");
}

std::optional<std::uint64_t> byte_stream::reset_code() const noexcept {
  if (!impl_) return std::nullopt;
  const auto& streams = impl_->stream_entries();
  const auto it = streams.find(id_);
  return it == streams.end() ? std::nullopt : it->second.reset_code;
}

void byte_stream::stop_reading(std::uint64_t code, std::error_code& ec) noexcept {
  if (!impl_ || !impl_->usable()) {
    ec = impl_ ? impl_->unusable_error() : make_error_code(errc::unknown_stream);
    return;
  }
  ec = detail::public_error(impl_->core().stop_sending(id_, code));
  if (!ec) impl_->touch();
}

void byte_stream::stop_reading(std::uint64_t code) {
  std::error_code ec;
  stop_reading(code, ec);
  throw_if(ec, "tern::stream::stop_reading");
}

void byte_stream::set_urgency(std::uint8_t urgency, std::error_code& ec) noexcept {
  if (!impl_) {
    ec = make_error_code(errc::unknown_stream);
    return;
  }
  ec = detail::public_error(impl_->core().set_urgency(id_, urgency));
}

void byte_stream::set_urgency(std::uint8_t urgency) {
  std::error_code ec;
  set_urgency(urgency, ec);
  throw_if(ec, "tern::stream::set_urgency");
}

} // namespace tern
