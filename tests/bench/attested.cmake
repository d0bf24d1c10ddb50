# Attested UnWrapKey latency (cc_kbc + attestation-agent + kbs): the driver binary; the script
# attested_unwrap_bench.sh starts the processes. Included from tests/bench/CMakeLists.txt.
if(TARGET cocoon_cdh_cc_kbc)
  add_executable(attested_unwrap ${CMAKE_CURRENT_LIST_DIR}/attested_unwrap.cc)
  target_link_libraries(attested_unwrap PRIVATE cocoon_cdh_cc_kbc cocoon_cdh_core cocoon_kbs_client
                        cocoon_keyprovider cocoon_crypto cocoon_base)
  target_include_directories(attested_unwrap PRIVATE ${PROJECT_SOURCE_DIR}/src)
endif()
