// tern-cp: copy files and directories over tern.
//   tern-cp serve [--bind ADDR] [--port N] [--once] [--require-retry] [--overwrite] [--stream-timeout S]
//                 [--identity FILE] [--refusal-lines N] [--authorized-keys FILE | --accept-any-client] DIR
//   tern-cp send [--fingerprint FP | --insecure] [--identity FILE] [--resume] [--retries N] [--no-early-data]
//                [--parallel N] [--rate-limit B/s] HOST PORT SOURCE...
//   tern-cp id [--server] [--identity FILE]
// Both ends prove a lasting key, as with ssh: the server's is pinned by its
// clients (--fingerprint, or trust on first use in known_hosts), a client's
// must be listed in the server's authorized_keys, which the TLS handshake
// itself checks (the file re-read when it changed), so a refused host never
// gets to send a byte of a file; refusals are logged, rate-limited.
// Keys live in ~/.config/tern (docs/tern-cp.md, "Authentication").
#include "authorized_keys.hpp"
#include "cli_exit.hpp"
#include "config_dir.hpp"
#include "identity.hpp"
#include "known_hosts.hpp"
#include "peer_text.hpp"
#include "refusal_log.hpp"
#include "send_session.hpp"
#include "server_trust.hpp"
#include "transfer.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <unistd.h>

namespace {

namespace ip = asio::ip;

tern::congestion_controller parse_cc(const std::string& s) {
  if (s == "cubic") return tern::congestion_controller::cubic;
  if (s == "newreno") return tern::congestion_controller::new_reno;
  return tern::congestion_controller::bbr;
}

std::vector<tern::cipher> parse_cipher(const std::string& s) {
  if (s == "chacha20") return {tern::cipher::chacha20_poly1305};
  if (s == "aes128") return {tern::cipher::aes_128_gcm};
  return {tern::cipher::aes_128_gcm, tern::cipher::chacha20_poly1305};
}

// The identity in `path`, created on first use; nullopt (after saying why)
// when it cannot be used.
std::optional<tern_cp::identity> load_identity(const std::string& path, const std::string& common_name) {
  std::string error;
  auto id = tern_cp::load_or_create_identity(path, common_name, error);
  if (!id) std::cerr << "tern-cp: " << error << "\n";
  return id;
}

// Fixed decimals, as the --json fields have always had: scripts read them
// with sed and a shortest-round-trip double could come out as 1e-05.
double rounded(double v, double scale) { return std::round(v * scale) / scale; }

} // namespace

int main(int argc, char** argv) try {
  CLI::App app{"tern-cp: copy files over tern"};
  app.require_subcommand(1);
  app.fallthrough(); // global options may follow the subcommand too
  std::string cc = "bbr", cipher = "any";
  double idle_seconds = 10;
  app.add_option("--cc", cc, "congestion controller")->check(CLI::IsMember({"bbr", "cubic", "newreno"}));
  app.add_option("--cipher", cipher, "AEAD cipher")->check(CLI::IsMember({"any", "aes128", "chacha20"}));
  app.add_option("--idle-timeout", idle_seconds, "seconds without hearing the peer before giving up")
      ->check(CLI::Range(0.5, 3600.0));
  std::string qlog_dir;
  app.add_option("--qlog", qlog_dir, "write a qlog trace of each connection into DIR (docs/observability.md)")
      ->check(CLI::ExistingDirectory);

  auto* serve = app.add_subcommand("serve", "receive files into DIR");
  std::string bind = "::", dir;
  unsigned short port = 0;
  bool once = false, require_retry = false;
  tern_cp::receive_options ro;
  serve->add_option("--bind", bind, "local address");
  serve->add_option("--port,-p", port, "UDP port (0: any)");
  serve->add_flag("--once", once, "exit after the first connection ends");
  serve->add_flag("--require-retry", require_retry,
                  "every new client proves its address with a Retry first (one round trip more; "
                  "without it, only under a handshake flood)");
  std::string server_identity = tern_cp::config_dir() + "/server_identity.pem";
  std::string authorized_keys = tern_cp::config_dir() + "/authorized_keys";
  bool accept_any_client = false;
  tern_cp::refusal_log::limits refusal_limits;
  serve->add_option("--identity", server_identity, "the server's key and certificate (created if missing)")
      ->capture_default_str();
  auto* authorized_keys_option =
      serve->add_option("--authorized-keys", authorized_keys, "client fingerprints allowed to send, one per line")
          ->capture_default_str();
  serve->add_flag("--accept-any-client", accept_any_client,
                  "let any client that reaches the port write into DIR (no authorized_keys)")
      ->excludes(authorized_keys_option);
  serve
      ->add_option("--refusal-lines", refusal_limits.lines_per_window,
                   "refused clients logged one by one per second; the rest are counted in one line")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  serve->add_flag("--overwrite", ro.overwrite, "replace existing files (default: refuse them, ERR exists)");
  serve
      ->add_option("--stream-timeout", ro.stream_timeout_seconds,
                   "seconds a file stream may deliver nothing before it is cut off")
      ->check(CLI::Range(0.1, 86400.0));
  serve->add_option("DIR", dir, "destination directory")->required()->check(CLI::ExistingDirectory);

  auto* send = app.add_subcommand("send", "send files or directories");
  std::string host, fingerprint, known_hosts = tern_cp::default_known_hosts_path();
  unsigned short dport = 0;
  bool json = false, insecure = false, no_progress = false;
  tern_cp::send_options so;
  std::vector<std::string> sources;
  unsigned retries = 0;
  send->add_option("--fingerprint", fingerprint, "pin the server's fingerprint (as serve prints it)");
  send->add_option("--known-hosts", known_hosts, "trust-on-first-use file");
  std::string client_identity = tern_cp::config_dir() + "/client_identity.pem";
  send->add_option("--identity", client_identity,
                   "this client's key and certificate (created if missing; the server must list its fingerprint)")
      ->capture_default_str();
  send->add_flag("--insecure", insecure, "accept any server key, record nothing (demos only)");
  send->add_option("--parallel", so.parallel, "files in flight at once")->check(CLI::Range(1, 256));
  send->add_option("--rate-limit", so.rate_limit, "bytes per second (app-level pacing), 0 = none");
  send->add_flag("--resume", so.resume,
                 "continue interrupted transfers from what the receiver kept and verified");
  send->add_option("--retries", retries,
                   "after a lost connection, reconnect up to N times and resume the unconfirmed files")
      ->check(CLI::Range(0, 1000));
  bool no_early_data = false;
  send->add_flag("--no-early-data", no_early_data,
                 "resume requests wait for the handshake instead of going in 0-RTT (one round trip more)");
  send->add_flag("--json", json, "print final stats as JSON");
  send->add_flag("--no-progress", no_progress,
                 "no progress line (there is none unless stderr is a terminal)");
  send->add_option("HOST", host, "server name or address (IPv4 or IPv6)")->required();
  send->add_option("PORT", dport, "server UDP port")->required()->check(CLI::Range(1, 65535));
  send->add_option("SOURCE", sources, "files or directories")->required();

  auto* id = app.add_subcommand("id", "print this client's fingerprint (the line for a server's authorized_keys), "
                                      "creating its identity if needed");
  bool id_server = false;
  std::string id_file;
  id->add_flag("--server", id_server, "the server's fingerprint instead (what its clients pin)");
  id->add_option("--identity", id_file, "the identity file (default: the client's, or the server's with --server)");
  TERN_PARSE_COMMAND_LINE(app, "tern-cp", argc, argv);

  if (id->parsed()) {
    if (id_file.empty()) id_file = id_server ? server_identity : client_identity;
    const auto identity = load_identity(id_file, id_server ? "tern-cp server" : "tern-cp client");
    if (!identity) return 1;
    if (identity->created) std::cerr << "tern-cp: created the identity " << id_file << "\n";
    std::cout << identity->fingerprint << std::endl;
    return 0;
  }

  tern::config cfg;
  cfg.congestion = parse_cc(cc);
  cfg.ciphers = parse_cipher(cipher);
  cfg.idle_timeout = std::chrono::milliseconds(static_cast<long>(idle_seconds * 1000));
  cfg.keepalive_interval = cfg.idle_timeout / 3;
  cfg.qlog_dir = qlog_dir;
  // Servers issue session tickets, senders keep them per host
  // (docs/tern-cp.md, "Resumption").
  cfg.session_tickets = true;
  asio::io_context io;

  if (serve->parsed()) {
    cfg.accept_connections = true;
    // Retries ask about their files in 0-RTT; what the receiver does with
    // early data is only a resume request's answer (receiver.cpp).
    cfg.accept_early_data = true;
    cfg.require_address_validation = require_retry;
    const auto identity = load_identity(server_identity, "tern-cp server");
    if (!identity) return 1;
    if (identity->created)
      std::cerr << "tern-cp: created the server identity " << server_identity << " (fingerprint "
                << identity->fingerprint << ")\n";
    cfg.certificate_chain_pem = identity->pem;
    cfg.private_key_pem = identity->pem;
    // Every client proves a key; which keys may send is decided in the
    // handshake (the pins), or, with --accept-any-client, not at all.
    cfg.client_auth = tern::client_authentication::require;
    std::optional<tern_cp::authorized_keys_file> keys;
    if (accept_any_client) {
      std::cerr << "tern-cp: WARNING: --accept-any-client: any host that reaches this port can write into " << dir
                << "\n";
    } else {
      std::string error;
      keys = tern_cp::authorized_keys_file::open(authorized_keys, error);
      if (!keys) {
        std::cerr << "tern-cp: " << error << "\n"
                  << "tern-cp: serve lets in only the clients listed there: add each client's fingerprint (run "
                     "`tern-cp id` on the client) to "
                  << authorized_keys << ", one per line, or pass --accept-any-client to let anyone write into "
                  << dir << "\n";
        return 1;
      }
      // Asked at each new handshake, so the file's edits apply without a restart.
      cfg.client_key_check = [&keys](std::string_view client) { return keys->allows(client, std::cerr); };
    }
    // Refused handshakes, one line each up to --refusal-lines a second; the
    // rest summed up when the second ends.
    tern_cp::refusal_log refusals(refusal_limits);
    asio::steady_timer summary_timer(io);
    std::optional<tern_cp::refusal_log::clock::time_point> summary_armed;
    cfg.on_client_refused = [&](const tern::refused_client& r) {
      for (const auto& line : refusals.refused(r, tern_cp::refusal_log::clock::now())) std::cerr << line << "\n";
      const auto due = refusals.summary_due();
      if (!due || due == summary_armed) return;
      summary_armed = due;
      summary_timer.expires_at(*due);
      summary_timer.async_wait([&](std::error_code ec) {
        if (ec) return;
        summary_armed.reset();
        if (auto line = refusals.flush(tern_cp::refusal_log::clock::now())) std::cerr << *line << "\n";
      });
    };
    tern::endpoint ep(io.get_executor(), {ip::make_address(bind), port}, cfg);
    std::cout << "port " << ep.local_endpoint().port() << "\nfingerprint " << ep.fingerprint() << std::endl;
    std::exception_ptr error;
    tern_cp::serve_summary served;
    ro.directory = dir;
    ro.once = once;
    asio::co_spawn(io, tern_cp::serve(ep, ro), [&](std::exception_ptr e, tern_cp::serve_summary s) {
      error = e;
      served = s;
      io.stop(); // serve ended (--once, or the directory could not be opened)
    });
    io.run();
    if (error) std::rethrow_exception(error);
    if (served.refused > 0) {
      std::cerr << "tern-cp: " << served.refused << " file(s) refused, " << served.received << " received\n";
      return 1;
    }
    return 0;
  }

  so.progress = !no_progress && !json && ::isatty(STDERR_FILENO) == 1;
  // HOST as typed (a name or an address) is what known_hosts records; the
  // connection goes to the first address it resolves to, IPv4 or IPv6.
  std::error_code resolve_error;
  ip::udp::resolver resolver(io);
  const auto addresses = resolver.resolve(host, std::to_string(dport), resolve_error);
  if (resolve_error || addresses.empty()) {
    std::cerr << "tern-cp: cannot resolve " << host << ": "
              << (resolve_error ? resolve_error.message() : std::string("no address")) << "\n";
    return 1;
  }
  const ip::udp::endpoint server = addresses.begin()->endpoint();
  const std::string host_key = host + ":" + std::to_string(dport);
  std::string refusal;
  const auto plan =
      tern_cp::plan_trust(fingerprint, insecure, tern_cp::lookup_known_host(known_hosts, host_key), refusal);
  if (!plan) {
    std::cerr << "tern-cp: " << refusal << "\n";
    return 1;
  }
  const auto identity = load_identity(client_identity, "tern-cp client");
  if (!identity) return 1;
  if (identity->created)
    std::cerr << "tern-cp: created this client's identity " << client_identity << "; the server's authorized_keys "
              << "must list its fingerprint " << identity->fingerprint << "\n";
  cfg.certificate_chain_pem = identity->pem;
  cfg.private_key_pem = identity->pem;
  std::vector<std::string> unreadable;
  so.files = tern_cp::collect_sources(sources, unreadable);
  const std::size_t file_count = so.files.size() + unreadable.size();
  tern_cp::session_options session{server, host_key, *plan, known_hosts, identity->fingerprint, std::move(so),
                                    retries, !no_early_data};
  tern::endpoint ep(io.get_executor(), {server.address().is_v4() ? ip::udp::v4() : ip::udp::v6(), 0}, cfg);
  int status = 1;
  auto run = [&]() -> asio::awaitable<void> {
    const tern_cp::session_result r = co_await tern_cp::run_send_session(ep, std::move(session), std::cerr);
    ep.close();
    if (!r.error.empty()) {
      std::cerr << "tern-cp: " << r.error << "\n";
      co_return;
    }
    const tern_cp::send_summary& sum = r.summary;
    // Reasons are the receiver's text and names may hold anything: escaped
    // for the terminal and for --json alike.
    std::vector<std::string> failures;
    for (const auto& u : unreadable) failures.push_back(tern_cp::escape_peer_text(u));
    for (const auto& f : sum.failures)
      failures.push_back(tern_cp::escape_peer_text(f.file.relative + ": " + f.reason));
    for (const auto& f : failures) std::cerr << "tern-cp: FAILED " << f << "\n";
    const double mbps = sum.seconds > 0 ? double(sum.bytes) * 8 / sum.seconds / 1e6 : 0;
    const auto& stats = r.stats;
    if (json) {
      // Ordered: the keys stay in the order scripts and people have seen.
      const nlohmann::ordered_json out = {
          {"files", file_count},
          {"confirmed", sum.confirmed},
          {"bytes", sum.bytes},
          {"resumed_bytes", sum.resumed_bytes},
          {"seconds", rounded(sum.seconds, 1e3)},
          {"mbit_per_s", rounded(mbps, 1e2)},
          {"attempts", r.attempts},
          {"session_resumed", r.resumed},
          {"early_data_accepted", r.early_data_accepted},
          {"srtt_ms", rounded(std::chrono::duration<double, std::milli>(stats.srtt).count(), 1e2)},
          {"packets_sent", stats.packets_sent},
          {"packets_lost", stats.packets_lost},
          {"path_changes", stats.path_changes},
          {"failures", failures},
      };
      // File names need not be UTF-8: replace what is not rather than throw.
      std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    } else {
      std::fprintf(stderr, "tern-cp: %zu/%zu files confirmed, %llu bytes in %.2f s (%.1f Mbit/s)",
                   sum.confirmed, file_count, static_cast<unsigned long long>(sum.bytes), sum.seconds, mbps);
      if (sum.resumed_bytes > 0)
        std::fprintf(stderr, ", %llu bytes the receiver already had",
                     static_cast<unsigned long long>(sum.resumed_bytes));
      if (r.attempts > 1) std::fprintf(stderr, ", %u connections", r.attempts);
      std::fprintf(stderr, "\n");
    }
    status = (file_count > 0 && sum.confirmed == file_count) ? 0 : 1;
  };
  std::exception_ptr error;
  asio::co_spawn(io, run(), [&](std::exception_ptr e) { error = e; });
  io.run();
  if (error) std::rethrow_exception(error);
  return status;
} catch (const std::exception& e) {
  std::cerr << "tern-cp: " << e.what() << "\n";
  return 1;
}
