// The sans-IO endpoint (see endpoint.hpp).
//
// Admission, in the order the checks cost: a datagram for no connection may
// create one only if it is a tern Initial of at least 1200 bytes (RFC 9000
// §14.1: a client pads its first flight, so a spoofed source gains no
// amplification from what follows) whose Destination Connection ID has at
// least 8 bytes, and the endpoint is below max_connections and
// accept_backlog (established connections the application has not taken).
// Its token is checked next (an HMAC): a valid one admits it with its
// address validated; none, or a NEW_TOKEN token that fails, costs one Retry
// smaller than the Initial and no state when every Initial must be
// validated (require_address_validation) or when retry_above_half_open
// handshakes are already in progress (load: a spoofed flood then holds no
// state); a bad Retry token is dropped (the client had its one Retry, RFC
// 9000 §8.1.2); so is an Initial without a token from a source IP that has
// max_half_open_per_source handshakes in progress. Then the limit on all
// handshakes in progress, and last the Initial must authenticate under its handshake keys (garbage that
// only looks like an Initial is refused there). Only then does TLS state
// exist.
//
// A handshake then keeps its place only while it makes progress: its client
// must answer the server's first flight (a Handshake packet, which needs
// the key exchange done) within a few PTOs, or the handshake is dropped
// at that deadline (answer_deadline), long before handshake_timeout. Hosts
// that answer Retries but never finish would otherwise each hold a place
// for the whole handshake timeout, and from more hosts than fairness can
// split max_half_open between, nobody could be displaced.

#include "core/endpoint.hpp"

#include "core/errc.hpp"
#include "crypto/crypto_error.hpp"
#include "core/initial_check.hpp"
#include "wire/header.hpp"

#include <algorithm>

namespace tern::core {

std::error_code check(const endpoint_config& config) noexcept {
  const std::size_t cid = config.connection.connection_id_length;
  const bool server = config.server_tls != nullptr;
  if (cid > wire::max_connection_id_length || (server && cid < 8) || config.max_connections == 0 ||
      config.max_half_open == 0 || config.max_half_open_per_source == 0 ||
      config.new_token_lifetime < duration::zero() || (server && config.retry_token_lifetime <= duration::zero()) ||
      config.min_handshake_answer <= duration::zero() || config.max_handshake_answer < config.min_handshake_answer ||
      config.unanswered_penalty < duration::zero())
    return std::make_error_code(std::errc::invalid_argument);
  return {};
}

std::size_t endpoint::cid_hash::operator()(const wire::connection_id& cid) const noexcept {
  // FNV-1a: connection IDs are random, so any mixing is enough.
  std::uint64_t h = 1469598103934665603ull;
  for (const std::byte b : cid.bytes()) {
    h ^= std::to_integer<std::uint8_t>(b);
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}

endpoint::endpoint(const endpoint_config& config, random_source& rng) : config_(config), rng_(rng) {
  if (!config_.server_tls) return;
  validate_always_ = config_.require_address_validation || config_.shared_validation;
  validation_ = config_.shared_validation ? config_.shared_validation
                                          : std::make_shared<address_validation>(config_.retry_token_lifetime,
                                                                                 config_.new_token_lifetime);
}

endpoint::~endpoint() = default;

datagram_outcome endpoint::on_datagram(std::span<std::byte> datagram, const address& from, time_point now,
                                       recovery::ecn_mark ecn) {
  ++stats_.datagrams_received;
  wire::decoded_header h;
  if (wire::decode_header_layout(datagram, config_.connection.connection_id_length, h)) return dropped();
  if (auto it = routes_.find(h.header.dcid); it != routes_.end())
    return deliver(it->second, datagram, from, now, ecn);
  return admit(h, datagram, from, now, ecn);
}

datagram_outcome endpoint::deliver(connection_handle handle, std::span<std::byte> datagram, const address& from,
                                   time_point now, recovery::ecn_mark ecn) {
  connections_.at(handle).conn->on_datagram_in_place(datagram, from, now, ecn);
  update(handle, now);
  datagram_outcome out;
  out.what = datagram_outcome::kind::delivered;
  out.handle = handle;
  return out;
}

datagram_outcome endpoint::admit(const wire::decoded_header& h, std::span<std::byte> datagram, const address& from,
                                 time_point now, recovery::ecn_mark ecn) {
  if (!config_.server_tls || h.header.type != wire::packet_type::initial || datagram.size() < 1200 ||
      h.header.dcid.size() < 8 || connections_.size() >= config_.max_connections ||
      waiting_ >= config_.accept_backlog)
    return dropped();

  wire::connection_id odcid;
  const std::optional<initial_admission> admission = sort_by_token(h, from, now, odcid);
  if (admission == initial_admission::send_retry) return answer_with_retry(h, from, now);
  if (admission == initial_admission::drop) {
    ++stats_.initials_refused;
    return dropped();
  }
  // When the table is full, a validated client (its address proven by a
  // token) may displace the oldest handshake of a source holding at least
  // two more than its own (see half_open_budget): hosts that answer
  // Retries cannot keep a newcomer out by holding every place, while a
  // real host opening many connections at once is not held back while
  // there is room. An unvalidated Initial never displaces.
  const bool validated = admission.has_value();
  if (half_open_.total() >= config_.max_half_open / 2 && half_open_.unanswered(from, now)) {
    ++stats_.initials_from_unanswered;
    return dropped();
  }
  connection_handle displaced = no_connection;
  if (half_open_.total() >= config_.max_half_open) {
    if (validated) displaced = half_open_.displaceable(half_open_.from(from));
    if (displaced == no_connection) {
      ++stats_.initials_over_limit;
      return dropped();
    }
  }
  const bool after_retry = admission == initial_admission::accept_after_retry;
  if (!initial_authenticates(datagram, h, after_retry ? odcid : h.header.dcid, now, initial_scratch_)) {
    ++stats_.initials_unauthenticated;
    return dropped();
  }
  if (displaced != no_connection) displace(displaced, now);

  std::error_code ec;
  std::optional<wire::connection_id> original_dcid;
  if (after_retry) original_dcid = odcid;
  auto c = connection::accept(config_.connection, config_.server_tls, from, h.header.dcid, h.header.scid, rng_, now,
                              ec, original_dcid, admission == initial_admission::accept_validated);
  if (ec || !c) return dropped();
  const connection_handle handle = add(*c, true);
  entry& e = connections_.at(handle);
  e.half_open = true;
  e.source = from;
  e.half_open_since = now;
  half_open_.add(from, handle);
  // The client's retransmitted Initials still carry the DCID it chose.
  routes_[h.header.dcid] = handle;
  e.original_route = h.header.dcid;
  datagram_outcome out = deliver(handle, datagram, from, now, ecn);
  out.what = datagram_outcome::kind::accepted;
  out.accepted = std::move(c);
  out.admission = admission;
  return out;
}

std::optional<initial_admission> endpoint::sort_by_token(const wire::decoded_header& h, const address& from,
                                                         time_point now, wire::connection_id& original_dcid) {
  // A token is honoured whenever one comes, load or not: a client that got
  // a Retry under load comes back with its token, and its handshake keys
  // derive from the DCID the token names.
  const initial_admission verdict = validation_->admit(h.header, from, now, original_dcid);
  if (verdict != initial_admission::send_retry) return verdict;
  const bool under_load = config_.retry_above_half_open > 0 && half_open_.total() >= config_.retry_above_half_open;
  // One host with many handshakes at once proves its address before more:
  // a spoofed flood stops here, a real host (a proxy, a load test) goes on
  // after one round trip.
  const bool busy_source = half_open_.from(from) >= config_.max_half_open_per_source;
  if (validate_always_ || under_load || busy_source) return initial_admission::send_retry;
  return std::nullopt; // admitted unvalidated, held to the 3x amplification limit
}

void endpoint::end_half_open(connection_handle handle, entry& e) noexcept {
  if (!e.half_open) return;
  e.half_open = false;
  half_open_.release(e.source, handle);
}

void endpoint::displace(connection_handle handle, time_point now) {
  entry& e = connections_.at(handle);
  e.conn->drop_handshake();
  end_half_open(handle, e);
  // Due now: the driver's next on_timeout() hands it back, closed, to be removed.
  timers_.set(e.timer, handle, now);
  ++stats_.handshakes_displaced;
}

datagram_outcome endpoint::answer_with_retry(const wire::decoded_header& h, const address& from, time_point now) {
  if (answers_.size() >= config_.max_pending_answers) return dropped();
  std::vector<std::byte> retry(1200);
  std::error_code ec;
  const std::size_t n =
      validation_->write_retry(h.header, from, config_.connection.connection_id_length, rng_, now, retry, ec);
  // Never larger than what it answers: a spoofed source gains nothing.
  if (ec || n == 0 || n > h.packet_length) return dropped();
  retry.resize(n);
  answers_.push_back(answer{std::move(retry), from});
  ++stats_.retries_sent;
  datagram_outcome out;
  out.what = datagram_outcome::kind::answered;
  return out;
}

std::optional<endpoint_transmit> endpoint::poll_transmit(std::span<std::byte> out) {
  if (answers_.empty() || out.size() < answers_.front().bytes.size()) return std::nullopt;
  answer a = std::move(answers_.front());
  answers_.pop_front();
  std::copy(a.bytes.begin(), a.bytes.end(), out.begin());
  return endpoint_transmit{a.bytes.size(), a.to};
}

std::unique_ptr<connection> endpoint::connect(const address& peer, std::shared_ptr<const crypto::tls_context> tls,
                                              time_point now, std::error_code& ec, connection_handle& handle,
                                              std::span<const std::byte> address_token,
                                              const resumption_offer& resume) {
  handle = no_connection;
  if (connections_.size() >= config_.max_connections) {
    ec = make_error_code(core_errc::too_many_connections);
    return nullptr;
  }
  auto c = connection::connect(config_.connection, std::move(tls), peer, rng_, now, ec, address_token, resume);
  if (ec || !c) return nullptr;
  handle = add(*c, false);
  update(handle, now);
  return c;
}

connection* endpoint::find(connection_handle handle) const noexcept {
  auto it = connections_.find(handle);
  return it == connections_.end() ? nullptr : it->second.conn;
}

connection_handle endpoint::add(connection& c, bool server) {
  const connection_handle handle = next_handle_++;
  entry& e = connections_[handle];
  e.conn = &c;
  e.server = server;
  return handle;
}

void endpoint::update(connection_handle handle, time_point now) {
  auto it = connections_.find(handle);
  if (it == connections_.end()) return;
  entry& e = it->second;
  sync_routes(handle, e);
  if (e.half_open && (e.conn->is_established() || e.conn->is_closed())) end_half_open(handle, e);
  report_refused_client(e);
  if (e.server && !e.claimed && !e.waiting && e.conn->is_established()) {
    e.waiting = true;
    ++waiting_;
  }
  offer_new_token(e, now);
  timers_.set(e.timer, handle, timer_for(e));
}

time_point endpoint::answer_deadline(const entry& e) const noexcept {
  // Only under load (from retry_above_half_open handshakes in progress): a
  // slow client costs nobody a place otherwise.
  const bool under_load =
      config_.retry_above_half_open > 0 && half_open_.total() >= config_.retry_above_half_open;
  if (!e.half_open || !under_load || config_.handshake_answer_ptos == 0 || e.conn->client_answered()) return never;
  // The PTO of the RTT measured so far: the initial RTT's until the client
  // acknowledges the server's Initial.
  const duration wait = std::clamp<duration>(e.conn->probe_timeout() * static_cast<std::int64_t>(config_.handshake_answer_ptos),
                                             config_.min_handshake_answer, config_.max_handshake_answer);
  return e.half_open_since + wait;
}

time_point endpoint::timer_for(const entry& e) const noexcept {
  return std::min(e.conn->next_timeout(), answer_deadline(e));
}

void endpoint::unroute(connection_handle handle, const wire::connection_id& cid) noexcept {
  if (auto r = routes_.find(cid); r != routes_.end() && r->second == handle) routes_.erase(r);
}

void endpoint::sync_routes(connection_handle handle, entry& e) {
  const std::uint64_t changes = e.conn->local_connection_id_changes();
  if (changes == e.routes_synced) return;
  e.routes_synced = changes;
  // The connection lists only its active IDs, so the routed ones it no longer
  // lists were retired. Both lists are at most active_connection_ids long:
  // however many IDs a peer retires, a sync costs their product at most.
  const auto& ids = e.conn->local_connection_ids();
  const auto listed = [&](const wire::connection_id& cid) {
    return std::any_of(ids.begin(), ids.end(), [&](const auto& id) { return id.cid == cid; });
  };
  std::erase_if(e.routes, [&](const wire::connection_id& cid) {
    if (listed(cid)) return false;
    if (!(e.original_route && *e.original_route == cid)) unroute(handle, cid);
    return true;
  });
  for (const auto& id : ids) {
    if (std::find(e.routes.begin(), e.routes.end(), id.cid) != e.routes.end()) continue;
    routes_[id.cid] = handle;
    e.routes.push_back(id.cid);
  }
}

void endpoint::offer_new_token(entry& e, time_point now) {
  if (e.token_offered || !e.server || !validate_always_ || !e.conn->is_established()) return;
  e.token_offered = true;
  if (validation_->new_token_lifetime() <= duration::zero()) return;
  std::array<std::byte, new_token_length> token{};
  // Best effort: without a token the client's next connection takes a Retry.
  if (!validation_->write_new_token(e.conn->peer_address(), now, token)) (void)e.conn->send_new_token(token);
}

void endpoint::claim(connection_handle handle) noexcept {
  auto it = connections_.find(handle);
  if (it == connections_.end() || !it->second.server || it->second.claimed) return;
  it->second.claimed = true;
  if (it->second.waiting) --waiting_;
  it->second.waiting = false;
}

void endpoint::remove(connection_handle handle) noexcept {
  auto it = connections_.find(handle);
  if (it == connections_.end()) return;
  entry& e = it->second;
  report_refused_client(e);
  for (const auto& cid : e.routes) unroute(handle, cid);
  if (e.original_route) unroute(handle, *e.original_route);
  timers_.clear(e.timer);
  if (e.waiting) --waiting_;
  end_half_open(handle, e);
  connections_.erase(it);
}

void endpoint::report_refused_client(entry& e) const noexcept {
  if (!e.server || e.refusal_reported || !config_.on_client_refused) return;
  const connection& c = *e.conn;
  const std::error_code why = c.close_reason().error;
  if (why != crypto::crypto_errc::fingerprint_mismatch && why != crypto::crypto_errc::peer_certificate_required)
    return;
  e.refusal_reported = true;
  try {
    const auto key = c.presented_fingerprint();
    config_.on_client_refused(refused_client{c.peer_address(), key ? crypto::format_fingerprint(*key) : "", why});
  } catch (...) {
    // A report that cannot be made (no memory, a throwing observer) is lost.
  }
}

void endpoint::on_timeout(time_point now, std::vector<connection_handle>& ran) {
  // Each due connection runs once per call: it leaves the queue until all
  // have run, then re-arms at its new deadline (if that is still `now`, the
  // driver's next call runs it again).
  const std::size_t first = ran.size();
  while (const connection_handle h = timers_.first_due(now)) {
    entry& e = connections_.at(h);
    timers_.clear(e.timer);
    if (now >= answer_deadline(e)) {
      // Silent, as at handshake_timeout: the client sent nothing to answer.
      // One already closing (a refused client being told why) keeps its
      // reason and finishes closing; it just stops holding a place.
      if (e.conn->state() == connection_state::handshaking) e.conn->drop_handshake(core_errc::handshake_timeout);
      half_open_.note_unanswered(e.source, now, config_.unanswered_penalty);
      end_half_open(h, e);
      ++stats_.handshakes_unanswered;
    } else {
      e.conn->on_timeout(now);
    }
    ran.push_back(h);
  }
  for (std::size_t i = first; i < ran.size(); ++i) update(ran[i], now);
}

std::vector<connection_handle> endpoint::handles() const {
  std::vector<connection_handle> out;
  out.reserve(connections_.size());
  for (const auto& [h, e] : connections_) out.push_back(h);
  return out;
}

endpoint_stats endpoint::stats() const noexcept {
  endpoint_stats s = stats_;
  s.connections = connections_.size();
  s.half_open = half_open_.total();
  return s;
}

datagram_outcome endpoint::dropped() noexcept {
  ++stats_.datagrams_dropped;
  return datagram_outcome{};
}

} // namespace tern::core
