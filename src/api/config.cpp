// tern::config -> the core's configurations, and the checks that reject a
// config that cannot work, once for every front end.

#include "api/front_end.hpp"
#include "qlog/trace_writer.hpp"

#include <tern/error.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

namespace tern::detail {

std::error_code check_config(const config& cfg) {
  if (cfg.io_batch == 0 || cfg.max_datagram_size < 1200 || cfg.initial_datagram_size < 1200 ||
      cfg.initial_datagram_size > cfg.max_datagram_size || cfg.stun_max_requests == 0 ||
      cfg.stun_initial_rto <= std::chrono::nanoseconds::zero() || cfg.nat_keepalive_interval.count() < 0 ||
      cfg.nat_keepalive_jitter.count() < 0 || cfg.max_connections == 0 || cfg.max_half_open == 0 ||
      cfg.max_half_open_per_source == 0 || cfg.min_handshake_answer <= std::chrono::nanoseconds::zero() ||
      cfg.max_handshake_answer < cfg.min_handshake_answer || cfg.unanswered_penalty < std::chrono::nanoseconds::zero() ||
      (cfg.accept_connections && cfg.address_token_lifetime.count() <= 0) ||
      (cfg.require_address_validation && cfg.address_token_lifetime <= std::chrono::nanoseconds::zero()) ||
      cfg.new_token_lifetime < std::chrono::nanoseconds::zero() ||
      // Client pins a server would never check: a mistake, not a policy.
      (cfg.client_auth == client_authentication::none &&
       (!cfg.pinned_client_fingerprints.empty() || cfg.client_key_check)) ||
      (cfg.client_key_check && !cfg.pinned_client_fingerprints.empty()) ||
      !(cfg.target_rate_change > 0 && cfg.target_rate_change <= 1) ||
      !(cfg.target_rate_headroom >= 0 && cfg.target_rate_headroom < 0.5) ||
      (cfg.session_tickets && (cfg.session_ticket_lifetime.count() <= 0 ||
                               cfg.session_ticket_lifetime > std::chrono::hours(24 * 7))) ||
      (!cfg.session_ticket_key.empty() && cfg.session_ticket_key.size() != 80) ||
      cfg.session_ticket_key_rotation.count() < 0 || cfg.session_ticket_key_rotation > std::chrono::hours(24 * 7))
    return errc::invalid_argument;
  return {};
}

core::connection_config core_config(const config& cfg) {
  core::connection_config c;
  c.idle_timeout = std::chrono::duration_cast<duration>(cfg.idle_timeout);
  c.keepalive_interval = std::chrono::duration_cast<duration>(cfg.keepalive_interval);
  c.handshake_timeout = std::chrono::duration_cast<duration>(cfg.handshake_timeout);
  switch (cfg.congestion) {
  case congestion_controller::bbr: c.congestion = cc::algorithm::bbr; break;
  case congestion_controller::cubic: c.congestion = cc::algorithm::cubic; break;
  case congestion_controller::new_reno: c.congestion = cc::algorithm::new_reno; break;
  }
  c.pacing = cfg.pacing;
  // Only what the path has proven: the core has no probing hook yet, so a
  // connection stays at the initial size (docs/api.md, "Path MTU").
  c.max_datagram_size = std::max<std::size_t>(cfg.initial_datagram_size, 1200);
  c.max_probed_datagram_size = cfg.max_datagram_size;
  c.ecn = cfg.ecn;
  c.initial_stream_window = cfg.initial_stream_window;
  c.initial_connection_window = cfg.initial_connection_window;
  c.max_stream_window = cfg.max_stream_window;
  c.max_connection_window = cfg.max_connection_window;
  c.stream_send_buffer = cfg.stream_send_buffer;
  c.max_stream_send_buffer = cfg.max_stream_send_buffer;
  c.message_tail_probes = cfg.message_tail_probes;
  c.message_cwnd_allowance = cfg.message_cwnd_allowance;
  c.message_lossless_allowance = cfg.message_lossless_allowance;
  c.message_first_window_burst = cfg.message_first_window_burst;
  c.target_rate_change = cfg.target_rate_change;
  c.target_rate.headroom = cfg.target_rate_headroom;
  c.real_time = cfg.real_time;
  c.accept_early_datagrams = cfg.accept_early_datagrams;
  c.fec.mode = cfg.fec == fec_mode::off        ? fec::repair_mode::off
               : cfg.fec == fec_mode::adaptive ? fec::repair_mode::adaptive
                                               : fec::repair_mode::fixed;
  c.fec.fixed_ratio = std::clamp(cfg.fec_fixed_ratio, 0.0, 1.0);
  c.fec.max_ratio = std::clamp(cfg.fec_max_ratio, 0.0, 1.0);
  if (auto dir = qlog_dir(cfg); !dir.empty()) c.qlog = std::make_shared<qlog::trace_directory>(std::move(dir));
  return c;
}

std::string qlog_dir(const config& cfg) {
  if (!cfg.qlog_dir.empty()) return cfg.qlog_dir;
  if (const char* env = std::getenv("TERN_QLOG_DIR")) return env;
  return {};
}

std::error_code check_qlog_dir(const config& cfg) {
  const std::string dir = qlog_dir(cfg);
  if (dir.empty()) return {};
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return errc::invalid_argument;
  return {};
}

core::endpoint_config core_endpoint_config(const config& cfg) {
  core::endpoint_config e;
  e.connection = core_config(cfg);
  e.max_connections = cfg.max_connections;
  e.max_half_open = cfg.max_half_open;
  e.retry_above_half_open = cfg.retry_above_half_open;
  e.max_half_open_per_source = cfg.max_half_open_per_source;
  e.handshake_answer_ptos = cfg.handshake_answer_ptos;
  e.min_handshake_answer = std::chrono::duration_cast<duration>(cfg.min_handshake_answer);
  e.max_handshake_answer = std::chrono::duration_cast<duration>(cfg.max_handshake_answer);
  e.unanswered_penalty = std::chrono::duration_cast<duration>(cfg.unanswered_penalty);
  e.accept_backlog = cfg.accept_backlog;
  e.require_address_validation = cfg.require_address_validation;
  e.retry_token_lifetime = std::chrono::duration_cast<duration>(cfg.address_token_lifetime);
  e.new_token_lifetime = std::chrono::duration_cast<duration>(cfg.new_token_lifetime);
  if (cfg.accept_connections) e.on_client_refused = cfg.on_client_refused;
  return e;
}

} // namespace tern::detail
