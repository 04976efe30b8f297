// tern-stun query: one Binding transaction (src/stun/binding_transaction)
// driven in real time on one UDP socket. The loop sends whatever the
// transaction wants to send, then waits for a datagram or the next
// deadline, whichever comes first.
#include "commands.hpp"
#include "endpoint_text.hpp"

#include "stun/binding_transaction.hpp"
#include "stun/demux.hpp"
#include "stun/integrity.hpp"

#include <tern/time.hpp>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <iostream>
#include <sstream>

namespace tern::tools {

namespace {

time_point now() { return from_steady(std::chrono::steady_clock::now()); }

std::string failure_text(const stun::binding_transaction& tx, bool overall_timeout) {
  std::ostringstream s;
  if (overall_timeout) {
    s << "no response within the time limit (" << tx.transmissions() << " request"
      << (tx.transmissions() == 1 ? "" : "s") << " sent)";
  } else if (tx.error() == stun::stun_errc::error_response) {
    s << "server answered with error " << tx.error_response_code();
    if (!tx.error_reason().empty()) s << " (" << tx.error_reason() << ")";
    if (!tx.unknown_attributes().empty()) {
      s << "; unknown attributes:";
      for (const auto t : tx.unknown_attributes()) {
        char hex[8];
        std::snprintf(hex, sizeof hex, " 0x%04x", t);
        s << hex;
      }
    }
  } else if (tx.error() == stun::stun_errc::timeout) {
    s << tx.error().message() << " (" << tx.transmissions() << " requests sent)";
  } else {
    s << tx.error().message();
  }
  return s.str();
}

// One JSON object on one line. The server's SOFTWARE attribute and the
// user's text need not be UTF-8: what is not is replaced, not thrown at.
void print_json(const nlohmann::ordered_json& object) {
  std::cout << object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

int report_error(const query_settings& settings, const std::string& message, int status) {
  if (settings.json) print_json({{"server", settings.server}, {"error", message}});
  std::cerr << "tern-stun: " << message << "\n";
  return status;
}

} // namespace

int run_query(const query_settings& settings) {
  asio::io_context io;
  std::string error;
  const auto server = resolve(io, settings.server, settings.family, error);
  if (!server) return report_error(settings, error, 2);

  asio::ip::udp::socket socket{io};
  std::error_code ec;
  asio::ip::udp::endpoint local{server->protocol(), 0};
  if (!settings.bind.empty()) {
    const auto bind = parse_numeric(settings.bind, error);
    if (!bind) return report_error(settings, error, 2);
    if (bind->protocol() != server->protocol())
      return report_error(settings, "--bind and the server must be the same IP family", 2);
    local = *bind;
  }
  socket.open(server->protocol(), ec);
  if (!ec) socket.bind(local, ec);
  if (ec) return report_error(settings, "cannot bind " + to_text(local) + ": " + ec.message(), 2);

  stun::transaction_id id{};
  if (!stun::random_transaction_id(id)) return report_error(settings, "no random bytes from OpenSSL", 2);
  stun::binding_options options;
  options.initial_rto = settings.rto;
  options.max_requests = settings.rc;
  options.last_wait_factor = settings.rm;
  options.software = settings.software;
  options.fingerprint = settings.fingerprint;
  stun::binding_transaction tx{id, options};

  const time_point start = now();
  const time_point give_up = start + settings.timeout;
  time_point first_send{};
  time_point answered{};
  std::array<std::byte, 2048> buffer{};
  asio::steady_timer timer{io};
  bool overall_timeout = false;

  while (!tx.done()) {
    if (const auto out = tx.poll_transmit(now()); !out.empty()) {
      if (tx.transmissions() == 1) first_send = now();
      socket.send_to(asio::buffer(out.data(), out.size()), *server, 0, ec);
      // A send error (e.g. ICMP unreachable reported on a later call) is
      // treated like loss: the schedule retransmits.
    }
    const time_point wake = std::min(tx.next_timeout(), give_up);
    if (now() >= give_up) {
      overall_timeout = true;
      break;
    }
    std::size_t received = 0;
    bool got = false;
    asio::ip::udp::endpoint from;
    socket.async_receive_from(asio::buffer(buffer.data(), buffer.size()), from,
                              [&](std::error_code rec, std::size_t n) {
                                if (!rec) {
                                  got = true;
                                  received = n;
                                }
                                timer.cancel();
                              });
    timer.expires_at(to_steady(wake));
    timer.async_wait([&](std::error_code tec) {
      if (!tec) socket.cancel();
    });
    io.restart();
    io.run();
    const time_point t = now();
    if (got && from == *server && stun::is_stun(std::span{buffer.data(), received})) {
      if (tx.on_response(std::span{buffer.data(), received}, t) && tx.done()) answered = t;
    }
    tx.on_timeout(t);
  }

  if (overall_timeout || tx.current_state() != stun::binding_transaction::state::succeeded)
    return report_error(settings, failure_text(tx, overall_timeout), 1);

  const auto& mapped = *tx.mapped_address();
  const auto local_now = socket.local_endpoint(ec);
  if (settings.json) {
    const double rtt_ms = std::chrono::duration<double, std::milli>(answered - first_send).count();
    print_json({
        {"server", to_text(*server)},
        {"local_address", ec ? std::string{} : to_text(local_now)},
        {"mapped_address", mapped.to_string()},
        {"ip", mapped.ip_string()},
        {"port", mapped.port},
        {"family", mapped.family == stun::address_family::ipv4 ? "ipv4" : "ipv6"},
        {"xor_mapped", !tx.mapped_address_legacy()},
        {"server_software", tx.server_software()},
        {"transmissions", tx.transmissions()},
        {"elapsed_ms", rtt_ms},
    });
  } else {
    std::cout << mapped.to_string() << "\n";
  }
  return 0;
}

} // namespace tern::tools
