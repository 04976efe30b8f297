// tern-stun: query a STUN server for this host's server-reflexive address,
// or run a small STUN Binding server.
//
//   tern-stun query HOST:PORT [--json] [--timeout SECONDS]
//   tern-stun serve --listen ADDR:PORT [--listen ADDR:PORT ...]
#include "commands.hpp"

#include "cli_exit.hpp"

#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>

int main(int argc, char** argv) {
  CLI::App app{"tern-stun: STUN (RFC 8489) Binding client and server"};
  app.require_subcommand(1);

  tern::tools::query_settings q;
  double timeout_s = 10.0;
  unsigned rto_ms = 500;
  auto* query =
      app.add_subcommand("query", "ask a STUN server for this host's mapped (server-reflexive) address");
  query->add_option("server", q.server, "STUN server as HOST:PORT ([v6]:PORT for IPv6)")->required();
  query->add_flag("--json", q.json, "print the result as one JSON object");
  query->add_option("--timeout", timeout_s, "give up after this many seconds (default 10)")
      ->check(CLI::PositiveNumber);
  query->add_option("--bind", q.bind, "local ADDR:PORT to send from (default: any, ephemeral port)");
  query->add_option("--rto", rto_ms, "initial retransmission timeout in ms (default 500)")
      ->check(CLI::Range(1U, 60000U));
  query->add_option("--rc", q.rc, "requests to send before giving up (default 7)")
      ->check(CLI::Range(1U, 64U));
  query->add_option("--rm", q.rm, "final wait, in initial RTOs, after the last request (default 16)")
      ->check(CLI::Range(1U, 64U));
  query->add_option("--software", q.software, "SOFTWARE attribute to send (empty for none)");
  bool no_fingerprint = false;
  query->add_flag("--no-fingerprint", no_fingerprint, "do not add FINGERPRINT to the request");
  bool classic = false;
  query->add_flag("--rfc3489", classic,
                  "send a request without attributes (RFC 8489 §12.1), for servers that predate RFC 5389");
  bool v4 = false, v6 = false;
  query->add_flag("-4", v4, "use IPv4 only");
  query->add_flag("-6", v6, "use IPv6 only");

  tern::tools::serve_settings s;
  auto* serve = app.add_subcommand("serve", "run a STUN Binding server");
  serve->add_option("--listen", s.listen, "ADDR:PORT to listen on (repeatable; port 0 picks a free port)")
      ->required();
  serve->add_option("--software", s.software, "SOFTWARE attribute in responses (empty for none)");
  bool serve_no_fingerprint = false;
  serve->add_flag("--no-fingerprint", serve_no_fingerprint, "do not add FINGERPRINT to responses");
  bool no_rfc3489 = false;
  serve->add_flag("--no-rfc3489", no_rfc3489, "drop requests without the magic cookie (RFC 3489 clients)");
  serve->add_flag("-v,--verbose", s.verbose, "log every datagram to stderr");

  TERN_PARSE_COMMAND_LINE(app, "tern-stun", argc, argv);

  try {
    if (*query) {
      if (v4 && v6) {
        return tern::tools::usage_error("tern-stun", "-4 and -6 exclude each other");
      }
      q.family = v4 ? 4 : v6 ? 6 : 0;
      q.fingerprint = !no_fingerprint && !classic;
      if (classic) q.software.clear();
      q.timeout = std::chrono::milliseconds{static_cast<long long>(std::ceil(timeout_s * 1000.0))};
      q.rto = std::chrono::milliseconds{rto_ms};
      return tern::tools::run_query(q);
    }
    s.fingerprint = !serve_no_fingerprint;
    s.rfc3489 = !no_rfc3489;
    return tern::tools::run_serve(s);
  } catch (const std::exception& e) {
    std::cerr << "tern-stun: " << e.what() << "\n";
    return 2;
  }
}
