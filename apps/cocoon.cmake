add_executable(cocoon ${CMAKE_CURRENT_LIST_DIR}/cocoon_main.cc)
target_link_libraries(cocoon PRIVATE cocoon_cli)
