#pragma once

// The clients `tern-cp serve` lets in, ssh-style: an authorized-keys file
// (default config_dir()/authorized_keys) with one client fingerprint per
// line, as `tern-cp id` prints it on the client, optionally followed by a
// comment naming the client; lines starting with '#' and blank lines are
// skipped:
//
//   # laptop and build server
//   3F:1A:...:9C  alice@laptop
//   sha-256 0E:77:...:D2 ci
//
// The fingerprints become the server's client pins, checked in the TLS
// handshake (tern::config::pinned_client_fingerprints): a client whose key
// is not listed never gets a connection.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace tern_cp {

/// Keys one file may list: a bound on what serve pins, far above any real
/// list (the handshake compares each).
inline constexpr std::size_t max_authorized_keys = 10000;

/// The fingerprints of `path`, normalised as tern prints them. Returns
/// nullopt with `error` set, naming the file (and line), when the file is
/// missing or unreadable, writable by group or others (anyone who can add a
/// line can let himself in), lists more than max_authorized_keys, has a line
/// that does not start with a fingerprint, or lists no key at all (an empty
/// list would mean "anyone": that is --accept-any-client's job).
std::optional<std::vector<std::string>> load_authorized_keys(const std::string& path, std::string& error);

} // namespace tern_cp
