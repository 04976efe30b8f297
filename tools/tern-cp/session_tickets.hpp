#pragma once

// `tern-cp send` keeps the session ticket of each server it sent to, next
// to known_hosts (docs/tern-cp.md, "Resumption"): the next send to that
// host resumes (no certificate signed or checked, a fresh key exchange).
// A ticket is a secret (whoever holds it resumes as this client until it
// expires): the directory is created 0700, each file 0600, and nothing
// prints a ticket.

#include <cstddef>
#include <string>
#include <vector>

namespace tern_cp {

/// The directory of `known_hosts`'s tickets: "<its directory>/tickets".
std::string tickets_dir(const std::string& known_hosts);

/// The ticket kept for `host_key` ("HOST:PORT"), empty if none (or the file
/// is unreadable or larger than a ticket can be).
std::vector<std::byte> load_ticket(const std::string& dir, const std::string& host_key);

/// Replaces the ticket kept for `host_key` (written to a 0600 temporary
/// file, then renamed). False if it could not be written.
bool store_ticket(const std::string& dir, const std::string& host_key, const std::vector<std::byte>& ticket);

} // namespace tern_cp
