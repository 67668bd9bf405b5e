# The installed package as a driver project uses it: `cmake --install` into a fresh prefix, each
# example configured and built out of tree with find_package(irqrig), and run by the installed
# irqrig on a scenario. Arguments: IRQRIG_BUILD_DIR, IRQRIG_SOURCE_DIR, WORK_DIR, CMAKE_GENERATOR,
# C_COMPILER, C_FLAGS, LINKER_FLAGS.
cmake_minimum_required(VERSION 3.25)

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(step_output "${out}${err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run_step("cmake --install" ${CMAKE_COMMAND} --install ${IRQRIG_BUILD_DIR} --prefix ${prefix})

foreach(header irqrig/wdf.h irqrig/wdm.h irqrig/rig.h irqrig/plugin.h irqrig/sal.h irqrig/ddk.h irqrig/regs_c.h
               irqrig/ddk/ntddk.h irqrig/ddk/wdm.h irqrig/ddk/wdf.h irqrig/ddk/initguid.h)
  if(NOT EXISTS ${prefix}/include/${header})
    message(FATAL_ERROR "not installed: include/${header}")
  endif()
endforeach()
if(NOT EXISTS ${prefix}/bin/irqrig)
  message(FATAL_ERROR "not installed: bin/irqrig")
endif()

foreach(example kmdf_sample wdm_plugin)
  set(build ${WORK_DIR}/${example})
  run_step("configuring ${example} against the package"
    ${CMAKE_COMMAND} -S ${IRQRIG_SOURCE_DIR}/examples/${example} -B ${build} -G ${CMAKE_GENERATOR}
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_C_COMPILER=${C_COMPILER}
      "-DCMAKE_C_FLAGS=${C_FLAGS}" "-DCMAKE_MODULE_LINKER_FLAGS=${LINKER_FLAGS}")
  run_step("building ${example}" ${CMAKE_COMMAND} --build ${build})
  if(NOT EXISTS ${build}/${example}.so)
    message(FATAL_ERROR "${example}: no ${example}.so built")
  endif()
  run_step("running ${example}" ${prefix}/bin/irqrig run ${IRQRIG_SOURCE_DIR}/tests/host/cli/data/small.yaml
    --driver ${build}/${example}.so)
  if(NOT step_output MATCHES " 0 lost, 0 duplicated")
    message(FATAL_ERROR "${example}: unexpected summary:\n${step_output}")
  endif()
  message(STATUS "${example}: ${step_output}")
endforeach()
