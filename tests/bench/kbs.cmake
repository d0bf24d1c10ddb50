# KBS load benchmark: full key-release flows against the built kbs binary on 127.0.0.1.
# Included from tests/bench/CMakeLists.txt.
add_executable(kbs_load ${CMAKE_CURRENT_LIST_DIR}/kbs_load.cc)
target_link_libraries(kbs_load PRIVATE cocoon_kbs_client cocoon_kbs_server Threads::Threads)
target_include_directories(kbs_load PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(kbs_load PRIVATE KBS_BIN_PATH="$<TARGET_FILE:kbs>")
add_dependencies(kbs_load kbs)

find_package(benchmark REQUIRED)
add_executable(kbs_service_bench ${CMAKE_CURRENT_LIST_DIR}/kbs_service_bench.cc)
target_link_libraries(kbs_service_bench PRIVATE cocoon_kbs_server benchmark::benchmark)
target_include_directories(kbs_service_bench PRIVATE ${PROJECT_SOURCE_DIR}/src)
