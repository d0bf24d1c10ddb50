# The ocicrypt keyprovider protocol: config, JSON messages, and the cmd and gRPC client transports.
# Included from src/ocicrypt/CMakeLists.txt (or, failing that, from src/rpc/CMakeLists.txt), so
# paths are relative to this file.
add_library(cocoon_keyprovider STATIC
  ${CMAKE_CURRENT_LIST_DIR}/keyprovider_config.cc
  ${CMAKE_CURRENT_LIST_DIR}/keyprovider_protocol.cc
  ${CMAKE_CURRENT_LIST_DIR}/keyprovider_client.cc
  ${CMAKE_CURRENT_LIST_DIR}/keyprovider_cmd.cc
  ${CMAKE_CURRENT_LIST_DIR}/keyprovider_json_util.cc
  ${CMAKE_CURRENT_LIST_DIR}/keyprovider_handler.cc)
target_include_directories(cocoon_keyprovider PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(cocoon_keyprovider
  PUBLIC cocoon_base absl::status absl::statusor absl::strings absl::time
  PRIVATE cocoon_rpc_keyprovider gRPC::grpc++ nlohmann_json::nlohmann_json)
