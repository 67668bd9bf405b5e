# Compiles the RTL with Icarus Verilog (-g2012) and simulates iverilog_flow_tb at every table size
# the Verilator sweep builds (1, 4, 32, 2048 vectors); fails on any error or a missing FLOW PASS.
# Icarus 11 (Debian 12) cannot parse `int unsigned` parameters (steveicarus/iverilog#960), which
# the style guide and the generated register package use. Every value involved is far below 2^31,
# so a copy with `int unsigned` read as `int` is the same design; Icarus compiles that copy.
string(REPLACE "|" ";" sources "${SOURCES}")
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(copies)
foreach(src IN LISTS sources ITEMS ${FLOW_TB})
  get_filename_component(name ${src} NAME)
  file(READ ${src} text)
  string(REPLACE "int unsigned" "int" text "${text}")
  file(WRITE ${WORK_DIR}/${name} "${text}")
  list(APPEND copies ${WORK_DIR}/${name})
endforeach()

foreach(n IN ITEMS 1 4 32 2048)
  execute_process(
    COMMAND ${IVERILOG} -g2012 -s iverilog_flow_tb -P iverilog_flow_tb.NumVectors=${n}
            -o ${WORK_DIR}/flow_${n}.vvp ${copies}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  # Icarus notes ("sorry: constant selects in always_* ...") about its own sensitivity lists are
  # not errors; anything that fails the compile is.
  if(NOT rc EQUAL 0)
    message("${out}${err}")
    message(FATAL_ERROR "iverilog failed for NumVectors=${n} (${rc})")
  endif()
  execute_process(COMMAND ${VVP} -n ${WORK_DIR}/flow_${n}.vvp TIMEOUT 120
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT rc EQUAL 0 OR NOT out MATCHES "FLOW PASS" OR out MATCHES "FLOW FAIL")
    message(FATAL_ERROR "Icarus simulation of NumVectors=${n} failed (${rc})")
  endif()
endforeach()
message("iverilog -g2012: irqrig_core simulated at 1, 4, 32 and 2048 vectors")
