// The connection's qlog hooks (docs/observability.md). Each is called behind
// an `if (qlog_.observer)`, so an untraced connection pays one branch per event.
//
// Packets are reported where they are sealed or authenticated, losses where
// the loss detector hands them over. Everything that is state rather than
// an event (connection state, recovery metrics, congestion state, key
// generations) is sampled by qlog_sync() at the end of each call into the
// connection and compared with what was last reported, instead of hooking
// every assignment: the observer writes only the changes.

#include "core/connection.hpp"

#include "util/hex.hpp"
#include "wire/frame_reader.hpp"

namespace tern::core {

namespace {

qlog::packet_type qlog_type(wire::packet_type t) {
  switch (t) {
  case wire::packet_type::initial:
    return qlog::packet_type::initial;
  case wire::packet_type::handshake:
    return qlog::packet_type::handshake;
  case wire::packet_type::zero_rtt:
    return qlog::packet_type::zero_rtt;
  default:
    return qlog::packet_type::one_rtt;
  }
}

} // namespace

void connection::open_qlog(time_point now) {
  if (!config_.qlog) return;
  const std::string odcid = util::to_hex(original_dcid_.bytes());
  const auto side = is_client() ? qlog::vantage::client : qlog::vantage::server;
  qlog_.observer = config_.qlog->open(qlog::trace_id{odcid, side, now}, qlog_.error);
}

void connection::qlog_frames(wire::packet_type type, std::span<const std::byte> plaintext) {
  // The packet was built or already accepted by the frame parser, so a
  // decode error cannot happen here; should one, the frames decoded up to
  // it are what the trace shows.
  qlog_.frames.clear();
  (void)wire::for_each_frame(plaintext, type, [this](const wire::frame& f) { qlog_.frames.push_back(f); });
}

void connection::qlog_packet(bool sent, wire::packet_type type, std::uint64_t number, std::size_t bytes,
                             time_point now) {
  const qlog::packet_info p{qlog_type(type), number, bytes, qlog_.frames};
  if (sent)
    qlog_.observer->packet_sent(now, p);
  else
    qlog_.observer->packet_received(now, p);
}

void connection::qlog_losses(std::span<const recovery::sent_packet> lost, bool by_timer, time_point now) {
  // The detector declares a packet lost by the packet threshold (some later
  // packet was acknowledged far enough past it) or by the time threshold
  // (on an ACK or when the loss timer fires); a PTO itself declares none.
  const std::uint64_t threshold = sender_.detector().packet_threshold();
  for (const auto& p : lost) {
    const bool by_reordering = !by_timer && p.largest_acked_when_lost >= p.packet_number + threshold;
    qlog_.observer->packet_lost(now, p.packet_number,
                       by_reordering ? qlog::loss_trigger::reordering_threshold
                                     : qlog::loss_trigger::time_threshold);
  }
}

void connection::qlog_sync(time_point now) {
  qlog::connection_state state = qlog::connection_state::attempted;
  switch (state_) {
  case connection_state::handshaking:
    if (handshake_.complete)
      state = qlog::connection_state::handshake_complete;
    else if (!is_client() || handshake_.heard_from_peer)
      state = qlog::connection_state::handshake_started;
    break;
  case connection_state::established:
    state = qlog::connection_state::handshake_confirmed;
    break;
  case connection_state::closing:
    state = qlog::connection_state::closing;
    break;
  case connection_state::draining:
    state = qlog::connection_state::draining;
    break;
  case connection_state::closed:
    state = qlog::connection_state::closed;
    break;
  }
  auto& observer = *qlog_.observer;
  observer.connection_state_updated(now, state);

  const auto& rtt = sender_.rtt();
  qlog::recovery_metrics m;
  if (rtt.has_sample()) {
    m.min_rtt = rtt.min_rtt();
    m.smoothed_rtt = rtt.smoothed_rtt();
    m.latest_rtt = rtt.latest_rtt();
    m.rtt_variance = rtt.rttvar();
  }
  m.congestion_window = sender_.congestion_window();
  m.bytes_in_flight = sender_.bytes_in_flight();
  m.pacing_rate = sender_.pacing_rate();
  observer.metrics_updated(now, m);
  observer.congestion_state_updated(now, sender_.controller().state_name());
  qlog_keys(now);
}

void connection::qlog_keys(time_point now) {
  if (!keys_.has_one_rtt_keys()) return;
  auto& observer = *qlog_.observer;
  const auto own = is_client() ? qlog::key_type::client_1rtt_secret : qlog::key_type::server_1rtt_secret;
  const auto peer = is_client() ? qlog::key_type::server_1rtt_secret : qlog::key_type::client_1rtt_secret;
  auto& seen = qlog_.keys;
  if (!seen.installed) {
    seen.installed = true;
    observer.key_updated(now, own, 0, qlog::key_trigger::tls);
    observer.key_updated(now, peer, 0, qlog::key_trigger::tls);
  }
  const auto& k = keys_.one_rtt();
  if (k.send_generation() > seen.send) {
    // counters_.key_updates counts the updates this side started.
    seen.last_local = counters_.key_updates > seen.local_updates;
    seen.local_updates = counters_.key_updates;
    seen.send = k.send_generation();
    observer.key_updated(now, own, seen.send,
                       seen.last_local ? qlog::key_trigger::local_update : qlog::key_trigger::remote_update);
  }
  if (k.receive_generation() > seen.receive) {
    seen.receive = k.receive_generation();
    const bool local = seen.receive <= seen.send && seen.last_local;
    observer.key_updated(now, peer, seen.receive,
                       local ? qlog::key_trigger::local_update : qlog::key_trigger::remote_update);
  }
}

} // namespace tern::core
