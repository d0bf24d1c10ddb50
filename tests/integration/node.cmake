# Node-side decryption end to end (node_decrypt_test.sh): docker-registry + containerd 1.6 with
# cocoon's ctd-decoder and CRI key_model "node", confidential-data-hub (offline_fs_kbc),
# coco-keyprovider. Included from tests/integration/CMakeLists.txt after harness.cmake.
if(NOT TARGET cri-client OR NOT TARGET ctd-decoder OR NOT TARGET confidential-data-hub)
  message(STATUS "cri-client or the node binaries are not part of this build; skipping node e2e")
  return()
endif()

set(cocoon_node_cases
  cri_pull_decrypts_through_cdh_and_ctr_runs_it
  key_absent_from_kbc_fails_pull_naming_kid
  cdh_not_running_fails_pull_clearly
  tampered_layer_fails_pull_and_nothing_is_unpacked
  skopeo_jwe_image_decrypts_with_keys_dir
  verify_before_release_mode_through_containerd)

foreach(case ${cocoon_node_cases})
  add_test(NAME it.node.${case} COMMAND ${CMAKE_CURRENT_LIST_DIR}/node_decrypt_test.sh ${case})
  set_tests_properties(it.node.${case} PROPERTIES
    ENVIRONMENT "CRI_CLIENT=$<TARGET_FILE:cri-client>;COCOON_BIN=$<TARGET_FILE:cocoon>;CTD_DECODER=$<TARGET_FILE:ctd-decoder>;CDH_BIN=$<TARGET_FILE:confidential-data-hub>;COCO_KEYPROVIDER=$<TARGET_FILE:coco-keyprovider>"
    TIMEOUT 300
    SKIP_RETURN_CODE 77
    LABELS "integration;containerd;node")
endforeach()
