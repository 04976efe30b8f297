// The retry loop of `tern-cp send`. Every attempt after the first resumes
// (a resumed file whose receiver kept nothing starts at 0, so resuming is
// never wrong) and sends only the files the previous attempts did not get
// confirmed. An attempt is worth repeating when its connection ended under
// it, or when the receiver refused a file as busy: the receiver's side of
// the lost connection may still hold that file's partial until its own
// idle timeout ends it.
#include "send_session.hpp"

#include "session_tickets.hpp"

#include "crypto/crypto_error.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <ostream>

namespace tern_cp {
namespace {

using asio::use_awaitable;
constexpr auto tuple = asio::experimental::as_tuple(use_awaitable);

bool refused_as_busy(const unconfirmed_file& f) {
  // partial_file.cpp's reason, as the sender reports a refusal.
  return f.reason.starts_with("receiver refused: busy:");
}

// Before retry `n` (1-based): 1, 2, 4, then 5 s.
std::chrono::seconds retry_delay(unsigned n) {
  return std::chrono::seconds(std::min(5U, 1U << std::min(n - 1, 3U)));
}

// The server refused this client's key in the handshake: not worth a
// retry, it will refuse it until its owner lists it.
bool refused_this_client(std::error_code ec) {
  return ec == tern::crypto::crypto_errc::peer_rejected_certificate ||
         ec == tern::crypto::crypto_errc::peer_requires_certificate;
}

std::string refusal_of(const session_options& o) {
  return "the server refused this client's key " + o.client_fingerprint +
         "; ask its owner to add it to authorized_keys";
}

std::string connect_error(const session_options& o, std::error_code ec) {
  std::string why = "cannot connect to " + o.host_key + ": " + ec.message();
  if (o.trust.mode == trust_mode::pinned)
    why += " (if the handshake was refused, the server's key is not " + o.trust.expected + ")";
  return why;
}

void add_attempt(send_summary& total, send_summary attempt) {
  total.confirmed += attempt.confirmed;
  total.bytes += attempt.bytes;
  total.resumed_bytes += attempt.resumed_bytes;
  total.seconds += attempt.seconds;
  total.failures = std::move(attempt.failures);
}

} // namespace

asio::awaitable<session_result> run_send_session(tern::endpoint& ep, session_options o, std::ostream& notes) {
  session_result result;
  bool authenticated = false;
  std::string last_error;
  // The host's kept ticket resumes the first attempt, each connection's
  // fresh one the next (docs/tern-cp.md, "Resumption").
  const std::string tickets = tickets_dir(o.known_hosts);
  std::vector<std::byte> ticket = load_ticket(tickets, o.host_key);
  for (unsigned attempt = 0; attempt <= o.retries; ++attempt) {
    if (attempt > 0) {
      const auto delay = retry_delay(attempt);
      notes << "tern-cp: " << last_error << "; retry " << attempt << " of " << o.retries << " in "
            << delay.count() << " s" << std::endl;
      asio::steady_timer t(co_await asio::this_coro::executor, delay);
      co_await t.async_wait(tuple);
    }
    ++result.attempts;
    tern::connect_options co;
    if (o.trust.mode == trust_mode::pinned)
      co.pinned_fingerprints = {o.trust.expected};
    else
      co.accept_any_server_key = true; // judged by check_server_key before anything is sent
    co.session_ticket = ticket;
    // A retry reaches the server whose key the first attempt judged, as
    // does a first attempt that pins the key in the handshake; either asks
    // about its files with resume requests, which are safe to replay: they
    // go in the first flight (sender.cpp, send_file). A first attempt that
    // accepts any key and judges it afterwards sends nothing early: a
    // refused ticket's early data would be resent to whoever answered
    // before that judgement.
    // Only resume requests ever go early, so a run without them waits for
    // the handshake as before.
    co.early_data = o.early_data && o.send.resume && (authenticated || o.trust.mode == trust_mode::pinned);
    auto [ec, c] = co_await ep.async_connect(o.server, co, tuple);
    if (ec) {
      if (refused_this_client(ec)) {
        result.error = refusal_of(o);
        co_return result;
      }
      last_error = connect_error(o, ec);
      continue;
    }
    // An early connection (a pinned first attempt) is handed over before
    // its handshake: the pin is checked by the handshake itself, so its key
    // is judged (recorded in known_hosts) once the files are through.
    if (!authenticated && c.handshake_complete()) {
      if (const std::string why =
              check_server_key(o.trust, o.host_key, c.peer_fingerprint(), o.known_hosts, notes);
          !why.empty()) {
        c.close(1, "server key refused");
        result.error = why;
        co_return result;
      }
      // Later attempts must reach this very server: its key is pinned in
      // the handshake from now on, whatever the first attempt's mode.
      authenticated = true;
      o.trust = {trust_mode::pinned, c.peer_fingerprint()};
    }
    send_summary sent = co_await send_all(c, o.send);
    if (!authenticated) {
      if (!c.handshake_complete()) {
        // The early connection's handshake failed: as a failed connect.
        const std::error_code why = c.close_error();
        c.close(0, "handshake failed");
        if (refused_this_client(why)) {
          result.error = refusal_of(o);
          co_return result;
        }
        last_error = connect_error(o, why);
        continue;
      }
      if (const std::string why =
              check_server_key(o.trust, o.host_key, c.peer_fingerprint(), o.known_hosts, notes);
          !why.empty())
        notes << "tern-cp: " << why << std::endl; // pinned: only a note (known_hosts unwritable)
      authenticated = true;
    }
    result.stats = c.stats();
    result.resumed = result.resumed || c.resumed();
    // Kept only once the server's key was judged: a ticket binds that key.
    if (auto fresh = c.session_ticket(); !fresh.empty()) {
      ticket = std::move(fresh);
      if (!store_ticket(tickets, o.host_key, ticket))
        notes << "tern-cp: warning: could not keep a session ticket in " << tickets << std::endl;
    }
    result.early_data_accepted = result.early_data_accepted || c.early_data_accepted();
    const bool lost = !c.is_open();
    if (lost)
      last_error = "connection lost: " + c.close_error().message();
    else if (std::any_of(sent.failures.begin(), sent.failures.end(), refused_as_busy))
      last_error = "the receiver still holds an interrupted transfer";
    else
      last_error.clear();
    c.close(0, "done");
    const bool worth_retrying = !sent.failures.empty() && !last_error.empty();
    if (sent.failures.empty()) last_error.clear(); // lost only after the last confirmation
    o.send.files.clear();
    for (const auto& f : sent.failures) o.send.files.push_back(f.file);
    o.send.resume = true;
    add_attempt(result.summary, std::move(sent));
    if (!worth_retrying) break;
  }
  if (!last_error.empty()) {
    if (authenticated)
      notes << "tern-cp: " << last_error << (o.retries > 0 ? ", no retries left" : "") << std::endl;
    else
      result.error = last_error;
  }
  co_return result;
}

} // namespace tern_cp
