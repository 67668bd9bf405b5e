# Elaboration-time parameter checks and -Wall cleanliness at every table size: `verilator
# --lint-only` must pass, warning-free, for the sizes the models are built at, and must stop with
# the core's own message for each illegal parameter value.
string(REPLACE "|" ";" sources "${SOURCES}")
set(lint ${VERILATOR} --lint-only -Wall --assert ${VLT} ${sources} --top-module irqrig_core)

foreach(n IN ITEMS 1 4 32 2048)
  if(n LESS 32)
    set(msi ${n})
  else()
    set(msi 32)
  endif()
  execute_process(COMMAND ${lint} -GNumVectors=${n} -GMsiVectors=${msi}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT "${out}${err}" STREQUAL "")
    message("${out}${err}")
    message(FATAL_ERROR "verilator -Wall is not clean for NumVectors=${n} MsiVectors=${msi}")
  endif()
endforeach()
message("verilator --lint-only -Wall: clean at 1, 4, 32 and 2048 vectors")

# Each illegal value, and the message the core gives for it.
set(bad_params
  "-GNumVectors=0|NumVectors must be 1..2048"
  "-GNumVectors=2049|NumVectors must be 1..2048"
  "-GMsiVectors=0|MsiVectors must be a power of two"
  "-GMsiVectors=3|MsiVectors must be a power of two"
  "-GMsiVectors=64|MsiVectors must be a power of two"
  "-GClkMhz=1|ClkMhz must be 2..65535"
  "-GVlistDepth=48|VlistDepth must be a power of two")
foreach(case IN LISTS bad_params)
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 param)
  list(GET parts 1 expect)
  execute_process(COMMAND ${lint} ${param} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT "${out}${err}" MATCHES "irqrig_core: ${expect}")
    message("${out}${err}")
    message(FATAL_ERROR "${param} was not refused with 'irqrig_core: ${expect}'")
  endif()
  message("${param}: refused ('${expect}')")
endforeach()

# The acknowledge gate checks its own table size (its vector ports are 11 bits).
foreach(param IN ITEMS -GNumVectors=0 -GNumVectors=2049)
  execute_process(COMMAND ${VERILATOR} --lint-only -Wall --assert ${VLT} ${sources} --top-module irq_ack ${param}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT "${out}${err}" MATCHES "irq_ack: NumVectors must be 1..2048")
    message("${out}${err}")
    message(FATAL_ERROR "irq_ack ${param} was not refused with 'irq_ack: NumVectors must be 1..2048'")
  endif()
  message("irq_ack ${param}: refused")
endforeach()
