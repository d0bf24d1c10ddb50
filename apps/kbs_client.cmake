add_executable(kbs-client ${CMAKE_CURRENT_LIST_DIR}/kbs_client_main.cc)
target_link_libraries(kbs-client PRIVATE cocoon_kbs_client cocoon_aa_client cocoon_base)
target_include_directories(kbs-client PRIVATE ${PROJECT_SOURCE_DIR}/src)
