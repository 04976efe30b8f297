// The endpoint's I/O loop (docs/api.md, "Inside the endpoint").
//
// Three kinds of event drive every connection of an endpoint, all on the
// endpoint's executor:
//   - the socket is readable: recvmmsg batches are routed by Destination
//     Connection ID (a new server connection is made from a valid Initial,
//     anything else unroutable is dropped without an answer), then each
//     touched connection is serviced;
//   - the one timer (io::wakeup_timer) fires at the earliest next_timeout() of all
//     connections (pacing releases included, so pacing is as fine as the
//     timer: sub-millisecond on Linux), and the due connections run
//     on_timeout();
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
#include "asio/api_tls.hpp"
#include "asio/timer_slack.hpp"
#include "core/errc.hpp"
#include "wire/header.hpp"

#include <tern/error.hpp>

#include <asio/error.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <random>

namespace tern::detail {

namespace {

std::uint64_t random_seed() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

} // namespace

endpoint_impl::endpoint_impl(asio::any_io_executor ex)
    : ex_(ex), socket_(ex), timer_(ex), rng_(random_source::unpredictable(random_seed())) {}

endpoint_impl::~endpoint_impl() = default;

std::error_code endpoint_impl::open(const asio::ip::udp::endpoint& local, const config& cfg) {
  if (open_) return errc::invalid_argument;
  if (cfg.io_batch == 0 || cfg.max_datagram_size < 1200 || cfg.initial_datagram_size < 1200 ||
      cfg.initial_datagram_size > cfg.max_datagram_size || cfg.stun_max_requests == 0 ||
      cfg.stun_initial_rto <= std::chrono::nanoseconds::zero() || cfg.nat_keepalive_interval.count() < 0 ||
      cfg.nat_keepalive_jitter.count() < 0 ||
      (cfg.require_address_validation && cfg.address_token_lifetime <= std::chrono::nanoseconds::zero()) ||
      cfg.new_token_lifetime < std::chrono::nanoseconds::zero())
    return errc::invalid_argument;
  cfg_ = cfg;
  core_cfg_ = core_config(cfg);
  if (auto e = check_qlog_dir(cfg)) return e;

  std::error_code ec;
  identity_ = load_identity(cfg, cfg.accept_connections, ec);
  if (ec) return ec;
  make_address_validator(cfg, retry_validator_);
  if (cfg.accept_connections) {
    server_tls_ = make_server_tls(cfg, identity_, ec);
    if (ec) return ec;
  }

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
  for (auto& [p, c] : all) {
    if (c->usable()) c->core().close(0, "endpoint closed", t);
    flush(*c, t);
  }
  submit();
  open_ = false;
  for (auto& [p, c] : all) {
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
  routes_.clear();
  connections_.clear();
  timers_.clear();
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
  i.datagrams_dropped = datagrams_dropped_;
  i.retries_sent = retries_sent_;
  i.path_errors = path_errors_;
  if (nat_) {
    i.stun_requests_sent = nat_->stats().requests_sent;
    i.stun_indications_sent = nat_->stats().indications_sent;
    i.stun_requests_answered = nat_->stats().requests_answered;
  }
  return i;
}

std::shared_ptr<connection_impl> endpoint_impl::adopt(std::unique_ptr<core::connection> core) {
  auto c = std::make_shared<connection_impl>(shared_from_this(), std::move(core));
  connections_.emplace(c.get(), c);
  return c;
}

void endpoint_impl::connect(const asio::ip::udp::endpoint& remote, const connect_options& options, connection_op op) {
  if (!open_) return complete(op, make_error_code(errc::endpoint_closed), tern::connection{});
  if (connections_.size() >= cfg_.max_connections)
    return complete(op, make_error_code(errc::too_many_connections), tern::connection{});

  std::error_code ec;
  const bool defaults = is_default(options);
  std::shared_ptr<const crypto::tls_context> tls = defaults ? client_tls_ : nullptr;
  if (!tls) {
    tls = make_client_tls(cfg_, options, identity_, ec);
    if (ec) return complete(op, public_error(ec), tern::connection{});
    if (defaults) client_tls_ = tls;
  }

  const time_point t = now();
  auto core = core::connection::connect(core_cfg_, tls, to_core(remote), rng_, t, ec, options.address_token);
  if (ec || !core) return complete(op, public_error(ec), tern::connection{});
  auto c = adopt(std::move(core));
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
  sync_routes(*c);
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
  send_new_token(retry_validator_, c.core(), now());
  if (!accept_ops_.empty()) {
    auto op = std::move(accept_ops_.front());
    accept_ops_.pop_front();
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
  sync_routes(c);
  reschedule(c);
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

void endpoint_impl::sync_routes(connection_impl& c) {
  auto self = c.shared_from_this();
  for (const auto& id : c.core().local_connection_ids()) {
    cid_key k(id.cid);
    auto it = std::find(c.routes.begin(), c.routes.end(), k);
    if (id.retired) {
      if (it != c.routes.end()) {
        auto r = routes_.find(k);
        if (r != routes_.end() && r->second.get() == &c) routes_.erase(r);
        c.routes.erase(it);
      }
    } else if (it == c.routes.end()) {
      routes_[k] = self;
      c.routes.push_back(k);
    }
  }
}

void endpoint_impl::reschedule(connection_impl& c) {
  const time_point t = c.core().next_timeout();
  if (c.has_timer) {
    if (c.timer_entry->first == t) return;
    if (t != never) {
      // Moves the entry without freeing and allocating a node: this runs
      // after nearly every datagram.
      auto node = timers_.extract(c.timer_entry);
      node.key() = t;
      c.timer_entry = timers_.insert(std::move(node));
      return;
    }
    timers_.erase(c.timer_entry);
    c.has_timer = false;
  }
  if (t != never) {
    c.timer_entry = timers_.emplace(t, &c);
    c.has_timer = true;
  }
}

void endpoint_impl::arm_timer() {
  if (!open_) return;
  time_point earliest = timers_.empty() ? never : timers_.begin()->first;
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
  std::vector<std::shared_ptr<connection_impl>> due;
  for (auto it = timers_.begin(); it != timers_.end() && it->first <= t; ++it)
    due.push_back(it->second->shared_from_this());
  in_io_ = true;
  for (auto& c : due) {
    c->core().on_timeout(t);
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
  for (const auto& k : c.routes) {
    auto r = routes_.find(k);
    if (r != routes_.end() && r->second.get() == &c) routes_.erase(r);
  }
  c.routes.clear();
  unwatch_peer(c);
  if (c.has_timer) {
    timers_.erase(c.timer_entry);
    c.has_timer = false;
  }
  std::error_code why = public_error(c.core().close_reason().error);
  if (!why) why = errc::connection_closed;
  c.fail_all(why);
  if (c.connect_op) complete(c.connect_op, why, tern::connection{});
  if (c.in_backlog) {
    backlog_.erase(std::remove(backlog_.begin(), backlog_.end(), keep), backlog_.end());
    c.in_backlog = false;
  }
  connections_.erase(&c);
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
  wire::decoded_header h;
  if (wire::decode_header_layout(payload, core_cfg_.connection_id_length, h)) {
    ++datagrams_dropped_;
    return;
  }
  auto it = routes_.find(cid_key(h.header.dcid));
  if (it != routes_.end()) {
    auto& c = *it->second;
    c.core().on_datagram_in_place(payload, to_core(from), t, to_core(ecn));
    mark_dirty(c);
    return;
  }
  // Only a full-size Initial may create state (RFC 9000 §14.1); everything
  // else unknown is dropped without an answer.
  if (!server_tls_ || h.header.type != wire::packet_type::initial || payload.size() < 1200 ||
      h.header.dcid.size() < 8 || connections_.size() >= cfg_.max_connections ||
      backlog_.size() >= cfg_.accept_backlog) {
    ++datagrams_dropped_;
    return;
  }
  std::optional<wire::connection_id> original_dcid;
  bool validated = false;
  if (!admit_initial(h, from, t, original_dcid, validated)) return;
  std::error_code ec;
  auto core = core::connection::accept(core_cfg_, server_tls_, to_core(from), h.header.dcid, h.header.scid, rng_, t,
                                       ec, original_dcid, validated);
  if (ec || !core) {
    ++datagrams_dropped_;
    return;
  }
  auto c = adopt(std::move(core));
  // The client's retransmitted Initials still carry its chosen DCID.
  cid_key original(h.header.dcid);
  routes_[original] = c;
  c->routes.push_back(original);
  sync_routes(*c);
  c->core().on_datagram_in_place(payload, to_core(from), t, to_core(ecn));
  mark_dirty(*c);
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

std::string endpoint::fingerprint() const { return impl_ ? impl_->identity().fingerprint() : std::string{}; }

endpoint_info endpoint::info() const noexcept { return impl_ ? impl_->info() : endpoint_info{}; }

} // namespace tern
