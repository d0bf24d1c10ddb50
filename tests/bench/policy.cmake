# Rego evaluator benchmarks (src/policy). Included from tests/bench/CMakeLists.txt.
find_package(benchmark REQUIRED)
add_executable(policy_bench ${CMAKE_CURRENT_LIST_DIR}/policy_bench.cc)
target_link_libraries(policy_bench PRIVATE cocoon_policy cocoon_base benchmark::benchmark)
target_include_directories(policy_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(policy_bench PRIVATE
  COCOON_TESTDATA_DEFAULT="${PROJECT_SOURCE_DIR}/../shared/testdata")
