# The firmware RTL's elaboration checks and -Wall cleanliness: irqrig_usp_core lints clean at the
# table sizes the board may be built with, and the adapter refuses each illegal parameter value
# with its own message.
string(REPLACE "|" ";" sources "${SOURCES}")
string(REPLACE "|" ";" vlt "${VLT}")
set(lint ${VERILATOR} --lint-only -Wall --assert ${vlt} ${sources})

foreach(n IN ITEMS 1 32 2048)
  if(n LESS 32)
    set(msi ${n})
  else()
    set(msi 32)
  endif()
  execute_process(COMMAND ${lint} --top-module irqrig_usp_core -GNumVectors=${n} -GMsiVectors=${msi}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0 OR NOT "${out}${err}" STREQUAL "")
    message("${out}${err}")
    message(FATAL_ERROR "verilator -Wall is not clean for irqrig_usp_core NumVectors=${n}")
  endif()
endforeach()
message("verilator --lint-only -Wall: irqrig_usp_core clean at 1, 32 and 2048 vectors")

set(bad_params
  "-GRetryGap=0|RetryGap must be 1..65535"
  "-GRetryGap=65536|RetryGap must be 1..65535"
  "-GMaxFails=65536|MaxFails must be 0..65535")
foreach(case IN LISTS bad_params)
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 param)
  list(GET parts 1 expect)
  execute_process(COMMAND ${lint} --top-module usp_irq_adapter ${param}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT "${out}${err}" MATCHES "usp_irq_adapter: ${expect}")
    message("${out}${err}")
    message(FATAL_ERROR "${param} was not refused with 'usp_irq_adapter: ${expect}'")
  endif()
  message("${param}: refused ('${expect}')")
endforeach()
