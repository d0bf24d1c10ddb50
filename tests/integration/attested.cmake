# Attestation-gated pulls end to end (attested_pull_test.sh): kbs with the emulator's test root
# trusted through verifier_config, the Azure TDX vTPM emulator (swtpm), attestation-agent,
# confidential-data-hub with cc_kbc, docker-registry, containerd 1.6 with ctd-decoder.
# Included from tests/integration/CMakeLists.txt after node.cmake.
if(NOT TARGET cri-client OR NOT TARGET attestation-agent OR NOT TARGET az-tdx-vtpm-emulator
   OR NOT TARGET kbs OR NOT TARGET kbs-client OR NOT TARGET confidential-data-hub
   OR NOT TARGET ctd-decoder OR NOT TARGET coco-keyprovider OR NOT TARGET cocoon)
  message(STATUS "attested pull e2e: a needed binary is not part of this build; skipping")
  return()
endif()

set(cocoon_attested_cases
  az_tdx_vtpm_attested_cri_pull_runs_container
  policy_deny_blocks_pull_then_restore_allows_it
  tampered_hcl_report_fails_with_verifier_reason
  tpm_quote_over_wrong_nonce_fails_with_verifier_reason
  td_quote_from_untrusted_root_fails_with_verifier_reason
  sample_tee_attested_pull_and_kbs_client)

foreach(case ${cocoon_attested_cases})
  add_test(NAME it.attested.${case}
           COMMAND ${CMAKE_CURRENT_LIST_DIR}/attested_pull_test.sh ${case})
  set_tests_properties(it.attested.${case} PROPERTIES
    ENVIRONMENT "CRI_CLIENT=$<TARGET_FILE:cri-client>;COCOON_BIN=$<TARGET_FILE:cocoon>;CTD_DECODER=$<TARGET_FILE:ctd-decoder>;CDH_BIN=$<TARGET_FILE:confidential-data-hub>;COCO_KEYPROVIDER=$<TARGET_FILE:coco-keyprovider>;KBS_BIN=$<TARGET_FILE:kbs>;KBS_CLIENT=$<TARGET_FILE:kbs-client>;AA_BIN=$<TARGET_FILE:attestation-agent>;COCOON_AZ_EMULATOR=$<TARGET_FILE:az-tdx-vtpm-emulator>"
    TIMEOUT 300
    SKIP_RETURN_CODE 77
    LABELS "integration;containerd;attestation")
endforeach()
