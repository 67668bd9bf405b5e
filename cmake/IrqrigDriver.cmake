# irqrig_add_driver(NAME SOURCES ...): builds a driver under test as an irqrig plug-in, a shared
# module loaded with `irqrig run --driver PATH.so` (docs/drivers.md). The same function serves the
# in-tree build and the installed package (find_package(irqrig)).
function(irqrig_add_driver name)
  cmake_parse_arguments(D "" "" "SOURCES" ${ARGN})
  if(NOT D_SOURCES)
    message(FATAL_ERROR "irqrig_add_driver(${name}): no SOURCES")
  endif()
  add_library(${name} MODULE ${D_SOURCES})
  target_link_libraries(${name} PRIVATE irqrig::driver)
  # `--driver build/lib/name.so`: the file is the driver's name, as a .sys would be.
  set_target_properties(${name} PROPERTIES PREFIX "")
endfunction()
