add_executable(ctd-decoder ${CMAKE_CURRENT_LIST_DIR}/ctd_decoder_main.cc)
target_link_libraries(ctd-decoder PRIVATE cocoon_stream_decoder cocoon_base)
