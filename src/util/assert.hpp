#pragma once

// TERN_ASSERT checks an internal invariant. It is live in debug builds and in
// sanitizer builds (TERN_ENABLE_ASSERTS), and compiles to nothing otherwise.
// It is never used to validate network input: bad input is an error code.

#if !defined(NDEBUG) || defined(TERN_ENABLE_ASSERTS)
#define TERN_ASSERTS_ENABLED 1
#else
#define TERN_ASSERTS_ENABLED 0
#endif

namespace tern::detail {
[[noreturn]] void assertion_failed(const char* expr, const char* file, int line) noexcept;
} // namespace tern::detail

#if TERN_ASSERTS_ENABLED
#define TERN_ASSERT(expr)                                                                          \
  ((expr) ? static_cast<void>(0) : ::tern::detail::assertion_failed(#expr, __FILE__, __LINE__))
#else
#define TERN_ASSERT(expr) static_cast<void>(sizeof(expr))
#endif
