// tern-stun serve: a stand-alone STUN Binding server (RFC 8489 §13) around
// src/stun/binding_responder. One socket per --listen address, each with a
// receive loop; replies go back from the socket the request arrived on.
#include "commands.hpp"
#include "endpoint_text.hpp"

#include "stun/binding_responder.hpp"

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/signal_set.hpp>

#include <array>
#include <csignal>
#include <iostream>
#include <list>

namespace tern::tools {

namespace {

class listener {
public:
  listener(asio::io_context& io, const stun::binding_responder& responder, bool verbose)
      : socket_(io), responder_(responder), verbose_(verbose) {}

  std::error_code open(const asio::ip::udp::endpoint& at) {
    std::error_code ec;
    socket_.open(at.protocol(), ec);
    if (!ec) socket_.bind(at, ec);
    return ec;
  }
  asio::ip::udp::endpoint local() const {
    std::error_code ec;
    return socket_.local_endpoint(ec);
  }

  void receive() {
    socket_.async_receive_from(asio::buffer(in_.data(), in_.size()), from_,
                               [this](std::error_code ec, std::size_t n) {
                                 if (ec == asio::error::operation_aborted) return;
                                 if (!ec) handle(n);
                                 // Errors such as ECONNREFUSED from an earlier reply's ICMP are not
                                 // fatal for a server: keep receiving.
                                 receive();
                               });
  }

private:
  void handle(std::size_t n) {
    const auto source = to_transport(from_);
    const auto result = responder_.handle(std::span{in_.data(), n}, source, out_);
    if (verbose_) {
      std::clog << source.to_string() << ": ";
      switch (result.what) {
      case stun::responder_result::action::reply:
        std::clog << (result.error_code == 0 ? std::string("success")
                                             : "error " + std::to_string(result.error_code));
        break;
      case stun::responder_result::action::ignore:
        std::clog << "ignored (not a request)";
        break;
      case stun::responder_result::action::discard:
        std::clog << "dropped: " << result.reason.message();
        break;
      }
      std::clog << "\n";
    }
    if (result.what != stun::responder_result::action::reply) return;
    std::error_code ec;
    // Synchronous send: a UDP send does not block for long, and a reply that
    // cannot be sent right now is a lost packet the client retransmits for.
    socket_.send_to(asio::buffer(result.reply.data(), result.reply.size()), from_, 0, ec);
  }

  asio::ip::udp::socket socket_;
  const stun::binding_responder& responder_;
  bool verbose_;
  asio::ip::udp::endpoint from_;
  std::array<std::byte, 2048> in_{};
  std::array<std::byte, 1500> out_{};
};

} // namespace

int run_serve(const serve_settings& settings) {
  asio::io_context io;
  stun::responder_options options;
  options.software = settings.software;
  options.fingerprint = settings.fingerprint;
  options.accept_rfc3489 = settings.rfc3489;
  const stun::binding_responder responder{options};

  std::list<listener> listeners; // stable addresses for the handlers
  for (const auto& text : settings.listen) {
    std::string error;
    const auto at = parse_numeric(text, error);
    if (!at) {
      std::cerr << "tern-stun: " << error << "\n";
      return 2;
    }
    auto& l = listeners.emplace_back(io, responder, settings.verbose);
    if (const auto ec = l.open(*at)) {
      std::cerr << "tern-stun: cannot listen on " << to_text(*at) << ": " << ec.message() << "\n";
      return 2;
    }
  }
  for (auto& l : listeners) {
    std::cout << "listening on " << to_text(l.local()) << std::endl;
    l.receive();
  }

  asio::signal_set signals{io, SIGINT, SIGTERM};
  signals.async_wait([&](std::error_code ec, int) {
    if (!ec) io.stop();
  });
  io.run();
  return 0;
}

} // namespace tern::tools
