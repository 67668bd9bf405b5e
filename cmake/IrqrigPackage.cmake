# What a plug-in driver builds against and how irqrig installs it: the irqrig::driver target
# (headers and compile options only: a plug-in links nothing, its WDK calls bind to the irqrig
# executable when it is loaded), the install rules and the CMake package config.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

add_library(irqrig_driver INTERFACE)
add_library(irqrig::driver ALIAS irqrig_driver)
set_target_properties(irqrig_driver PROPERTIES EXPORT_NAME driver)
target_include_directories(irqrig_driver INTERFACE
  "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/host/wdk/include;${PROJECT_SOURCE_DIR}/host/wdk/ddk;${CMAKE_BINARY_DIR}/gen/include>"
  "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR};${CMAKE_INSTALL_INCLUDEDIR}/irqrig/ddk>")
target_compile_options(irqrig_driver INTERFACE
  # A broken kernel rule stops the run with an exception thrown from the rig through the driver's
  # frames: C code needs unwind tables for that.
  "$<$<COMPILE_LANGUAGE:C>:-fexceptions>"
  # Driver sources carry MSVC pragmas (alloc_text, code_seg, warning); GCC ignores them.
  -Wno-unknown-pragmas
  # Pool tags are multi-character constants ('pSrI').
  -Wno-multichar)
# The WDK's names are undefined in the plug-in until it is loaded into irqrig.
target_link_options(irqrig_driver INTERFACE "LINKER:-z,undefs")
add_dependencies(irqrig_driver irqrig_regs_gen)
include(${CMAKE_CURRENT_LIST_DIR}/IrqrigDriver.cmake)

install(TARGETS irqrig EXPORT irqrigTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS irqrig_driver EXPORT irqrigTargets)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/host/wdk/include/irqrig/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/irqrig
        FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_BINARY_DIR}/gen/include/irqrig/regs.h ${CMAKE_BINARY_DIR}/gen/include/irqrig/regs_c.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/irqrig)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/host/wdk/ddk/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/irqrig/ddk
        FILES_MATCHING PATTERN "*.h")

set(IRQRIG_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/irqrig)
install(EXPORT irqrigTargets NAMESPACE irqrig:: DESTINATION ${IRQRIG_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/irqrigConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/irqrigConfig.cmake INSTALL_DESTINATION ${IRQRIG_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/irqrigConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cmake/irqrigConfig.cmake ${CMAKE_BINARY_DIR}/cmake/irqrigConfigVersion.cmake
        ${CMAKE_CURRENT_LIST_DIR}/IrqrigDriver.cmake DESTINATION ${IRQRIG_CMAKE_DIR})
