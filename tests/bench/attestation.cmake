# Attestation verification benchmarks (Release build): an az-tdx-vtpm evidence and a TDX quote
# verified with collateral already cached, reported per step.
# Included from tests/bench/CMakeLists.txt (or tests/unit/attestation when that does not).
if(NOT TARGET attestation_bench AND TARGET cocoon_attestation_az_tdx_vtpm)
  find_package(benchmark REQUIRED)
  add_executable(attestation_bench ${CMAKE_CURRENT_LIST_DIR}/attestation_bench.cc)
  target_link_libraries(attestation_bench PRIVATE cocoon_attestation_az_tdx_vtpm
                        cocoon_attestation_testing benchmark::benchmark)
  target_include_directories(attestation_bench PRIVATE ${PROJECT_SOURCE_DIR}/src
                             ${PROJECT_SOURCE_DIR}/tests ${PROJECT_SOURCE_DIR}/tests/unit/attestation)
  target_compile_definitions(attestation_bench PRIVATE
                             COCOON_BENCH_TESTDATA="${COCOON_TESTDATA_DIR}")
endif()
