add_executable(confidential-data-hub ${CMAKE_CURRENT_LIST_DIR}/confidential_data_hub_main.cc)
target_link_libraries(confidential-data-hub PRIVATE cocoon_cdh_hub cocoon_cdh_cc_kbc cocoon_base spdlog::spdlog)
