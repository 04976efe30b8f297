#include "util/assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace tern::detail {

void assertion_failed(const char* expr, const char* file, int line) noexcept {
  std::fprintf(stderr, "tern: assertion failed: %s (%s:%d)\n", expr, file, line);
  std::abort();
}

} // namespace tern::detail
