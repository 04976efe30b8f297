# Run by ctest in script mode; see CMakeLists.txt beside it.
cmake_minimum_required(VERSION 3.25)

set(prefix ${SCRATCH_DIR}/prefix)
file(REMOVE_RECURSE ${SCRATCH_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install ${TERN_BUILD_DIR} --prefix ${prefix})

# 0. The tools (a comma-separated list; empty when the build has none), each
# in bin/ and runnable from there: tern-sim was once the only one left out.
if(INSTALLED_TOOLS)
  string(REPLACE "," ";" tools "${INSTALLED_TOOLS}")
  foreach(tool ${tools})
    if(NOT EXISTS ${prefix}/bin/${tool})
      message(FATAL_ERROR "cmake --install did not install ${tool} into ${prefix}/bin")
    endif()
  endforeach()
  run(${prefix}/bin/tern-sim --help)
endif()

# 1. CMake package.
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE_DIR} -B ${SCRATCH_DIR}/cmake-build
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${SCRATCH_DIR}/cmake-build)
run(${SCRATCH_DIR}/cmake-build/consumer)

# 2. pkg-config, static linking as a Makefile user would write it.
file(GLOB_RECURSE pc_files ${prefix}/*/tern.pc)
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
execute_process(COMMAND pkg-config --cflags --libs --static tern
  RESULT_VARIABLE rc OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config could not find the installed tern.pc")
endif()
separate_arguments(flags UNIX_COMMAND "${flags}")
run(${CXX_COMPILER} ${CONSUMER_SOURCE_DIR}/main.cpp ${flags} -o ${SCRATCH_DIR}/pkgconfig-consumer)
run(${SCRATCH_DIR}/pkgconfig-consumer)
