add_executable(kbs ${CMAKE_CURRENT_LIST_DIR}/kbs_main.cc)
target_link_libraries(kbs PRIVATE cocoon_kbs_http cocoon_kbs_server cocoon_kbs_verifiers cocoon_base)
target_include_directories(kbs PRIVATE ${PROJECT_SOURCE_DIR}/src)
