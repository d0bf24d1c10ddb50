add_executable(attestation-agent ${CMAKE_CURRENT_LIST_DIR}/attestation_agent_main.cc)
target_link_libraries(attestation-agent PRIVATE cocoon_aa cocoon_aa_grpc cocoon_base spdlog::spdlog)
target_include_directories(attestation-agent PRIVATE ${PROJECT_SOURCE_DIR}/src)
