// The connection's timers (docs/connection.md, "The loop"): next_timeout()
// is the earliest of every deadline the connection keeps - idle and
// handshake timeouts, loss detection and PTO, the ACK delay, key retention,
// handshake probes, path validation, message deadlines, keepalives, path
// MTU probing, pacing, interleaved repair's wait, the end of closing or
// draining - and on_timeout()
// acts on those that are due. A deadline is never left in the past after
// on_timeout() and poll_transmit(), so a driver cannot spin.

#include "core/connection.hpp"

#include <algorithm>

namespace tern::core {

time_point connection::next_timeout() const noexcept {
  if (state_ == connection_state::closed) return never;
  if (state_ == connection_state::closing || state_ == connection_state::draining) return close_.deadline;
  time_point t = activity_.last_received + idle_timeout();
  t = std::min(t, handshake_.deadline);
  t = std::min(t, sender_.next_timeout());
  if (amplification_budget() >= 64) t = std::min(t, acks_.ack_deadline());
  t = std::min(t, keys_.one_rtt().next_timeout());
  t = std::min(t, handshake_.probe_at);
  if (path_.validation.active) t = std::min(t, path_.validation.deadline);
  if (handshake_.confirmed) {
    t = std::min(t, messages_out_.next_timeout());
    if (!events_.message_pending) t = std::min(t, messages_in_.next_timeout());
    if (config_.keepalive_interval > duration::zero() && !send_.has(send_flag::ping))
      t = std::min(t, std::max(activity_.last_ack_eliciting_sent, activity_.last_received) +
                          config_.keepalive_interval);
    t = std::min(t, path_mtu_.search.next_timeout());
  }
  if (activity_.pacing_release != never) t = std::min(t, activity_.pacing_release);
  if (!fec_deferred_.entries.empty()) t = std::min(t, fec_deferred_.next_release());
  t = std::min(t, repair_.repair_wait_deadline());
  return t;
}

void connection::on_timeout(time_point now) {
  handle_timeout(now);
  if (qlog_.observer) qlog_sync(now);
}

void connection::handle_timeout(time_point now) {
  if (state_ == connection_state::closed) return;
  if (state_ == connection_state::closing || state_ == connection_state::draining) {
    if (now >= close_.deadline) state_ = connection_state::closed;
    return;
  }
  if (handle_deadlines(now)) return;
  if (now >= activity_.pacing_release) activity_.pacing_release = never;
  handle_recovery_timeout(now);
  if (!fec_deferred_.entries.empty()) settle_fec_losses({}, now);
  repair_.on_timeout(now);
  if (now >= handshake_.probe_at) {
    send_.set(send_flag::ping);
    handshake_.probe_at = never;
  }
  keys_.one_rtt().on_timeout(now);
  if (handshake_.confirmed) path_mtu_.search.on_timeout(now);
  // The new address never answered: go back to the previous one.
  if (path_.validation.active && now >= path_.validation.deadline) path_.abandon_validation();
  if (handshake_.confirmed) {
    messages_out_.on_timeout(now);
    if (messages_in_.next_timeout() <= now) note_message_event();
    if (config_.keepalive_interval > duration::zero() &&
        now >= std::max(activity_.last_ack_eliciting_sent, activity_.last_received) + config_.keepalive_interval)
      send_.set(send_flag::ping);
  }
}

bool connection::handle_deadlines(time_point now) {
  if (now >= activity_.last_received + idle_timeout()) {
    close_silently(core_errc::idle_timeout);
    return true;
  }
  if (now >= handshake_.deadline) {
    close_silently(core_errc::handshake_timeout);
    return true;
  }
  return false;
}

void connection::handle_recovery_timeout(time_point now) {
  if (sender_.next_timeout() > now) return;
  const auto& out = sender_.on_timeout(now);
  handle_losses(out.lost, true, now);
  report_target_rate();
  if (out.probes > 0) {
    on_path_mtu_timeout(now);
    send_.set(send_flag::ping);
    if (!handshake_.confirmed) requeue_crypto_in_flight();
  }
  sender_.release_idle_memory(); // `out` is not used past here
}

void connection::requeue_crypto_in_flight() {
  // A handshake probe carries the crypto data still unacknowledged, so a lost
  // flight is repaired by the probe itself (RFC 9002 §6.2.4).
  sent_.for_each([&](std::uint64_t, std::span<const sent_frame> frames) {
    for (const auto& f : frames)
      if (f.what == sent_frame::kind::crypto) handshake_.crypto_send.on_lost(f.a, f.b, false);
  });
}

} // namespace tern::core
