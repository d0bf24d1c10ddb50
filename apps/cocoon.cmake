add_executable(cocoon ${CMAKE_CURRENT_LIST_DIR}/cocoon_main.cc)
target_link_libraries(cocoon PRIVATE cocoon_cli cocoon_attestation_cli cocoon_cli_node cocoon_cli_demo)
