# cmake --install: headers, the library, a CMake package and a pkg-config file.
include(CMakePackageConfigHelpers)

install(DIRECTORY include/tern TYPE INCLUDE)
install(TARGETS tern EXPORT ternTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT ternTargets NAMESPACE tern:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tern)

configure_package_config_file(cmake/ternConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/ternConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tern)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/ternConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ternConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/ternConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tern)

# The .pc file finds its prefix relative to itself, so an installed tree can
# be moved (and tested from a scratch prefix).
file(RELATIVE_PATH TERN_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(cmake/tern.pc.in ${CMAKE_CURRENT_BINARY_DIR}/tern.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tern.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
