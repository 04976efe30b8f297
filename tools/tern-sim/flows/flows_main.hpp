#pragma once

namespace tern::flowsim {

/// tern-sim flows [options]: runs flows scenarios over seeds and prints one
/// JSON line per seed. Exit 0, 1 when --check-* bounds fail, 2 on usage.
int flows_main(int argc, char** argv);

} // namespace tern::flowsim
