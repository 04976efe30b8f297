# Asio 1.22 chooses how it allocates the memory it recycles for handlers and
# coroutine frames (asio/detail/memory.hpp: aligned_alloc with free, or
# operator new with operator delete) from a libstdc++ macro,
# _GLIBCXX_HAVE_ALIGNED_ALLOC, that exists only once a standard header has
# been included, and its config.hpp includes none. So a source file that
# includes Asio before any standard header compiles the other pair than one
# that does not (src/asio/udp_socket.cpp and tools/tern-cp/cli.cpp did): two
# definitions of the same inline functions, against the one-definition rule.
# Memory one file's copy allocates can then be freed by the other's, which
# ASan reports as alloc-dealloc-mismatch. Every file that uses tern gets the
# choice pinned to the one Asio makes when it can see the standard library:
# a public compile definition of the tern target (so also for CMake
# consumers), and in tern.pc.
include(CheckCXXSourceCompiles)
check_cxx_source_compiles([[
#include <cstddef>
#include <asio/detail/config.hpp>
#if !defined(ASIO_HAS_STD_ALIGNED_ALLOC)
#error "Asio allocates with operator new here"
#endif
int main() { return 0; }
]] TERN_ASIO_ALIGNED_ALLOC)
if(TERN_ASIO_ALIGNED_ALLOC)
  set(TERN_ASIO_ALLOCATION_DEFINITION ASIO_HAS_STD_ALIGNED_ALLOC=1)
else()
  set(TERN_ASIO_ALLOCATION_DEFINITION ASIO_DISABLE_STD_ALIGNED_ALLOC=1)
endif()
