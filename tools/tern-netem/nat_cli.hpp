#pragma once

// The command line of tern-netem's NAT mode (docs/nat.md):
//
//   tern-netem --nat apdf|adf|eif --remote HOST:PORT [--remote ...]
//              [--outside HOST:PORT] [--alias-host HOST] [--mapping-timeout 30s]
//              [--duration TIME] [--stats-json]
//
// Prints "outside HOST:PORT", then "remote HOST:PORT via HOST:PORT" per
// remote (the inside alias to send to), then "ready".

namespace tern::netem {

/// Whether the arguments ask for the NAT mode (--nat among them).
bool nat_mode_requested(int argc, char** argv);
/// Runs the NAT mode; returns the exit status (2 on bad arguments).
int nat_main(int argc, char** argv);

} // namespace tern::netem
