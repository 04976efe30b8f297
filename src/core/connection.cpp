// The connection's lifecycle (docs/connection.md, docs/protocol.md §9):
// creation, the handshake's progress, closing, and inspection. It
// coordinates; the work is elsewhere: datagrams and packets received in
// connection_recv.cpp and their frames in connection_frames_in.cpp,
// datagrams built in connection_send.cpp from connection_frames_out.cpp's
// frames, timers in connection_timers.cpp, the application's data API
// (streams, datagrams, messages) in connection_app.cpp.
//
// States: handshaking -> established -> closing | draining -> closed
// (RFC 9000 §10). A client is established once the server's HANDSHAKE_DONE
// confirms the handshake (a client's TLS can finish and the server still
// reject its certificate); a server as soon as its TLS finishes.

#include "core/connection.hpp"

#include "crypto/crypto_error.hpp"

#include <algorithm>

namespace tern::core {

namespace {

recovery::sender_config make_sender_config(const connection_config& c) {
  recovery::sender_config s;
  s.algorithm = c.congestion;
  s.pacing = c.pacing;
  s.target_rate = c.target_rate;
  s.real_time = c.real_time;
  s.drain_guard = c.drain_guard;
  s.controller.max_datagram_size = c.max_datagram_size;
  s.rtt.max_ack_delay = initial_limits::max_ack_delay;
  return s;
}

recovery::ack_tracker_config make_ack_config(const connection_config& c) {
  recovery::ack_tracker_config a;
  a.max_ack_delay = std::min(c.max_ack_delay, initial_limits::max_ack_delay);
  return a;
}

stream::stream_map_config make_stream_config(const connection_config& c, crypto::tls_role role) {
  stream::stream_map_config s;
  s.self = role == crypto::tls_role::client ? stream::role::client : stream::role::server;
  s.max_concurrent_bidi = initial_limits::max_streams_bidi;
  s.max_concurrent_uni = initial_limits::max_streams_uni;
  s.stream_window = stream::window_config{.initial = initial_limits::max_stream_data,
                                          .max = c.max_stream_window,
                                          .granted = c.initial_stream_window};
  s.send.buffer_limit = c.stream_send_buffer;
  return s;
}

} // namespace

std::span<std::byte> handshake_state::scratch() noexcept {
  thread_local std::array<std::byte, 16 * 1024> buffer;
  return buffer;
}

connection::connection(const connection_config& config, crypto::tls_role role, random_source& rng)
    : config_(config), role_(role), rng_(rng), sender_(make_sender_config(config), rng),
      acks_(make_ack_config(config)), streams_(make_stream_config(config, role)),
      conn_send_credit_(initial_limits::max_data),
      conn_recv_window_(stream::window_config{.initial = initial_limits::max_data,
                                              .max = config.max_connection_window,
                                              .granted = config.initial_connection_window}),
      datagrams_out_(config.datagram_send), datagrams_in_(config.datagram_receive, config.datagram_overflow),
      messages_out_(config.message_sender), messages_in_(config.message_receiver), repair_(config.fec) {
  config_.max_datagram_size = std::max<std::size_t>(config_.max_datagram_size, 1200);
  restart_path_mtu();
  config_.connection_id_length = std::clamp<std::size_t>(config_.connection_id_length, 4, 20);
  config_.active_connection_ids = std::max<std::size_t>(config_.active_connection_ids, 2);
  stream::peer_stream_limits limits;
  limits.max_stream_data_bidi_local = initial_limits::max_stream_data;
  limits.max_stream_data_bidi_remote = initial_limits::max_stream_data;
  limits.max_stream_data_uni = initial_limits::max_stream_data;
  limits.max_streams_bidi = initial_limits::max_streams_bidi;
  limits.max_streams_uni = initial_limits::max_streams_uni;
  streams_.set_peer_limits(limits);
  send_.set(send_flag::stream_control);
}

connection::~connection() = default;

std::unique_ptr<connection> connection::connect(const connection_config& config,
                                                std::shared_ptr<const crypto::tls_context> tls, const address& peer,
                                                random_source& rng, time_point now, std::error_code& ec,
                                                std::span<const std::byte> address_token,
                                                const resumption_offer& resume) {
  std::unique_ptr<connection> c(new connection(config, crypto::tls_role::client, rng));
  c->path_.peer = peer;
  c->tokens_.initial.assign(address_token.begin(), address_token.end());
  c->path_.validated = true; // a client sends only where it chose to
  c->make_connection_id(c->local_initial_cid_);
  // The original DCID is at least 8 bytes (RFC 9000 §7.2) whatever our own length.
  std::array<std::byte, 8> dcid{};
  c->rng_.fill(dcid);
  (void)wire::connection_id::from_bytes(dcid, c->original_dcid_);
  c->ids_.set_initial_local(c->local_initial_cid_);
  c->ids_.set_initial_peer(c->original_dcid_);
  ec = c->start(std::move(tls), now, resume);
  if (ec) return nullptr;
  return c;
}

std::unique_ptr<connection> connection::accept(const connection_config& config,
                                               std::shared_ptr<const crypto::tls_context> tls, const address& peer,
                                               const wire::connection_id& client_dcid,
                                               const wire::connection_id& client_scid, random_source& rng,
                                               time_point now, std::error_code& ec,
                                               const std::optional<wire::connection_id>& retry_original_dcid,
                                               bool address_validated) {
  if (client_dcid.empty()) {
    ec = crypto::crypto_errc::invalid_argument;
    return nullptr;
  }
  std::unique_ptr<connection> c(new connection(config, crypto::tls_role::server, rng));
  c->path_.peer = peer;
  if (retry_original_dcid) {
    c->original_dcid_ = *retry_original_dcid;
    c->local_initial_cid_ = client_dcid;
    c->path_.validated = true; // the token proved the client receives at `peer`
  } else {
    c->original_dcid_ = client_dcid;
    c->make_connection_id(c->local_initial_cid_);
    c->path_.validated = address_validated; // a NEW_TOKEN token proved it
  }
  c->ids_.set_initial_local(c->local_initial_cid_);
  c->ids_.set_initial_peer(client_scid);
  ec = c->start(std::move(tls), now);
  if (ec) return nullptr;
  return c;
}

std::error_code connection::start(std::shared_ptr<const crypto::tls_context> tls, time_point now,
                                  const resumption_offer& resume) {
  activity_.last_received = now;
  open_qlog(now);
  handshake_.deadline = now + config_.handshake_timeout;
  if (auto ec = keys_.install_handshake(role_, original_dcid_.bytes())) return ec;
  std::error_code ec;
  handshake_.tls = crypto::tls_session::create(std::move(tls), ec);
  if (ec) return ec;
  if (handshake_.tls->role() != role_) return crypto::crypto_errc::invalid_configuration;
  // A ticket not offered leaves a full handshake, not an error.
  if (!resume.ticket.empty()) handshake_.ticket_refused = handshake_.tls->offer_ticket(resume.ticket, resume.early_data);
  early_.datagrams = resume.early_data && resume.early_datagrams;
  if (auto e = handshake_.tls->start()) return e;
  on_early_keys(now);
  pump_tls_output();
  if (qlog_.observer) qlog_sync(now);
  return {};
}

void connection::pump_tls_output() {
  // After a failure the pending output is the TLS alert, which travels as
  // the CONNECTION_CLOSE code instead.
  auto& tls = *handshake_.tls;
  if (tls.state() == crypto::handshake_state::failed) return;
  while (tls.pending_output() > 0) {
    const auto scratch = handshake_state::scratch();
    const std::size_t n = tls.take_output(scratch);
    if (n == 0) break;
    std::error_code ec;
    handshake_.crypto_send.write(scratch.first(n), ec);
  }
}

void connection::make_connection_id(wire::connection_id& out) {
  std::array<std::byte, wire::max_connection_id_length> bytes{};
  auto s = std::span(bytes).first(config_.connection_id_length);
  rng_.fill(s);
  (void)wire::connection_id::from_bytes(s, out);
}

duration connection::pto() const noexcept { return sender_.rtt().base_timeout(); }

duration connection::idle_timeout() const noexcept { return std::max(config_.idle_timeout, 3 * pto()); }

void connection::emit(connection_event::kind k, std::uint64_t id) { events_.queue.push_back(connection_event{k, id}); }

void connection::report_target_rate() {
  if (!target_rate_report_.update(sender_.target_rate().target()) || events_.target_rate_pending) return;
  events_.target_rate_pending = true;
  emit(connection_event::kind::target_rate_changed);
}

void connection::emit_closed_once() {
  if (close_.take_event()) emit(connection_event::kind::closed);
}

std::optional<connection_event> connection::poll_event() {
  if (events_.queue.empty()) return std::nullopt;
  auto e = events_.queue.front();
  events_.queue.pop_front();
  if (e.what == connection_event::kind::target_rate_changed) events_.target_rate_pending = false;
  return e;
}

void connection::issue_connection_ids() {
  // Past connection_ids::local_issue_limit a peer that keeps retiring gets
  // no replacements (RFC 9000 §5.1.1): its retire loop costs us nothing more.
  while (ids_.active_local() < config_.active_connection_ids && ids_.can_issue()) {
    wire::connection_id cid;
    make_connection_id(cid);
    std::array<std::byte, wire::stateless_reset_token_length> token{};
    rng_.fill(token);
    ids_.issue_local(cid, token);
  }
}

void connection::on_handshake_complete(time_point now) {
  handshake_.complete = true;
  handshake_.resumed = handshake_.tls->resumed();
  handshake_.certificate_requested = handshake_.tls->certificate_requested();
  settle_early_data();
  // A server that took early data has its 1-RTT keys already (0.5-RTT).
  if (auto ec = keys_.has_one_rtt_keys() ? std::error_code{} : keys_.install_one_rtt(*handshake_.tls, config_.key_update)) {
    close_transport(wire::transport_error::internal_error, 0, "1-RTT key derivation failed", now);
    return;
  }
  keys_.one_rtt().set_old_key_retention(3 * pto());
  if (role_ == crypto::tls_role::server) {
    send_.set(send_flag::handshake_done);
    on_handshake_confirmed(now);
  }
  receive_.replay_early_pending = !receive_.early.empty();
  // A client tells the application now unless the server can still refuse
  // it: the round trip to HANDSHAKE_DONE (confirmation, RFC 9001 §4.1.2)
  // would only delay the application's first 1-RTT bytes. A server that
  // asked for the client's certificate judges it after the client's
  // Finished, and async_connect must not succeed for a key the server then
  // refuses: that client waits for confirmation, unless it resumed (the
  // server took its ticket, and the identity with it, in the ClientHello).
  if (reports_at_completion() && state_ != connection_state::closing && state_ != connection_state::closed)
    report_handshake_complete();
}

void connection::report_handshake_complete() {
  if (handshake_.reported) return;
  handshake_.reported = true;
  emit(connection_event::kind::handshake_complete);
}

bool connection::reports_at_completion() const noexcept {
  return is_client() && handshake_.complete && (handshake_.resumed || !handshake_.certificate_requested);
}

void connection::on_handshake_confirmed(time_point now) {
  if (handshake_.confirmed) return;
  handshake_.confirmed = true;
  handshake_.deadline = never;
  handshake_.probe_at = never;
  if (state_ == connection_state::handshaking) state_ = connection_state::established;
  // Long-header keys are public to anyone who saw the first DCID: stop
  // accepting such packets once they are no longer needed (RFC 9001 §4.9.2).
  keys_.discard_handshake();
  keys_.discard_zero_rtt();
  release_handshake_state();
  issue_connection_ids();
  report_handshake_complete();
  sender_.on_handshake_confirmed(now);
}

void connection::release_handshake_state() {
  // What reads the session later reads these instead (alpn(),
  // peer_fingerprint()); its pending output was already moved to crypto_send.
  if (handshake_.tls && !awaiting_ticket()) {
    handshake_.alpn = std::string(handshake_.tls->alpn());
    handshake_.peer_spki = handshake_.tls->peer_spki();
    handshake_.ticket = handshake_.tls->ticket();
    handshake_.tls.reset();
  }
  // Read to the end by now; the flight sent is freed once acknowledged
  // (on_acked_frames).
  (void)handshake_.crypto_recv.release_buffer();
  (void)handshake_.crypto_send.release_buffer();
}

void connection::enter_closing(const close_info& info, time_point now) {
  if (state_ == connection_state::closing || state_ == connection_state::draining ||
      state_ == connection_state::closed)
    return;
  close_.info = info;
  state_ = connection_state::closing;
  send_.set(send_flag::close_frame);
  close_.deadline = now + 3 * pto();
  close_.packet_type = handshake_.confirmed || (handshake_.complete && !keys_.has_handshake_keys())
                           ? wire::packet_type::one_rtt
                           : (is_client() && !handshake_.heard_from_peer ? wire::packet_type::initial
                                                                          : wire::packet_type::handshake);
  emit_closed_once();
}

void connection::enter_draining(const close_info& info, time_point now) {
  if (state_ == connection_state::draining || state_ == connection_state::closed) return;
  if (state_ != connection_state::closing) close_.info = info;
  state_ = connection_state::draining;
  send_.clear(send_flag::close_frame);
  close_.deadline = now + 3 * pto();
  emit_closed_once();
}

void connection::drop_handshake(core_errc why) {
  if (is_client() || is_established() || is_closed()) return;
  close_silently(why);
}

void connection::close_silently(core_errc why) {
  close_.info.error = why;
  state_ = connection_state::closed;
  emit_closed_once();
}

void connection::close_transport_code(std::uint64_t code, std::error_code local, std::string_view reason,
                                      time_point now) {
  close_info info;
  info.error = local;
  info.code = code;
  info.reason = std::string(reason);
  enter_closing(info, now);
}

void connection::close_transport(wire::transport_error code, std::uint64_t frame_type, std::string_view reason,
                                 time_point now) {
  close_transport_code(static_cast<std::uint64_t>(code), core_errc::transport_error, reason, now);
  close_.frame_type = frame_type;
}

void connection::fail_handshake(time_point now) {
  // RFC 9001 §4.8: a TLS alert becomes CONNECTION_CLOSE with 0x100 + alert.
  std::uint64_t code = 0x100 + 80; // internal_error alert when TLS gave none
  const auto& tls = *handshake_.tls;
  if (auto a = tls.alert_sent()) code = 0x100 + *a;
  close_transport_code(code, tls.error(), tls.failure_detail(), now);
  close_.frame_type = wire::frame_type::crypto;
}

void connection::close(std::uint64_t app_error, std::string_view reason, time_point now) {
  if (state_ == connection_state::closed) return;
  close_info info;
  info.error = core_errc::closed_locally;
  info.application = true;
  info.code = app_error;
  info.reason = std::string(reason);
  enter_closing(info, now);
  if (qlog_.observer) qlog_sync(now);
}

// --- inspection -------------------------------------------------------------

connection_stats connection::stats() const {
  connection_stats s;
  const auto& rtt = sender_.rtt();
  if (rtt.has_sample()) {
    s.srtt = rtt.smoothed_rtt();
    s.rttvar = rtt.rttvar();
    s.min_rtt = rtt.min_rtt();
  }
  s.cwnd = sender_.congestion_window();
  s.pacing_rate = sender_.pacing_rate();
  s.bytes_in_flight = sender_.bytes_in_flight();
  s.delivery_rate = sender_.bandwidth_estimate();
  s.target_rate = sender_.target_rate().target();
  s.queueing_delay = sender_.target_rate().queueing_delay();
  const auto& ss = sender_.stats();
  s.packets_sent = ss.packets_sent;
  s.packets_lost = ss.packets_lost;
  s.zero_rtt_packets_discarded = ss.packets_discarded;
  s.early_message_fragments_received = counters_.early_message_fragments_received;
  s.early_datagrams_received = counters_.early_datagrams_received;
  s.early_datagrams_refused = counters_.early_datagrams_refused;
  s.spurious_retransmits = ss.spurious_losses;
  const auto& c = counters_;
  s.packets_received = c.packets_received;
  s.packets_retransmitted = c.packets_retransmitted;
  s.retransmission_rate = ss.packets_sent == 0 ? 0.0
                                               : static_cast<double>(c.packets_retransmitted) /
                                                     static_cast<double>(ss.packets_sent);
  s.bytes_sent = c.bytes_sent;
  s.bytes_received = c.bytes_received;
  s.packets_dropped = c.packets_dropped;
  s.authentication_failures = keys_.authentication_failures();
  s.key_updates = c.key_updates;
  s.path_changes = c.path_changes;
  s.stream_bytes_sent = c.stream_bytes_sent;
  s.stream_bytes_retransmitted = c.stream_bytes_retransmitted;
  s.stream_bytes_received = c.stream_bytes_received;
  const auto& ms = messages_out_.stats();
  s.message_fragments_sent = ms.fragments_sent;
  s.message_retransmissions = ms.retransmissions;
  s.message_duplicates = ms.duplicates;
  s.messages_abandoned = ms.messages_abandoned;
  const auto& mtu = path_mtu_.search;
  s.datagram_size = mtu.usable_size();
  s.mtu_probes_sent = mtu.stats().probes_sent;
  s.mtu_probes_lost = mtu.stats().probes_lost;
  s.mtu_black_holes = mtu.stats().black_holes;
  s.ecn_ect0_received = acks_.ecn().ect0;
  s.ecn_ect1_received = acks_.ecn().ect1;
  s.ecn_ce_received = acks_.ecn().ce;
  s.ecn_ce_reported = ecn_.peer_ce();
  s.ecn_marking = ecn_marks_now();
  const auto fec = repair_.stats();
  s.fec_repair_packets_sent = fec.repair_packets_sent;
  s.fec_repair_bytes_sent = fec.repair_bytes_sent;
  s.fec_packets_recovered = fec.packets_recovered;
  s.fec_peer_packets_recovered = fec.peer_packets_recovered;
  s.fec_overhead = c.bytes_sent > fec.repair_bytes_sent ? static_cast<double>(fec.repair_bytes_sent) /
                                                              static_cast<double>(c.bytes_sent - fec.repair_bytes_sent)
                                                        : 0.0;
  s.fec_path_loss_rate = fec.path_loss_rate;
  s.fec_path_mean_burst = fec.path_mean_burst;
  s.fec_repaired_losses = sender_.stats().repaired_losses;
  return s;
}

std::string connection::alpn() const {
  return handshake_.tls ? std::string(handshake_.tls->alpn()) : handshake_.alpn;
}

std::optional<crypto::spki_digest> connection::peer_fingerprint() const {
  return handshake_.tls ? handshake_.tls->peer_spki() : handshake_.peer_spki;
}

bool connection::initiate_key_update() {
  if (!handshake_.confirmed || !keys_.one_rtt().can_initiate_update()) return false;
  if (keys_.one_rtt().initiate_update()) return false;
  ++counters_.key_updates;
  return true;
}

std::uint64_t connection::key_generation() const noexcept { return keys_.one_rtt().send_generation(); }

} // namespace tern::core
