# Compiles the RTL with Icarus Verilog (-g2012); fails on any error.
# Icarus 11 (Debian 12) cannot parse `int unsigned` parameters (steveicarus/iverilog#960), which
# the style guide and the generated register package use. Every value involved is far below 2^31,
# so a copy with `int unsigned` read as `int` is the same design; Icarus compiles that copy.
string(REPLACE "|" ";" sources "${SOURCES}")
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(copies)
foreach(src IN LISTS sources)
  get_filename_component(name ${src} NAME)
  file(READ ${src} text)
  string(REPLACE "int unsigned" "int" text "${text}")
  file(WRITE ${WORK_DIR}/${name} "${text}")
  list(APPEND copies ${WORK_DIR}/${name})
endforeach()
execute_process(
  COMMAND ${IVERILOG} -g2012 -Wall -s irqrig_core -o ${WORK_DIR}/irqrig_core.vvp ${copies}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "iverilog failed (${rc})")
endif()
message("iverilog -g2012: irqrig_core compiled")
