#pragma once

// How `tern-cp send` decides whether the server's key is the right one,
// ssh-style, in one of four modes:
//   pinned     --fingerprint FP: the handshake itself checks FP (the library
//              pins it); recorded in known_hosts the first time;
//   recorded   known_hosts has the server: its key must be that one exactly,
//              else a loud refusal before any file is sent;
//   first_use  no record, no --fingerprint: the key is accepted, printed and
//              recorded (trust on first use);
//   insecure   --insecure: any key, nothing recorded, a warning each time.

#include <iosfwd>
#include <optional>
#include <string>

namespace tern_cp {

enum class trust_mode { pinned, recorded, first_use, insecure };

struct trust_plan {
  trust_mode mode = trust_mode::first_use;
  std::string expected; ///< pinned: as given; recorded: as recorded
};

/// Chooses the mode. Returns nullopt with `refusal` set when the flags
/// contradict the record (a --fingerprint other than the recorded one) or
/// each other (--insecure with --fingerprint).
std::optional<trust_plan> plan_trust(const std::string& given_fingerprint, bool insecure,
                                     const std::optional<std::string>& recorded, std::string& refusal);

/// After the handshake, with the key the server proved it holds: "" when
/// the transfer may go on, otherwise the refusal to print. Records the key
/// in `known_hosts` for pinned and first_use (first contact) and says so on
/// `notes`; warns on `notes` in insecure mode.
std::string check_server_key(const trust_plan& plan, const std::string& host,
                             const std::string& server_fingerprint, const std::string& known_hosts,
                             std::ostream& notes);

} // namespace tern_cp
