#pragma once

// Where tern-cp keeps its files by default: identities, authorized_keys,
// known_hosts.

#include <string>

namespace tern_cp {

/// $XDG_CONFIG_HOME/tern when that is set and absolute (the XDG base
/// directory rule: a relative value is ignored), else $HOME/.config/tern
/// ("./.config/tern" without HOME).
std::string config_dir();

} // namespace tern_cp
