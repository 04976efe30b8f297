// STUN on the endpoint's own socket (docs/nat.md): the Asio side of
// stun::nat_agent. The agent decides everything (transactions, keepalive
// deadlines, answers); this file feeds it the socket's STUN datagrams and the
// destinations of tern's own datagrams, queues what it sends into the
// endpoint's send batch, folds its deadline into the endpoint's one timer,
// and completes async_discover / async_wait_mapped_address_change.

#include "asio/api_impl.hpp"
#include "stun/errc.hpp"

#include <tern/error.hpp>

#include <asio/error.hpp>

#include <algorithm>

namespace tern::detail {

void endpoint_impl::open_nat() {
  stun::nat_agent_options o;
  o.binding.initial_rto = std::chrono::duration_cast<duration>(cfg_.stun_initial_rto);
  o.binding.max_requests = cfg_.stun_max_requests;
  o.binding.last_wait_factor = cfg_.stun_last_wait_factor;
  // FINGERPRINT: the socket also carries tern packets (RFC 8489 §7). No
  // SOFTWARE: classic servers choke on some lengths, and it says nothing
  // the server needs.
  o.binding.fingerprint = true;
  o.keepalive_enabled = cfg_.nat_keepalive_interval > std::chrono::nanoseconds::zero();
  o.keepalive.interval = std::chrono::duration_cast<duration>(cfg_.nat_keepalive_interval);
  o.keepalive.jitter = std::chrono::duration_cast<duration>(cfg_.nat_keepalive_jitter);
  // A connecting-only endpoint answers nobody by default: it has no reason to
  // reflect, and each answer is bigger than the request (docs/security.md).
  using answers = config::stun_answers;
  o.answer_requests = cfg_.answer_stun_requests == answers::always ||
                      (cfg_.answer_stun_requests == answers::when_accepting && cfg_.accept_connections);
  o.answer_rate.per_second = cfg_.stun_answer_rate;
  o.answer_rate.burst = cfg_.stun_answer_burst;
  // The cookie is part of telling STUN from other traffic on a shared socket.
  o.responder.accept_rfc3489 = false;
  nat_.emplace(fe_->rng(), std::move(o));
}

void endpoint_impl::close_nat() noexcept {
  auto discovers = std::move(discover_ops_);
  discover_ops_.clear();
  for (auto& [id, op] : discovers) complete(op, asio::error::operation_aborted, asio::ip::udp::endpoint{});
  auto waiters = std::move(mapping_change_ops_);
  mapping_change_ops_.clear();
  for (auto& op : waiters) complete(op, asio::error::operation_aborted, asio::ip::udp::endpoint{});
  nat_.reset();
}

void endpoint_impl::discover(const asio::ip::udp::endpoint& server, endpoint_op op) {
  if (!open_ || !nat_) return complete(op, make_error_code(errc::endpoint_closed), asio::ip::udp::endpoint{});
  const auto to = to_core(server);
  // The socket's family decides what it can reach: an IPv4 socket no IPv6
  // server, an IPv6-only one no IPv4 server.
  const bool v4_socket = local_endpoint().address().is_v4();
  const bool v4_server = to.family == stun::address_family::ipv4;
  if (to.port == 0 || (v4_socket && !v4_server) || (!v4_socket && v4_server && !dual_stack_))
    return complete(op, make_error_code(errc::invalid_argument), asio::ip::udp::endpoint{});

  const time_point t = now();
  const auto id = nat_->discover(to, t);
  auto* raw = op.get();
  std::weak_ptr<endpoint_impl> weak = weak_from_this();
  op->set_canceller([weak, id, raw] {
    auto self = weak.lock();
    if (!self) return;
    auto it = self->discover_ops_.find(id);
    if (it == self->discover_ops_.end() || it->second.get() != raw) return;
    auto o = std::move(it->second);
    self->discover_ops_.erase(it);
    if (self->nat_) self->nat_->cancel(id);
    complete(o, asio::error::operation_aborted, asio::ip::udp::endpoint{});
  });
  discover_ops_.emplace(id, std::move(op));
  pump_nat(t);
  submit();
  arm_timer();
}

void endpoint_impl::wait_mapped_address_change(endpoint_op op) {
  if (!open_ || !nat_) return complete(op, make_error_code(errc::endpoint_closed), asio::ip::udp::endpoint{});
  auto* raw = op.get();
  std::weak_ptr<endpoint_impl> weak = weak_from_this();
  op->set_canceller([weak, raw] {
    auto self = weak.lock();
    if (!self) return;
    auto& ops = self->mapping_change_ops_;
    auto it = std::find_if(ops.begin(), ops.end(), [raw](const endpoint_op& o) { return o.get() == raw; });
    if (it == ops.end()) return;
    auto o = std::move(*it);
    ops.erase(it);
    complete(o, asio::error::operation_aborted, asio::ip::udp::endpoint{});
  });
  mapping_change_ops_.push_back(std::move(op));
}

void endpoint_impl::pump_nat(time_point t) {
  if (!nat_) return;
  while (auto r = nat_->poll_discovery()) {
    auto it = discover_ops_.find(r->id);
    if (it == discover_ops_.end()) continue;
    auto op = std::move(it->second);
    discover_ops_.erase(it);
    if (r->error) {
      complete(op, public_error(r->error), asio::ip::udp::endpoint{});
    } else {
      complete(op, std::error_code{}, to_asio(*r->mapped));
    }
  }
  while (auto c = nat_->poll_mapping_change()) {
    auto waiters = std::move(mapping_change_ops_);
    mapping_change_ops_.clear();
    for (auto& op : waiters) complete(op, std::error_code{}, to_asio(c->current));
  }
  while (open_ && !tx_blocked_) {
    if (tx_.size() == cfg_.io_batch) {
      submit();
      continue;
    }
    std::span<std::byte> slot(tx_storage_.data() + tx_.size() * tx_slot_size_, tx_slot_size_);
    auto m = nat_->poll_transmit(slot, t);
    if (!m) break;
    tx_.push_back(io::tx_datagram{slot.first(m->bytes.size()), to_asio(m->to), io::ecn_codepoint::not_ect});
  }
}

void endpoint_impl::watch_peer(connection_impl& c, time_point t) {
  if (!nat_) return;
  const auto& peer = c.core().peer_address();
  if (c.nat_peer && *c.nat_peer == peer) return;
  if (c.nat_peer) nat_->unwatch(*c.nat_peer);
  nat_->watch(peer, t);
  c.nat_peer = peer;
}

void endpoint_impl::unwatch_peer(connection_impl& c) noexcept {
  if (nat_ && c.nat_peer) nat_->unwatch(*c.nat_peer);
  c.nat_peer.reset();
}

// --- entry points ------------------------------------------------------------

void endpoint_discover(const std::shared_ptr<endpoint_impl>& ep, const asio::ip::udp::endpoint& stun_server,
                       endpoint_op op) {
  if (!ep) return complete(op, make_error_code(errc::endpoint_closed), asio::ip::udp::endpoint{});
  ep->discover(stun_server, std::move(op));
}

void endpoint_wait_mapped_address_change(const std::shared_ptr<endpoint_impl>& ep, endpoint_op op) {
  if (!ep) return complete(op, make_error_code(errc::endpoint_closed), asio::ip::udp::endpoint{});
  ep->wait_mapped_address_change(std::move(op));
}

} // namespace tern::detail
