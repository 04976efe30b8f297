#pragma once

// `tern-cp send` from connecting to the last file's result: connects,
// authenticates the server (server_trust.hpp), sends every file
// (send_all), and with `retries` reconnects after a lost connection and
// resumes the files not yet confirmed from what the receiver kept.

#include "server_trust.hpp"
#include "transfer.hpp"

#include <tern/tern.hpp>

#include <asio/awaitable.hpp>

#include <iosfwd>
#include <string>

namespace tern_cp {

struct session_options {
  asio::ip::udp::endpoint server;
  std::string host_key;    ///< "HOST:PORT", as known_hosts records it
  trust_plan trust;        ///< from plan_trust
  std::string known_hosts; ///< the known-hosts file
  /// This client's key (its identity's fingerprint), named when the server
  /// refuses it so the user knows what to have added to authorized_keys.
  std::string client_fingerprint;
  send_options send;       ///< the files and how to send them
  /// Reconnections allowed after the connection was lost (the peer or the
  /// path vanished) or the receiver still held an interrupted transfer.
  unsigned retries = 0;
  /// Resume requests may go as early data (0-RTT) on a connection whose
  /// server key is pinned in the handshake and which holds a ticket: every
  /// retry, and a --resume first attempt with --fingerprint. false
  /// (--no-early-data): they wait for the handshake, one round trip more.
  bool early_data = true;
};

struct session_result {
  send_summary summary;         ///< over all attempts; failures: of the last one
  tern::connection_stats stats; ///< of the last connection
  unsigned attempts = 0;        ///< connections tried
  bool resumed = false;         ///< some connection resumed a kept session ticket
  /// Some retry's resume requests went as early data (0-RTT) and the server
  /// took them.
  bool early_data_accepted = false;
  /// Why nothing could be sent at all (connect failed, the server's key
  /// refused, this client's key refused by the server); empty once a
  /// connection was authenticated.
  std::string error;
};

/// Runs the session on `ep` (a client endpoint). Notes (trust on first use,
/// each retry) go to `notes`.
asio::awaitable<session_result> run_send_session(tern::endpoint& ep, session_options options,
                                                 std::ostream& notes);

} // namespace tern_cp
