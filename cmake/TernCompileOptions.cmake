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
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(TERN_ENABLE_ASSERTS=1)
endif()
