#pragma once

// Trust on first use: "host:port fingerprint" lines in a known-hosts file
// ($TERN_KNOWN_HOSTS, else known_hosts in config_dir(): ~/.config/tern).

#include <optional>
#include <string>

namespace tern_cp {

std::string default_known_hosts_path();
/// The fingerprint recorded for `host`, if any.
std::optional<std::string> lookup_known_host(const std::string& file, const std::string& host);
/// Appends `host fingerprint`, creating the file and its directory; false on failure.
bool record_known_host(const std::string& file, const std::string& host, const std::string& fingerprint);

} // namespace tern_cp
