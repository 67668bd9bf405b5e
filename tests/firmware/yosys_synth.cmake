# Generic yosys synthesis of the vendor-free board core (irqrig_usp_core: bridge, irqrig_core with
# HardIp, interrupt adapter) at NumVectors = MsiVectors = 4 (the core's own test synthesizes it at
# 32; here the board parts are the point, and 4 vectors halve the time); prints the cell count.
string(REPLACE "|" ";" sources "${SOURCES}")
list(JOIN sources " " source_list)
set(script "read_verilog -sv -DSYNTHESIS ${source_list}; chparam -set NumVectors 4 -set MsiVectors 4 ${TOP}; synth -top ${TOP}; check -assert; stat")
execute_process(COMMAND ${YOSYS} -l ${LOG} -q -p "${script}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message("${out}${err}")
  message(FATAL_ERROR "yosys failed (${rc}); log: ${LOG}")
endif()
file(STRINGS ${LOG} cells REGEX "Number of cells")
list(GET cells -1 total)
string(STRIP "${total}" total)
# The adapter and the bridge must survive synthesis as modules of their own (parameterised
# modules are named $paramod...<name>...), not be optimised away.
foreach(module IN ITEMS usp_irq_adapter usp_axis_bridge)
  file(STRINGS ${LOG} kept REGEX "^=== .*${module}.* ===$")
  if(NOT kept)
    message(FATAL_ERROR "yosys: ${module} missing from the synthesized hierarchy; log: ${LOG}")
  endif()
endforeach()
message("yosys synth -top ${TOP} (NumVectors=4): ${total}")
