# Precompiled headers for the third-party headers every test program and
# the library parse over and over: doctest, Asio and the standard library
# (docs/building.md has the figures). Only third-party and standard headers
# go in, so editing a tern header rebuilds what includes it and no more.
#
# ccache treats a compilation that uses a precompiled header as uncacheable
# unless CCACHE_SLOPPINESS has pch_defines,time_macros; so with a compiler
# launcher (ccache, a warm cache) the default is off, and CI and
# fresh machines (no launcher) get it.
if(CMAKE_CXX_COMPILER_LAUNCHER)
  set(tern_pch_default OFF)
else()
  set(tern_pch_default ON)
endif()
option(TERN_PRECOMPILE_HEADERS "Precompile the Asio, doctest and standard headers of the library and the tests"
       ${tern_pch_default})

set(TERN_PCH_STANDARD_HEADERS
  <algorithm> <array> <chrono> <cstddef> <cstdint> <cstring> <functional> <map> <memory> <optional>
  <span> <string> <string_view> <system_error> <vector>)
# What include/tern's public headers and the Asio front end pull in.
set(TERN_PCH_ASIO_HEADERS
  <asio/any_io_executor.hpp> <asio/async_result.hpp> <asio/buffer.hpp> <asio/co_spawn.hpp> <asio/detached.hpp>
  <asio/experimental/as_tuple.hpp> <asio/io_context.hpp> <asio/ip/udp.hpp> <asio/post.hpp> <asio/steady_timer.hpp>
  <asio/use_awaitable.hpp>)
set(TERN_PCH_TEST_HEADERS <doctest/doctest.h> <asio/read.hpp> <asio/read_until.hpp> <asio/write.hpp>)

# The library's own, used by its sources only.
function(tern_precompile_library_headers target)
  if(TERN_PRECOMPILE_HEADERS)
    target_precompile_headers(${target} PRIVATE ${TERN_PCH_STANDARD_HEADERS} ${TERN_PCH_ASIO_HEADERS})
  endif()
endfunction()

# GCC uses a precompiled header only under the flags it was built with (-O
# level, -fPIE, sanitizers; -Winvalid-pch says so when not). So the tests'
# header is built once per set of flags, by a do-nothing executable like
# the test programs themselves, and every test program compiled with those
# flags reuses it (tern_use_test_pch). tern_add_test_pch(<name>) makes one
# for the calling folder's flags; test programs defined afterwards there
# and below use it.
function(tern_add_test_pch name)
  if(NOT TERN_PRECOMPILE_HEADERS)
    return()
  endif()
  add_executable(${name} ${PROJECT_SOURCE_DIR}/tests/support/pch_holder.cpp)
  target_link_libraries(${name} PRIVATE tern_test_support)
  tern_target_defaults(${name})
  target_precompile_headers(${name} PRIVATE ${TERN_PCH_STANDARD_HEADERS} ${TERN_PCH_ASIO_HEADERS}
                                            ${TERN_PCH_TEST_HEADERS})
  set(TERN_TEST_PCH ${name} PARENT_SCOPE)
endfunction()

function(tern_use_test_pch target)
  if(TERN_PRECOMPILE_HEADERS AND TERN_TEST_PCH)
    target_precompile_headers(${target} REUSE_FROM ${TERN_TEST_PCH})
  endif()
endfunction()
