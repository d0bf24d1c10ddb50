# Real-component harness checks (harness_test.sh): the private containerd 1.6 + docker-registry
# that tests/integration/harness.sh starts, driven through CRI by cri-client
# (tests/fixtures/cri), with shell stand-ins for the ctd-decoder stream processor.
# Included from tests/integration/CMakeLists.txt; needs tests/fixtures to be added first.
if(NOT TARGET cri-client)
  message(STATUS "cri-client is not part of this build; skipping the containerd harness tests")
  return()
endif()

set(cocoon_harness_cases
  containerd_pulls_plain_image_through_cri_and_runs_it
  cri_pod_runs_command_and_exec
  cri_pull_passes_payload_on_fd3_and_surfaces_processor_error
  ctr_pull_gives_processor_no_payload
  processor_output_is_unpacked_for_encrypted_media_type
  zstd_encrypted_layer_reaches_gzip_processor_with_payload
  harness_cleanup_stops_daemons_and_containers
  deploy_snippet_is_accepted_by_containerd)

foreach(case ${cocoon_harness_cases})
  add_test(NAME it.${case} COMMAND ${CMAKE_CURRENT_LIST_DIR}/harness_test.sh ${case})
  set_tests_properties(it.${case} PROPERTIES
    ENVIRONMENT "CRI_CLIENT=$<TARGET_FILE:cri-client>"
    TIMEOUT 300
    SKIP_RETURN_CODE 77
    LABELS "integration;containerd")
endforeach()
