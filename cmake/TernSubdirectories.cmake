# Adds every immediate subfolder of the current source folder that has a
# CMakeLists.txt. tests/, bench/, tools/ and examples/ grow one folder per
# area or tool, so a new one needs no edit to a shared list.
function(tern_add_all_subdirectories)
  file(GLOB entries LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
  foreach(entry ${entries})
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${entry}/CMakeLists.txt)
      add_subdirectory(${entry})
    endif()
  endforeach()
endfunction()
