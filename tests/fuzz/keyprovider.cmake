# Keyprovider protocol parsers: request JSON, reply JSON (bytes as base64, int arrays, null) and
# the keyprovider config file.
foreach(kp_fuzz keyprovider_input_fuzz keyprovider_output_fuzz keyprovider_config_fuzz)
  cocoon_fuzz(${kp_fuzz} SRCS ${CMAKE_CURRENT_LIST_DIR}/${kp_fuzz}.cc DEPS cocoon_keyprovider)
endforeach()
