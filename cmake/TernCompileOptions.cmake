# Warning and sanitizer flags shared by every tern target.
add_library(tern_compile_options INTERFACE)
target_compile_options(tern_compile_options INTERFACE
  $<$<CXX_COMPILER_ID:GNU,Clang>:-Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion>)

if(TERN_SANITIZE)
  # Applied globally so the tests, tools and the library agree on the runtime.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  # TERN_ASSERT stays live in sanitizer builds even when NDEBUG is set.
  add_compile_definitions(TERN_ENABLE_ASSERTS=1)
endif()

# Libraries and executables call this to get tern's warnings.
function(tern_target_defaults target)
  target_link_libraries(${target} PRIVATE $<BUILD_INTERFACE:tern_compile_options>)
endfunction()

if(TERN_BUILD_FUZZ)
  # Coverage instrumentation everywhere; the fuzzer runtime and main are linked
  # only into the fuzz targets (tern_add_fuzzer in tests/fuzz).
  # -fno-sanitize-recover: an undefined-behaviour report stops the run and
  # libFuzzer keeps the input, as for an ASan report.
  # Without ASan (TERN_FUZZ_ASAN=OFF, the fuzz-fast preset) a run finds
  # fewer memory errors per input but covers several times the inputs: the
  # long local runs use it, CI's short ones keep ASan.
  if(TERN_FUZZ_ASAN)
    set(tern_fuzz_sanitizers address,undefined)
  else()
    set(tern_fuzz_sanitizers undefined)
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,${tern_fuzz_sanitizers} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${tern_fuzz_sanitizers})
  add_compile_definitions(TERN_ENABLE_ASSERTS=1)
endif()

# Coroutine-heavy Asio code (integration tests, examples, tern-cp) compiles
# about three times faster at -O0 -g1 under the sanitizers (one integration
# test file: 105 s at -O1 -g, 31 s at -O0 -g1), which keeps CI within its
# budget. Called by those folders and by tests/ for every test program; the
# library they exercise keeps the preset's -O1. Applies to targets defined after the call in the caller's
# directory and below.
function(tern_compile_fast_under_sanitizers)
  if(TERN_SANITIZE)
    add_compile_options(-O0 -g1)
  endif()
endfunction()

# The same for the named sources of the calling directory only. The tools'
# command-line front ends parse their arguments with CLI11, a header-only
# parser that makes an 80-line main.cpp take 40 s of CPU under the
# sanitizers at -O1 (14 s at -O0 -g1); the tools' real work stays at -O1.
function(tern_compile_sources_fast_under_sanitizers)
  if(TERN_SANITIZE)
    set_source_files_properties(${ARGN} DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
      PROPERTIES COMPILE_OPTIONS "-O0;-g1")
  endif()
endfunction()
