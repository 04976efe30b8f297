#include "stun/nat_agent.hpp"

#include "stun/demux.hpp"
#include "stun/errc.hpp"
#include "stun/integrity.hpp"

#include <algorithm>
#include <tuple>

namespace tern::stun {

bool transport_address_less::operator()(const transport_address& a, const transport_address& b) const noexcept {
  return std::tie(a.family, a.ip, a.port) < std::tie(b.family, b.ip, b.port);
}

nat_agent::nat_agent(random_source& rng, nat_agent_options options)
    : rng_(rng), options_(std::move(options)), responder_(options_.responder), answer_limiter_(options_.answer_rate) {}

nat_agent::~nat_agent() = default;

bool nat_agent::draw_id(transaction_id& id) {
  if (options_.new_transaction_id) return options_.new_transaction_id(id);
  return random_transaction_id(id);
}

nat_agent::query& nat_agent::start_query(const transport_address& server, bool user, time_point now) {
  (void)now;
  earliest_stale_ = true;
  query q;
  q.id = next_id_++;
  q.server = server;
  q.user = user;
  transaction_id id{};
  q.id_failed = !draw_id(id);
  q.tx = std::make_unique<binding_transaction>(id, options_.binding);
  queries_.push_back(std::move(q));
  return queries_.back();
}

nat_agent::discovery_id nat_agent::discover(const transport_address& server, time_point now) {
  auto& q = start_query(server, true, now);
  const auto id = q.id;
  // A transaction that cannot start (no random ID, options that do not
  // encode) reports at once instead of sending anything.
  if (q.id_failed || q.tx->done()) finish(q, now);
  return id;
}

bool nat_agent::cancel(discovery_id id) noexcept {
  auto it = std::find_if(queries_.begin(), queries_.end(), [&](const query& q) { return q.id == id && q.user; });
  if (it == queries_.end()) return false;
  queries_.erase(it);
  earliest_stale_ = true;
  return true;
}

std::optional<nat_agent::discovery_result> nat_agent::poll_discovery() {
  if (results_.empty()) return std::nullopt;
  auto r = std::move(results_.front());
  results_.pop_front();
  return r;
}

std::optional<nat_agent::mapping_change> nat_agent::poll_mapping_change() {
  if (changes_.empty()) return std::nullopt;
  auto c = changes_.front();
  changes_.pop_front();
  return c;
}

keepalive_options nat_agent::keepalive_for_mapping() const noexcept { return options_.keepalive; }

void nat_agent::watch(const transport_address& addr, time_point now) {
  earliest_stale_ = true;
  auto [it, fresh] = peers_.try_emplace(addr, peer{keepalive_scheduler(rng_, options_.keepalive), 0, false});
  if (fresh && options_.keepalive_enabled) it->second.keepalive.start(now);
  ++it->second.watchers;
}

void nat_agent::unwatch(const transport_address& addr) noexcept {
  auto it = peers_.find(addr);
  if (it == peers_.end()) return;
  if (--it->second.watchers == 0) {
    peers_.erase(it);
    earliest_stale_ = true;
  }
}

void nat_agent::forget_mapping(const transport_address& server) noexcept {
  mappings_.erase(server);
  earliest_stale_ = true;
  std::erase_if(queries_, [&](const query& q) { return !q.user && q.server == server; });
}

void nat_agent::on_sent(const transport_address& to, time_point now) noexcept {
  if (auto p = peers_.find(to); p != peers_.end()) p->second.keepalive.on_traffic_sent(now);
  if (auto m = mappings_.find(to); m != mappings_.end()) m->second.keepalive.on_traffic_sent(now);
}

bool nat_agent::on_datagram(std::span<const std::byte> datagram, const transport_address& from, time_point now) {
  if (!is_stun(datagram)) return false;
  if (auto p = peers_.find(from); p != peers_.end()) p->second.keepalive.on_traffic_received(now);
  if (auto m = mappings_.find(from); m != mappings_.end()) m->second.keepalive.on_traffic_received(now);

  // A response is only believed from the address the request went to
  // (RFC 8489 §6.3.3 leaves the check to the client; without it anyone who
  // sniffed the transaction ID could plant an address).
  for (std::size_t i = 0; i < queries_.size(); ++i) {
    auto& q = queries_[i];
    if (!(q.server == from)) continue;
    if (!q.tx->on_response(datagram, now)) continue;
    if (q.tx->done()) finish(q, now);
    return true;
  }

  std::array<std::byte, 1500> out{};
  const auto r = responder_.handle(datagram, from, out);
  switch (r.what) {
  case responder_result::action::reply:
    if (!options_.answer_requests) break;
    // Rate-limited before anything is queued: a spoofed flood costs one
    // comparison per request and reflects at most answer_rate.
    if (!answer_limiter_.allow(now)) {
      ++stats_.requests_limited;
      break;
    }
    replies_.push_back(reply{from, std::vector<std::byte>(r.reply.begin(), r.reply.end())});
    if (replies_.size() > max_pending_replies) {
      replies_.pop_front();
      ++stats_.requests_limited;
    }
    break;
  case responder_result::action::ignore: break; // indications, stray responses
  case responder_result::action::discard: ++stats_.discarded; break;
  }
  return true;
}

void nat_agent::finish(query& q, time_point now) {
  const auto& tx = *q.tx;
  discovery_result result;
  result.id = q.id;
  result.server = q.server;
  if (q.id_failed) {
    result.error = stun_errc::crypto_failure;
  } else {
    result.error = tx.error();
    result.mapped = tx.mapped_address();
    result.error_response_code = tx.error_response_code();
    result.error_reason = tx.error_reason();
  }
  earliest_stale_ = true;
  const bool user = q.user;
  const auto server = q.server;
  // Erase before touching mappings_: q is an element of queries_.
  std::erase_if(queries_, [id = q.id](const query& e) { return e.id == id; });

  auto m = mappings_.find(server);
  if (!result.error && result.mapped) {
    if (m == mappings_.end()) {
      m = mappings_.try_emplace(server, mapping{keepalive_scheduler(rng_, keepalive_for_mapping()), {}, false}).first;
      if (options_.keepalive_enabled) m->second.keepalive.start(now);
    }
    const auto before = m->second.monitor.current();
    if (m->second.monitor.on_discovery(*result.mapped) == mapped_address_monitor::change::changed)
      changes_.push_back(mapping_change{server, *before, *result.mapped});
  }
  if (m != mappings_.end() && !user) m->second.querying = false;
  if (user) results_.push_back(std::move(result));
}

std::optional<nat_agent::transmit> nat_agent::poll_transmit(std::span<std::byte> out, time_point now) {
  if (!replies_.empty()) {
    auto r = std::move(replies_.front());
    replies_.pop_front();
    if (r.bytes.size() > out.size()) return std::nullopt;
    std::copy(r.bytes.begin(), r.bytes.end(), out.begin());
    ++stats_.requests_answered;
    return transmit{r.to, out.first(r.bytes.size())};
  }
  for (auto& q : queries_) {
    auto bytes = q.tx->poll_transmit(now);
    if (bytes.empty() || bytes.size() > out.size()) continue;
    earliest_stale_ = true; // the first transmission sets the retransmission deadline
    std::copy(bytes.begin(), bytes.end(), out.begin());
    ++stats_.requests_sent;
    on_sent(q.server, now);
    return transmit{q.server, out.first(bytes.size())};
  }
  while (!due_peers_.empty()) {
    const auto addr = due_peers_.front();
    due_peers_.pop_front();
    auto it = peers_.find(addr);
    if (it == peers_.end() || !it->second.indication_due) continue; // unwatched meanwhile
    it->second.indication_due = false;
    earliest_stale_ = true;
    transaction_id id{};
    if (!draw_id(id)) continue;
    auto bytes = write_binding_indication(out, id);
    if (bytes.empty()) continue;
    ++stats_.indications_sent;
    if (auto m = mappings_.find(addr); m != mappings_.end()) m->second.keepalive.on_traffic_sent(now);
    return transmit{addr, bytes};
  }
  return std::nullopt;
}

time_point nat_agent::next_timeout() const noexcept {
  if (!earliest_stale_) return earliest_;
  earliest_stale_ = false;
  time_point t = never;
  for (const auto& q : queries_) t = std::min(t, q.tx->next_timeout());
  for (const auto& [a, m] : mappings_)
    if (!m.querying) t = std::min(t, m.keepalive.next_timeout());
  for (const auto& [a, p] : peers_)
    if (!p.indication_due) t = std::min(t, p.keepalive.next_timeout());
  earliest_ = t;
  return t;
}

void nat_agent::on_timeout(time_point now) {
  earliest_stale_ = true;
  for (std::size_t i = 0; i < queries_.size();) {
    auto& q = queries_[i];
    if (q.tx->next_timeout() <= now) q.tx->on_timeout(now);
    if (q.tx->done()) {
      finish(q, now); // erases queries_[i]
      continue;
    }
    ++i;
  }
  for (auto& [addr, m] : mappings_) {
    if (m.querying || !m.keepalive.on_timeout(now)) continue;
    // A request rather than an indication: the answer tells whether the
    // NAT still maps this socket to the same address.
    m.querying = true;
    auto& q = start_query(addr, false, now);
    if (q.id_failed || q.tx->done()) {
      m.querying = false;
      queries_.pop_back();
    }
  }
  for (auto& [addr, p] : peers_) {
    if (p.indication_due || !p.keepalive.on_timeout(now)) continue;
    p.indication_due = true;
    due_peers_.push_back(addr);
  }
}

std::optional<transport_address> nat_agent::mapped_address(const transport_address& server) const {
  auto m = mappings_.find(server);
  if (m == mappings_.end()) return std::nullopt;
  return m->second.monitor.current();
}

} // namespace tern::stun
