# Compiles the RTL with Icarus Verilog (-g2012) and runs a short smoke simulation; fails on any
# error.
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
  COMMAND ${IVERILOG} -g2012 -s irqrig_core -o ${WORK_DIR}/irqrig_core.vvp ${copies}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "iverilog failed (${rc})")
endif()
message("iverilog -g2012: irqrig_core compiled")

execute_process(
  COMMAND ${IVERILOG} -g2012 -s iverilog_smoke_tb -o ${WORK_DIR}/smoke.vvp ${copies} ${SMOKE_TB}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message("${out}${err}")
  message(FATAL_ERROR "iverilog failed on the smoke testbench (${rc})")
endif()
execute_process(COMMAND ${VVP} -n ${WORK_DIR}/smoke.vvp TIMEOUT 60
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0 OR NOT out MATCHES "SMOKE PASS")
  message(FATAL_ERROR "Icarus smoke simulation failed (${rc})")
endif()
