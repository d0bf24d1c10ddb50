# confidential-data-hub UnWrapKey latency with offline keys. Included from tests/bench/CMakeLists.txt.
if(TARGET cocoon_cdh_hub)
  add_executable(cdh_bench ${CMAKE_CURRENT_LIST_DIR}/cdh_bench.cc)
  target_link_libraries(cdh_bench PRIVATE cocoon_cdh_hub cocoon_cdh_core cocoon_keyprovider
                        cocoon_crypto cocoon_base benchmark::benchmark)
  target_include_directories(cdh_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
endif()
