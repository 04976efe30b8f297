// The endpoint's I/O loop (docs/api.md, "Inside the endpoint").
//
// The sans-IO core::endpoint (src/core/endpoint.hpp) routes, admits and
// times every connection; this file gives it a socket, a timer and a send
// batch. Three kinds of event drive it, all on the endpoint's executor:
//   - the socket is readable: each datagram of a recvmmsg batch goes to
//     core::endpoint::on_datagram (delivered, a new server connection, a
//     Retry to send, or dropped), then each touched connection is serviced;
//   - the one timer (io::wakeup_timer) fires at the core endpoint's
//     next_timeout(), the earliest of all connections (pacing releases
//     included, so pacing is as fine as the timer: sub-millisecond on
//     Linux), and the due connections run on_timeout();
//   - an application call changed a connection: it is marked dirty and one
//     posted flush services all dirty connections together.
// Servicing a connection drains its events into parked operations and then
// drains poll_transmit() into one shared send batch; the batch goes out with
// sendmmsg, runs of equal-size datagrams to one peer as UDP GSO buffers. A
// full socket buffer parks the rest of the batch until the socket is
// writable. Socket errors about one destination (ICMP unreachable, packet too
// big) are absorbed: the connection's own timers decide its fate.
// STUN shares all three (api_nat.cpp): datagrams whose first byte is 0-3 go
// to the endpoint's nat_agent before routing, its deadline joins the timer's
// earliest, and what it sends joins the same batch after the connections'.

#include "asio/api_impl.hpp"
#include "asio/timer_slack.hpp"

#include <tern/error.hpp>

#include <asio/error.hpp>
#include <asio/post.hpp>

#include <algorithm>

namespace tern::detail {

endpoint_impl::endpoint_impl(asio::any_io_executor ex) : ex_(ex), socket_(ex), timer_(ex) {}

endpoint_impl::~endpoint_impl() = default;

std::error_code endpoint_impl::open(const asio::ip::udp::endpoint& local, const config& cfg) {
  if (open_) return errc::invalid_argument;
  std::error_code ec;
  auto fe = std::make_unique<front_end>(cfg, 0, ec);
  if (ec) return ec;
  fe_ = std::move(fe);
  cfg_ = cfg;

  io::udp_socket_options opts;
  opts.dual_stack = local.address().is_v6() && local.address().is_unspecified();
  opts.reuse_port = cfg.reuse_port;
  opts.recv_buffer = cfg.socket_receive_buffer;
  opts.send_buffer = cfg.socket_send_buffer;
  opts.ecn = cfg.ecn;
  opts.gso = cfg.gso;
  opts.gro = cfg.gro;
  if (auto e = socket_.open(local, opts)) return e;
  dual_stack_ = opts.dual_stack;
  open_nat();

  if (socket_.caps().gro) {
    // One GRO buffer holds up to 64 datagrams, so an eighth of the slots
    // still takes in a full io_batch per call; each must hold 64 KiB or
    // coalesced buffers arrive truncated.
    rx_.emplace(std::max<std::size_t>(cfg.io_batch / 8, 4), 65535);
  } else {
    rx_.emplace(cfg.io_batch, std::max<std::size_t>(cfg.max_datagram_size + 64, 2048));
  }
  tx_slot_size_ = std::max<std::size_t>(cfg.max_datagram_size, 1500);
  tx_storage_.assign(cfg.io_batch * tx_slot_size_, std::byte{0});
  tx_.reserve(cfg.io_batch);
  open_ = true;
  start_receive();
  return {};
}

void endpoint_impl::close() noexcept {
  if (!open_) return;
  const time_point t = now();
  // Tell every peer, in one last batch.
  auto all = connections_;
  for (auto& [h, c] : all) {
    if (c->usable()) c->core().close(0, "endpoint closed", t);
    flush(*c, t);
  }
  submit();
  open_ = false;
  for (auto& [h, c] : all) {
    c->fail_all(asio::error::operation_aborted);
    if (c->connect_op) complete(c->connect_op, asio::error::operation_aborted, tern::connection{});
    c->removed = true;
  }
  while (!accept_ops_.empty()) {
    auto op = std::move(accept_ops_.front());
    accept_ops_.pop_front();
    complete(op, asio::error::operation_aborted, tern::connection{});
  }
  close_nat();
  for (auto& [h, c] : all) fe_->core().remove(h);
  connections_.clear();
  dirty_.clear();
  backlog_.clear();
  tx_waiting_.clear();
  tx_.clear();
  timer_.cancel();
  socket_.close();
}

endpoint_info endpoint_impl::info() const noexcept {
  endpoint_info i;
  i.connections = connections_.size();
  const auto& caps = socket_.caps();
  const auto& n = socket_.counters();
  i.receive_buffer = caps.recv_buffer;
  i.send_buffer = caps.send_buffer;
  i.batched = caps.batched;
  i.gso = caps.gso;
  i.gro = caps.gro;
  i.ecn = caps.ecn;
  i.datagrams_received = datagrams_received_;
  i.datagrams_sent = n.send_datagrams;
  i.send_syscalls = n.send_syscalls;
  i.receive_syscalls = n.recv_syscalls;
  if (fe_) {
    const auto core = fe_->core().stats();
    i.datagrams_dropped = core.datagrams_dropped;
    i.retries_sent = core.retries_sent;
    i.initials_refused = core.initials_refused;
    i.initials_over_limit = core.initials_over_limit;
    i.handshakes_displaced = core.handshakes_displaced;
    i.handshakes_unanswered = core.handshakes_unanswered;
    i.initials_from_unanswered = core.initials_from_unanswered;
    i.initials_unauthenticated = core.initials_unauthenticated;
    i.half_open = core.half_open;
  }
  i.path_errors = path_errors_;
  if (nat_) {
    i.stun_requests_sent = nat_->stats().requests_sent;
    i.stun_indications_sent = nat_->stats().indications_sent;
    i.stun_requests_answered = nat_->stats().requests_answered;
    i.stun_requests_limited = nat_->stats().requests_limited;
  }
  return i;
}

std::shared_ptr<connection_impl> endpoint_impl::adopt(core::connection_handle handle,
                                                     std::unique_ptr<core::connection> core) {
  auto c = std::make_shared<connection_impl>(shared_from_this(), std::move(core));
  c->core_handle = handle;
  connections_.emplace(handle, c);
  return c;
}

void endpoint_impl::connect(const asio::ip::udp::endpoint& remote, const connect_options& options, connection_op op) {
  if (!open_) return complete(op, make_error_code(errc::endpoint_closed), tern::connection{});
  std::error_code ec;
  auto tls = fe_->client_tls(options, ec);
  if (ec) return complete(op, public_error(ec), tern::connection{});
  const time_point t = now();
  core::connection_handle handle = core::no_connection;
  auto core = fe_->core().connect(to_core(remote), tls, t, ec, handle, options.address_token,
                                  core::resumption_offer{options.session_ticket, options.early_data, options.early_datagrams});
  if (ec || !core) return complete(op, public_error(ec), tern::connection{});
  auto c = adopt(handle, std::move(core));
  // Early data offered: the connection is the application's now, and what
  // it writes on streams allowed early goes in the first flight. The
  // handshake's outcome comes through async_wait_handshake.
  if (c->core().sends_before_handshake()) {
    complete(op, std::error_code{}, c->handle());
    // The first flight waits two turns of the executor: the completion
    // above runs first, and an application that opens its early stream
    // (one turn: that completion is posted too) and writes, as it should
    // at once, has its data coalesced with the Initial in one datagram
    // (its write flushes the connection itself). Flushed at once, the
    // Initial left alone and the request followed in a second datagram,
    // whose delay grows with the load of the machine (0.7-8 ms measured,
    // docs/benchmarks.md, "Real sockets: resumption and 0-RTT").
    asio::post(ex_, [self = shared_from_this(), weak = std::weak_ptr<connection_impl>(c)] {
      asio::post(self->ex_, [self, weak] {
        if (auto conn = weak.lock()) self->mark_dirty(*conn);
      });
    });
    return;
  }
  c->connect_op = std::move(op);
  std::weak_ptr<connection_impl> weak = c;
  c->connect_op->set_canceller([weak] {
    auto self = weak.lock();
    if (!self || !self->connect_op) return;
    // Abandon the handshake: tell the peer, then report the cancellation.
    if (self->usable()) self->core().close(0, "connect cancelled", now());
    self->touch();
    complete(self->connect_op, asio::error::operation_aborted, tern::connection{});
  });
  mark_dirty(*c);
}

void endpoint_impl::accept(connection_op op) {
  if (!open_) return complete(op, make_error_code(errc::endpoint_closed), tern::connection{});
  if (!cfg_.accept_connections) return complete(op, make_error_code(errc::invalid_argument), tern::connection{});
  while (!backlog_.empty()) {
    auto c = std::move(backlog_.front());
    backlog_.pop_front();
    c->in_backlog = false;
    if (c->removed) continue;
    fe_->core().claim(c->core_handle);
    return complete(op, std::error_code{}, c->handle());
  }
  auto* raw = op.get();
  std::weak_ptr<endpoint_impl> weak = weak_from_this();
  op->set_canceller([weak, raw] {
    auto self = weak.lock();
    if (!self) return;
    auto it = std::find_if(self->accept_ops_.begin(), self->accept_ops_.end(),
                           [raw](const connection_op& o) { return o.get() == raw; });
    if (it == self->accept_ops_.end()) return;
    auto o = std::move(*it);
    self->accept_ops_.erase(it);
    complete(o, asio::error::operation_aborted, tern::connection{});
  });
  accept_ops_.push_back(std::move(op));
}

void endpoint_impl::on_established(connection_impl& c) {
  if (!accept_ops_.empty()) {
    auto op = std::move(accept_ops_.front());
    accept_ops_.pop_front();
    fe_->core().claim(c.core_handle);
    complete(op, std::error_code{}, c.handle());
    return;
  }
  c.in_backlog = true;
  backlog_.push_back(c.shared_from_this());
}

void endpoint_impl::mark_dirty(connection_impl& c) {
  if (!open_ || c.removed || c.dirty) return;
  c.dirty = true;
  dirty_.push_back(c.shared_from_this());
  if (flush_posted_ || in_io_) return;
  flush_posted_ = true;
  asio::post(ex_, [self = shared_from_this()] {
    self->flush_posted_ = false;
    if (!self->open_) return;
    const time_point t = now();
    self->run_dirty(t);
    self->pump_nat(t);
    self->submit();
    self->arm_timer();
  });
}

void endpoint_impl::run_dirty(time_point t) {
  // Servicing can dirty a connection again (a read opens flow-control
  // window); loop until quiet.
  while (!dirty_.empty() && open_) {
    auto batch = std::move(dirty_);
    dirty_.clear();
    for (auto& c : batch) {
      c->dirty = false;
      if (!c->removed) service(*c, t);
    }
  }
}

void endpoint_impl::service(connection_impl& c, time_point t) {
  c.process_events(t);
  flush(c, t);
  c.process_events(t);
  fe_->core().update(c.core_handle, t);
  if (c.core().is_closed()) {
    remove(c);
    return;
  }
  watch_peer(c, t);
}

void endpoint_impl::flush(connection_impl& c, time_point t) {
  if (!open_) return;
  while (true) {
    if (tx_blocked_) {
      if (std::find_if(tx_waiting_.begin(), tx_waiting_.end(), [&](auto& p) { return p.get() == &c; }) ==
          tx_waiting_.end())
        tx_waiting_.push_back(c.shared_from_this());
      return;
    }
    if (tx_.size() == cfg_.io_batch) {
      submit();
      continue;
    }
    std::span<std::byte> slot(tx_storage_.data() + tx_.size() * tx_slot_size_, tx_slot_size_);
    auto out = c.core().poll_transmit(slot, t);
    if (!out) return;
    tx_.push_back(io::tx_datagram{slot.first(out->size), to_asio(out->to),
                                  out->ect0 ? io::ecn_codepoint::ect0 : io::ecn_codepoint::not_ect});
    // Traffic to a peer is its NAT keepalive: no Binding Indication is due
    // while it flows.
    if (nat_ && nat_->tracking()) nat_->on_sent(out->to, t);
  }
}

void endpoint_impl::submit() {
  if (tx_blocked_ || !socket_.is_open()) return;
  while (tx_sent_ < tx_.size()) {
    auto r = socket_.send(std::span<const io::tx_datagram>(tx_).subspan(tx_sent_));
    tx_sent_ += r.sent;
    if (!r.error) continue;
    if (r.error == io::io_errc::would_block) {
      tx_blocked_ = true;
      socket_.async_wait_writable([self = shared_from_this()](std::error_code ec) { self->on_writable(ec); });
      return;
    }
    // Too big for the path, or a socket error about this datagram: drop it;
    // loss recovery treats it like any other loss.
    ++tx_sent_;
  }
  tx_.clear();
  tx_sent_ = 0;
}

void endpoint_impl::on_writable(std::error_code ec) {
  if (!open_ || ec == asio::error::operation_aborted) return;
  tx_blocked_ = false;
  submit();
  if (tx_blocked_) return;
  auto waiting = std::move(tx_waiting_);
  tx_waiting_.clear();
  const time_point t = now();
  for (auto& c : waiting)
    if (!c->removed) service(*c, t);
  pump_nat(t);
  submit();
  arm_timer();
}

void endpoint_impl::arm_timer() {
  if (!open_) return;
  time_point earliest = fe_->core().next_timeout();
  if (nat_) earliest = std::min(earliest, nat_->next_timeout());
  // The timer only ever moves earlier. Moving it costs a timerfd_settime and
  // a cancelled wait, and deadlines move after nearly every datagram (ACK
  // delay, pacing, loss timers); a timer left armed too early costs one
  // wakeup that finds nothing due and arms it again (on_timer). A deadline
  // less than timer_slack earlier than the armed one keeps the armed timer.
  if (!timer_needs_moving(earliest, timer_at_)) return;
  timer_at_ = earliest;
  timer_.arm(earliest, [self = shared_from_this()] {
    if (self->open_) self->on_timer();
  });
}

void endpoint_impl::on_timer() {
  timer_at_ = never;
  const time_point t = now();
  std::vector<core::connection_handle> ran;
  in_io_ = true;
  fe_->core().on_timeout(t, ran);
  for (const auto h : ran) {
    auto it = connections_.find(h);
    if (it == connections_.end()) continue;
    auto c = it->second; // service() may remove it from connections_
    service(*c, t);
  }
  run_dirty(t);
  if (nat_ && nat_->next_timeout() <= t) nat_->on_timeout(t);
  pump_nat(t);
  in_io_ = false;
  submit();
  arm_timer();
}

void endpoint_impl::remove(connection_impl& c) {
  if (c.removed) return;
  auto keep = c.shared_from_this();
  c.removed = true;
  fe_->core().remove(c.core_handle);
  unwatch_peer(c);
  std::error_code why = public_error(c.core().close_reason().error);
  if (!why) why = errc::connection_closed;
  c.fail_all(why);
  if (c.connect_op) complete(c.connect_op, why, tern::connection{});
  if (c.in_backlog) {
    backlog_.erase(std::remove(backlog_.begin(), backlog_.end(), keep), backlog_.end());
    c.in_backlog = false;
  }
  connections_.erase(c.core_handle);
}

void endpoint_impl::start_receive() {
  socket_.async_wait_readable([self = shared_from_this()](std::error_code ec) { self->on_readable(ec); });
}

void endpoint_impl::on_readable(std::error_code ec) {
  if (!open_ || ec == asio::error::operation_aborted) return;
  in_io_ = true;
  // Bounded so timers and application work interleave under a flood.
  for (int round = 0; round < 8 && open_; ++round) {
    std::error_code rec;
    socket_.receive(*rx_, rec);
    if (rec) break;
    const time_point t = now();
    // Each connection decrypts in the receive slot itself: no copy.
    rx_->for_each_datagram([&](std::span<std::byte> payload, const asio::ip::udp::endpoint& from,
                               io::ecn_codepoint ecn) { on_datagram(payload, from, ecn, t); });
    run_dirty(t);
    send_answers();
    pump_nat(t);
    submit();
  }
  in_io_ = false;
  drain_path_errors();
  if (!open_) return;
  arm_timer();
  start_receive();
}

void endpoint_impl::drain_path_errors() {
  io::path_error e;
  while (socket_.pop_path_error(e)) ++path_errors_;
}

void endpoint_impl::on_datagram(std::span<std::byte> payload, const asio::ip::udp::endpoint& from,
                                io::ecn_codepoint ecn, time_point t) {
  ++datagrams_received_;
  // RFC 7983: STUN starts with 0-3, tern never does.
  if (nat_ && nat_->on_datagram(payload, to_core(from), t)) return;
  auto outcome = fe_->core().on_datagram(payload, to_core(from), t, to_core(ecn));
  using kind = core::datagram_outcome::kind;
  if (outcome.what == kind::accepted) {
    mark_dirty(*adopt(outcome.handle, std::move(outcome.accepted)));
  } else if (outcome.what == kind::delivered) {
    if (auto it = connections_.find(outcome.handle); it != connections_.end()) mark_dirty(*it->second);
  }
  // A Retry (kind::answered) waits in the core endpoint until send_answers().
}

void endpoint_impl::send_answers() {
  while (!tx_blocked_ && open_) {
    if (tx_.size() == cfg_.io_batch) submit();
    if (tx_blocked_ || tx_.size() == cfg_.io_batch) return;
    std::span<std::byte> slot(tx_storage_.data() + tx_.size() * tx_slot_size_, tx_slot_size_);
    auto out = fe_->core().poll_transmit(slot);
    if (!out) return;
    tx_.push_back(io::tx_datagram{slot.first(out->size), to_asio(out->to), io::ecn_codepoint::not_ect});
  }
}

// --- entry points ------------------------------------------------------------

void endpoint_connect(const std::shared_ptr<endpoint_impl>& ep, const asio::ip::udp::endpoint& remote,
                      const connect_options& options, connection_op op) {
  if (!ep) return complete(op, make_error_code(errc::endpoint_closed), tern::connection{});
  ep->connect(remote, options, std::move(op));
}

void endpoint_accept(const std::shared_ptr<endpoint_impl>& ep, connection_op op) {
  if (!ep) return complete(op, make_error_code(errc::endpoint_closed), tern::connection{});
  ep->accept(std::move(op));
}

} // namespace tern::detail

// --- tern::endpoint ------------------------------------------------------------

namespace tern {

endpoint::endpoint(const executor_type& ex) : executor_(ex), impl_(std::make_shared<detail::endpoint_impl>(ex)) {}

endpoint::endpoint(const executor_type& ex, const asio::ip::udp::endpoint& local, const config& cfg) : endpoint(ex) {
  open(local, cfg);
}

endpoint::~endpoint() {
  if (impl_) impl_->close();
}

endpoint::endpoint(endpoint&&) noexcept = default;

endpoint& endpoint::operator=(endpoint&& other) noexcept {
  if (this != &other) {
    if (impl_) impl_->close();
    executor_ = std::move(other.executor_);
    impl_ = std::move(other.impl_);
  }
  return *this;
}

void endpoint::open(const asio::ip::udp::endpoint& local, const config& cfg, std::error_code& ec) {
  ec = impl_ ? detail::public_error(impl_->open(local, cfg)) : make_error_code(errc::endpoint_closed);
}

void endpoint::open(const asio::ip::udp::endpoint& local, const config& cfg) {
  std::error_code ec;
  open(local, cfg, ec);
  if (ec) throw std::system_error(ec, "tern::endpoint::open");
}

bool endpoint::is_open() const noexcept { return impl_ && impl_->is_open(); }

void endpoint::close() noexcept {
  if (impl_) impl_->close();
}

asio::ip::udp::endpoint endpoint::local_endpoint() const noexcept {
  return impl_ ? impl_->local_endpoint() : asio::ip::udp::endpoint{};
}

std::string endpoint::fingerprint() const { return impl_ ? impl_->fingerprint() : std::string{}; }

endpoint_info endpoint::info() const noexcept { return impl_ ? impl_->info() : endpoint_info{}; }

} // namespace tern
