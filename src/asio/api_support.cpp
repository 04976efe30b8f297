#include "asio/api_impl.hpp"
#include "core/errc.hpp"
#include "qlog/trace_writer.hpp"
#include "stream/stream_errc.hpp"
#include "stun/errc.hpp"

#include <tern/error.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>

namespace tern {
namespace {

class api_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "tern"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
    case errc::idle_timeout: return "idle timeout";
    case errc::closed_locally: return "connection closed by this side";
    case errc::closed_by_peer: return "connection closed by the peer";
    case errc::transport_error: return "connection closed after a protocol error";
    case errc::handshake_timeout: return "handshake timed out";
    case errc::not_established: return "connection not established";
    case errc::connection_closed: return "connection closed";
    case errc::unknown_stream: return "unknown stream";
    case errc::invalid_stream_direction: return "the stream has no half for this operation";
    case errc::path_validation_failed: return "path validation failed";
    case errc::aead_limit_reached: return "AEAD usage limit reached";
    case errc::endpoint_closed: return "endpoint closed";
    case errc::too_many_connections: return "too many connections";
    case errc::stream_reset: return "stream reset by the peer";
    case errc::stopped_by_peer: return "the peer asked to stop sending";
    case errc::stream_closed: return "stream closed for sending";
    case errc::message_too_large: return "message too large";
    case errc::buffer_full: return "send queue full";
    case errc::deadline_passed: return "deadline already passed";
    case errc::invalid_argument: return "invalid argument";
    case errc::stun_timeout: return "STUN server did not answer";
    case errc::stun_error_response: return "STUN server answered with an error";
    case errc::stun_bad_response: return "STUN server sent an unusable response";
    }
    return "unknown tern error";
  }
};

} // namespace

const std::error_category& error_category() noexcept {
  static const api_category c;
  return c;
}

namespace detail {

std::error_code public_error(std::error_code ec) noexcept {
  if (!ec) return ec;
  if (ec.category() == core::core_category()) {
    // core_errc values 1..11 are mirrored one to one by tern::errc.
    return {ec.value(), error_category()};
  }
  if (ec.category() == stream::stream_category()) {
    switch (static_cast<stream::stream_errc>(ec.value())) {
    case stream::stream_errc::reset_by_peer: return errc::stream_reset;
    case stream::stream_errc::stopped_by_peer: return errc::stopped_by_peer;
    case stream::stream_errc::stream_closed: return errc::stream_closed;
    case stream::stream_errc::message_too_large: return errc::message_too_large;
    case stream::stream_errc::buffer_full: return errc::buffer_full;
    case stream::stream_errc::deadline_passed: return errc::deadline_passed;
    default: return errc::transport_error;
    }
  }
  if (ec.category() == stun::stun_category()) {
    switch (static_cast<stun::stun_errc>(ec.value())) {
    case stun::stun_errc::timeout: return errc::stun_timeout;
    case stun::stun_errc::error_response: return errc::stun_error_response;
    case stun::stun_errc::missing_mapped_address:
    case stun::stun_errc::unknown_comprehension_required: return errc::stun_bad_response;
    default: return ec; // no random transaction ID, and such: category "tern.stun"
    }
  }
  return ec;
}

core::address to_core(const asio::ip::udp::endpoint& e) noexcept {
  const auto a = e.address();
  if (a.is_v4()) return core::address::ipv4(a.to_v4().to_bytes(), e.port());
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped())
    return core::address::ipv4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes(), e.port());
  return core::address::ipv6(v6.to_bytes(), e.port());
}

asio::ip::udp::endpoint to_asio(const core::address& a) noexcept {
  if (a.family == stun::address_family::ipv4) {
    asio::ip::address_v4::bytes_type b{};
    std::copy_n(a.ip.begin(), 4, b.begin());
    return {asio::ip::address_v4(b), a.port};
  }
  asio::ip::address_v6::bytes_type b{};
  std::copy_n(a.ip.begin(), 16, b.begin());
  return {asio::ip::address_v6(b), a.port};
}

recovery::ecn_mark to_core(io::ecn_codepoint e) noexcept {
  switch (e) {
  case io::ecn_codepoint::ect0: return recovery::ecn_mark::ect0;
  case io::ecn_codepoint::ect1: return recovery::ecn_mark::ect1;
  case io::ecn_codepoint::ce: return recovery::ecn_mark::ce;
  case io::ecn_codepoint::not_ect: break;
  }
  return recovery::ecn_mark::not_ect;
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

connection_stats public_stats(const core::connection_stats& c) noexcept {
  connection_stats s;
  s.srtt = c.srtt;
  s.rttvar = c.rttvar;
  s.min_rtt = c.min_rtt;
  s.cwnd = c.cwnd;
  s.pacing_rate = c.pacing_rate;
  s.delivery_rate = c.delivery_rate;
  s.bytes_in_flight = c.bytes_in_flight;
  s.packets_sent = c.packets_sent;
  s.packets_received = c.packets_received;
  s.packets_lost = c.packets_lost;
  s.packets_retransmitted = c.packets_retransmitted;
  s.packets_dropped = c.packets_dropped;
  s.bytes_sent = c.bytes_sent;
  s.bytes_received = c.bytes_received;
  s.stream_bytes_sent = c.stream_bytes_sent;
  s.stream_bytes_received = c.stream_bytes_received;
  s.datagram_size = c.datagram_size;
  s.mtu_probes_sent = c.mtu_probes_sent;
  s.mtu_probes_lost = c.mtu_probes_lost;
  s.mtu_black_holes = c.mtu_black_holes;
  s.ecn_ect0_received = c.ecn_ect0_received;
  s.ecn_ce_received = c.ecn_ce_received;
  s.ecn_ce_reported = c.ecn_ce_reported;
  s.ecn_marking = c.ecn_marking;
  return s;
}

cid_key::cid_key(const wire::connection_id& cid) noexcept {
  const auto b = cid.bytes();
  std::copy(b.begin(), b.end(), bytes.begin());
  size = static_cast<std::uint8_t>(b.size());
}

std::size_t cid_hash::operator()(const cid_key& k) const noexcept {
  // FNV-1a: connection IDs are random, so any mixing is enough.
  std::uint64_t h = 1469598103934665603ull;
  for (std::size_t i = 0; i < k.size; ++i) {
    h ^= static_cast<std::uint8_t>(k.bytes[i]);
    h *= 1099511628211ull;
  }
  return static_cast<std::size_t>(h);
}

} // namespace detail
} // namespace tern
