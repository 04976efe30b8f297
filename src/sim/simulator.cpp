// The virtual-time event loop.
//
// One binary heap orders every pending event by (time, insertion sequence),
// which makes runs reproducible: simultaneous events are processed in the
// order they were scheduled. Three kinds of event exist:
//  - a node's timer (next_timeout()), re-armed whenever the node was called;
//    a generation number invalidates superseded entries lazily;
//  - a link's next due packet (link::next_event()); an entry is live only
//    while its time equals the link's scheduled time;
//  - a scheduled action (spec change, rebinding, user callback).
// After any call into a node, the loop drains its poll_transmit and re-reads
// its next_timeout, as a real driver would after each I/O event. A datagram
// crosses the links of its route one after the other; the destination is
// resolved when it is sent (to pick the route) and checked again when it
// arrives (the address may have been rebound meanwhile).
//
// Each link's random source is seeded from the simulator seed and the link's
// index, so adding a node or a route does not perturb any link's decisions.

#include "sim/simulator.hpp"

#include <algorithm>
#include <system_error>

namespace tern::sim {

namespace {

std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t index) noexcept {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (index + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

[[noreturn]] void fail(sim_errc e, const char* what) { throw std::system_error(make_error_code(e), what); }

} // namespace

simulator::simulator(std::uint64_t seed, time_point start)
    : seed_(seed), now_(start), scratch_(max_datagram_size) {}

node_id simulator::add_node(node& n, address addr) {
  if (by_address_.contains(addr)) fail(sim_errc::address_in_use, "add_node");
  const auto id = static_cast<node_id>(nodes_.size());
  nodes_.push_back(node_state{&n, addr, addr});
  by_address_.emplace(addr, id);
  pending_start_ = true;
  return id;
}

link_id simulator::add_link(const netem_spec& spec, std::string name) {
  const auto id = static_cast<link_id>(links_.size());
  links_.push_back(link_state{netem_link{spec, mix_seed(seed_, id), &pool_}, std::move(name)});
  return id;
}

void simulator::add_route(node_id from, node_id to, std::vector<link_id> path) {
  node_at(from);
  node_at(to);
  if (path.empty()) fail(sim_errc::bad_route, "add_route: a route needs at least one link");
  for (auto l : path)
    if (l >= links_.size()) fail(sim_errc::unknown_link, "add_route");
  const std::uint64_t key = static_cast<std::uint64_t>(from) << 32 | to;
  if (auto it = route_index_.find(key); it != route_index_.end()) {
    routes_[it->second].links = std::move(path);
    return;
  }
  route_index_.emplace(key, static_cast<std::uint32_t>(routes_.size()));
  routes_.push_back(route{from, to, std::move(path)});
}

simulator::node_state& simulator::node_at(node_id n) {
  if (n >= nodes_.size()) fail(sim_errc::unknown_node, "unknown node id");
  return nodes_[n];
}
const simulator::node_state& simulator::node_at(node_id n) const {
  if (n >= nodes_.size()) fail(sim_errc::unknown_node, "unknown node id");
  return nodes_[n];
}

address simulator::public_address(node_id n) const { return node_at(n).public_addr; }
address simulator::local_address(node_id n) const { return node_at(n).local; }

netem_link& simulator::link_at(link_id l) {
  if (l >= links_.size()) fail(sim_errc::unknown_link, "unknown link id");
  return links_[l].model;
}

const link_stats& simulator::stats(link_id l) const {
  if (l >= links_.size()) fail(sim_errc::unknown_link, "unknown link id");
  return links_[l].model.stats();
}

void simulator::rebind(node_id n, address public_addr) {
  auto& st = node_at(n);
  if (public_addr == st.public_addr) return;
  if (by_address_.contains(public_addr)) fail(sim_errc::address_in_use, "rebind");
  by_address_.erase(st.public_addr);
  st.public_addr = public_addr;
  by_address_.emplace(public_addr, n);
}

void simulator::schedule_rebind(time_point at, node_id n, address public_addr) {
  node_at(n);
  schedule_call(at, [this, n, public_addr] { rebind(n, public_addr); });
}

void simulator::schedule_spec(time_point at, link_id l, const netem_spec& spec) {
  if (l >= links_.size()) fail(sim_errc::unknown_link, "schedule_spec");
  schedule_call(at, [this, l, spec] {
    links_[l].model.set_spec(spec);
    reschedule(l);
  });
}

void simulator::apply_schedule(link_id l, const schedule& s, time_point origin) {
  if (l >= links_.size()) fail(sim_errc::unknown_link, "apply_schedule");
  for (const auto& e : s.entries)
    if (e.target.empty() || e.target == links_[l].name) schedule_spec(origin + e.at, l, e.spec);
}

void simulator::set_link_mtu(link_id l, std::size_t max_payload) {
  if (l >= links_.size()) fail(sim_errc::unknown_link, "set_link_mtu");
  links_[l].mtu = max_payload;
}

void simulator::schedule_call(time_point at, std::function<void()> fn) {
  actions_.push_back(std::move(fn));
  push(std::max(at, now_), event_kind::action, static_cast<std::uint32_t>(actions_.size() - 1));
}

void simulator::push(time_point at, event_kind kind, std::uint32_t index, std::uint64_t gen) {
  heap_.push_back(event{at, next_seq_++, kind, index, gen});
  std::push_heap(heap_.begin(), heap_.end(), later);
}

time_point simulator::next_event_time() const noexcept {
  if (pending_start_) return now_;
  return heap_.empty() ? never : heap_.front().at;
}

void simulator::start_pending() {
  if (!pending_start_) return;
  pending_start_ = false;
  for (node_id n = 0; n < nodes_.size(); ++n) {
    if (nodes_[n].started) continue;
    nodes_[n].started = true;
    service(n);
  }
}

std::uint64_t simulator::run_until(time_point until) {
  start_pending();
  std::uint64_t count = 0;
  while (!heap_.empty() && heap_.front().at <= until) {
    const event e = heap_.front();
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
    now_ = std::max(now_, e.at);
    process(e);
    ++count;
  }
  if (until > now_) now_ = until;
  stats_.events += count;
  return count;
}

bool simulator::run_until(time_point limit, const std::function<bool()>& done) {
  start_pending();
  while (!done()) {
    if (heap_.empty() || heap_.front().at > limit) {
      if (limit > now_) now_ = limit;
      return false;
    }
    run_until(heap_.front().at);
  }
  return true;
}

bool simulator::step() {
  start_pending();
  if (heap_.empty()) return false;
  run_until(heap_.front().at);
  return true;
}

void simulator::wake(node_id n) {
  node_at(n);
  start_pending();
  service(n);
}

void simulator::process(const event& e) {
  switch (e.kind) {
  case event_kind::node_timer: {
    auto& st = nodes_[e.index];
    if (e.gen != st.timer_gen) return; // superseded
    st.timer = never;
    ++st.timer_gen;
    // The node may have moved its deadline without the loop knowing (a test
    // poking it directly); only fire when it is really due.
    if (st.n->next_timeout() <= now_) st.n->on_timeout(now_);
    service(e.index);
    return;
  }
  case event_kind::link_due:
    if (e.at != links_[e.index].scheduled) return; // superseded
    on_link_due(e.index);
    return;
  case event_kind::action: {
    auto fn = std::move(actions_[e.index]);
    actions_[e.index] = nullptr;
    if (fn) fn();
    return;
  }
  }
}

void simulator::service(node_id n) {
  node* const target = nodes_[n].n;
  for (;;) {
    const auto t = target->poll_transmit(std::span<std::byte>{scratch_}, now_);
    if (!t) break;
    send(n, *t);
  }
  const time_point next = target->next_timeout();
  auto& st = nodes_[n];
  if (next != st.timer) {
    st.timer = next;
    ++st.timer_gen;
    if (next != never) push(std::max(next, now_), event_kind::node_timer, n, st.timer_gen);
  }
}

void simulator::send(node_id from, const transmit& t) {
  ++stats_.sent;
  const auto size = std::min(t.size, scratch_.size());
  const auto& src = nodes_[from];
  const std::uint64_t id = next_packet_id_++;
  trace_event ev;
  ev.at = now_;
  ev.node = from;
  ev.packet_id = id;
  ev.from = src.public_addr;
  ev.to = t.to;
  ev.size = static_cast<std::uint32_t>(size);
  ev.kind = trace_kind::send;
  emit(ev);

  const auto dst = by_address_.find(t.to);
  const auto r = dst == by_address_.end()
                     ? route_index_.end()
                     : route_index_.find(static_cast<std::uint64_t>(from) << 32 | dst->second);
  if (r == route_index_.end()) {
    ++stats_.unroutable;
    ev.kind = trace_kind::unroutable;
    emit(ev);
    return;
  }
  packet p;
  p.payload = pool_.copy_of(std::span<const std::byte>{scratch_.data(), size});
  p.id = id;
  p.from = src.public_addr;
  p.to = t.to;
  p.route = r->second;
  p.hop = 0;
  p.sent = now_;
  enter_link(routes_[r->second].links.front(), std::move(p));
}

void simulator::enter_link(link_id l, packet&& p) {
  ++stats_.link_events;
  trace_event ev;
  const bool tracing = static_cast<bool>(trace_);
  if (tracing) {
    ev.at = now_;
    ev.link = l;
    ev.packet_id = p.id;
    ev.from = p.from;
    ev.to = p.to;
    ev.size = static_cast<std::uint32_t>(p.payload.size());
  }
  if (links_[l].mtu != 0 && p.payload.size() > links_[l].mtu) {
    ++stats_.dropped_mtu;
    if (tracing) {
      ev.kind = trace_kind::lost;
      emit(ev);
    }
    pool_.release(std::move(p.payload));
    return;
  }
  const auto outcome = links_[l].model.enqueue(std::move(p), now_);
  if (tracing) {
    auto fate = [&](const copy_outcome& o) {
      ev.kind = o.fate == packet_fate::queued ? trace_kind::enqueue
                : o.fate == packet_fate::lost ? trace_kind::lost
                                              : trace_kind::dropped_limit;
      ev.corrupted = o.corrupted;
      ev.reordered = o.reordered;
      ev.ce_marked = o.ce_marked;
      ev.due = o.fate == packet_fate::queued ? o.due : time_point{};
      emit(ev);
    };
    if (outcome.duplicated) {
      ev.kind = trace_kind::duplicated;
      emit(ev);
      fate(outcome.duplicate);
    }
    fate(outcome.original);
  }
  reschedule(l);
}

void simulator::reschedule(link_id l) {
  auto& ls = links_[l];
  const time_point next = ls.model.next_event();
  if (next < ls.scheduled) {
    // A past time is clamped to now; the live entry is the one whose time
    // equals `scheduled`.
    ls.scheduled = std::max(next, now_);
    push(ls.scheduled, event_kind::link_due, l);
  }
}

void simulator::on_link_due(link_id l) {
  links_[l].scheduled = never;
  packet p;
  exit_info info;
  while (links_[l].model.dequeue(now_, p, &info)) {
    ++stats_.link_events;
    if (trace_) {
      trace_event ev;
      ev.at = now_;
      ev.kind = trace_kind::exit;
      ev.link = l;
      ev.packet_id = p.id;
      ev.from = p.from;
      ev.to = p.to;
      ev.size = static_cast<std::uint32_t>(p.payload.size());
      ev.ce_marked = info.ce_marked;
      ev.out_of_order = info.out_of_order;
      ev.queue_delay = info.queue_delay;
      emit(ev);
    }
    forward(l, std::move(p));
  }
  reschedule(l);
}

void simulator::forward(link_id, packet&& p) {
  const auto& r = routes_[p.route];
  ++p.hop;
  if (p.hop < r.links.size()) {
    enter_link(r.links[p.hop], std::move(p));
    return;
  }
  const node_id to = r.to; // callbacks below may add routes
  trace_event ev;
  ev.at = now_;
  ev.packet_id = p.id;
  ev.from = p.from;
  ev.to = p.to;
  ev.size = static_cast<std::uint32_t>(p.payload.size());
  const auto dst = by_address_.find(p.to);
  if (dst == by_address_.end() || dst->second != to) {
    ++stats_.unroutable;
    ev.kind = trace_kind::unroutable;
    emit(ev);
    pool_.release(std::move(p.payload));
    return;
  }
  ++stats_.delivered;
  ev.kind = trace_kind::deliver;
  ev.node = to;
  ev.payload = p.payload;
  emit(ev);
  nodes_[to].n->on_datagram(p.payload, p.from, now_);
  pool_.release(std::move(p.payload));
  service(to);
}

} // namespace tern::sim
