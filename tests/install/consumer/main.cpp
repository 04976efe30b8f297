// A minimal program built against an installed tern; exits 0 when the
// library it linked reports the version its headers declare.
#include <tern/version.hpp>

#include <cstdio>

int main() {
  if (tern::version() != TERN_VERSION_STRING) {
    std::fprintf(stderr, "header/library version mismatch\n");
    return 1;
  }
  std::printf("tern %s\n", TERN_VERSION_STRING);
  return 0;
}
