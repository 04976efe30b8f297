# Unity build of tern's libraries: CMake compiles their sources in batches
# of eight, each batch one translation unit. The library is 139 small files
# whose compile time is mostly the headers and inline code every one of them
# parses and instantiates again; batched, that work is done once per eight
# (docs/building.md: 45 % less CPU for src/wire, src/recovery and
# src/stream under the sanitizers). The tests and tools are not batched:
# their files are few and large, with helpers of the same name in many.
#
# The cost is a rule: file-local helpers (anonymous namespace, static) of
# one library must not share a name, or the batch that holds both fails
# with "redefinition of '{anonymous}::...'". A helper two files need goes
# in a header they both include (core/byte_append.hpp, crypto/openssl_util.hpp).
# -DTERN_UNITY_BUILD=OFF compiles file by file, e.g. to check that each
# file includes what it uses.
option(TERN_UNITY_BUILD "Compile tern's libraries in batches of eight sources" ON)

function(tern_unity_build target)
  if(TERN_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
endfunction()
