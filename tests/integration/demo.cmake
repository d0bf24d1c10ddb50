# `cocoon demo` end to end (demo_test.sh): the demo as `make demo` runs it, every step's outcome
# asserted from its output, Ctrl-C mid-way, and the refusal without root; nothing may be left
# running or mounted. cocoon finds kbs, attestation-agent, ... in this build tree itself.
# Included from tests/integration/CMakeLists.txt after attested.cmake.
if(NOT TARGET cri-client OR NOT TARGET attestation-agent OR NOT TARGET az-tdx-vtpm-emulator
   OR NOT TARGET kbs OR NOT TARGET kbs-client OR NOT TARGET confidential-data-hub
   OR NOT TARGET coco-keyprovider OR NOT TARGET ctd-decoder)
  message(STATUS "cocoon demo e2e: a needed binary is not part of this build; skipping")
  return()
endif()

set(cocoon_demo_cases
  demo_runs_every_step_and_cleans_up
  demo_interrupted_cleans_up
  demo_without_root_says_so)

foreach(case ${cocoon_demo_cases})
  add_test(NAME it.demo.${case} COMMAND ${CMAKE_CURRENT_LIST_DIR}/demo_test.sh ${case})
  set_tests_properties(it.demo.${case} PROPERTIES
    ENVIRONMENT "COCOON_BIN=$<TARGET_FILE:cocoon>"
    TIMEOUT 300
    SKIP_RETURN_CODE 77
    LABELS "integration;containerd;attestation;demo")
endforeach()
