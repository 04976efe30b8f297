#include "server_trust.hpp"

#include "known_hosts.hpp"

#include <ostream>

namespace tern_cp {

std::optional<trust_plan> plan_trust(const std::string& given_fingerprint, bool insecure,
                                     const std::optional<std::string>& recorded, std::string& refusal) {
  if (insecure && !given_fingerprint.empty()) {
    refusal = "--insecure and --fingerprint contradict each other; pass one";
    return std::nullopt;
  }
  if (insecure) return trust_plan{trust_mode::insecure, {}};
  if (!given_fingerprint.empty()) {
    if (recorded && *recorded != given_fingerprint) {
      refusal = "the fingerprint given (" + given_fingerprint + ") differs from the one recorded (" +
                *recorded +
                "); refusing. Remove the server's line from the known-hosts file if its key really changed.";
      return std::nullopt;
    }
    return trust_plan{trust_mode::pinned, given_fingerprint};
  }
  if (recorded) return trust_plan{trust_mode::recorded, *recorded};
  return trust_plan{trust_mode::first_use, {}};
}

std::string check_server_key(const trust_plan& plan, const std::string& host,
                             const std::string& server_fingerprint, const std::string& known_hosts,
                             std::ostream& notes) {
  switch (plan.mode) {
  case trust_mode::insecure:
    notes << "tern-cp: WARNING: --insecure: the server's key was not checked (it is " << server_fingerprint
          << "); anyone on the path could be reading this transfer. For demos only.\n";
    return {};
  case trust_mode::recorded:
    if (server_fingerprint == plan.expected) return {};
    return "@@@ WARNING: THE KEY OF " + host + " HAS CHANGED @@@\n" + "tern-cp: recorded in " + known_hosts +
           ": " + plan.expected + "\n" + "tern-cp: presented now: " + server_fingerprint + "\n" +
           "tern-cp: someone may be impersonating the server; nothing was sent. If the change is legitimate, "
           "remove its line from " +
           known_hosts + ".";
  case trust_mode::pinned:
  case trust_mode::first_use:
    // pinned: the handshake already matched the pin; the record is new only
    // when there was none (plan_trust refused a contradicting one).
    if (lookup_known_host(known_hosts, host)) return {};
    if (!record_known_host(known_hosts, host, server_fingerprint))
      notes << "tern-cp: warning: could not record " << host << " in " << known_hosts << "\n";
    else if (plan.mode == trust_mode::first_use)
      notes << "tern-cp: first contact with " << host << ": trusting its key, fingerprint "
            << server_fingerprint << " (recorded in " << known_hosts
            << "; compare it with what `tern-cp serve` printed)\n";
    else
      notes << "tern-cp: recorded " << host << " " << server_fingerprint << " in " << known_hosts << "\n";
    return {};
  }
  return "unknown trust mode";
}

} // namespace tern_cp
