add_executable(coco-keyprovider ${CMAKE_CURRENT_LIST_DIR}/coco_keyprovider_main.cc)
target_link_libraries(coco-keyprovider PRIVATE
  cocoon_coco_keyprovider cocoon_keyprovider_server cocoon_keyprovider cocoon_ocicrypt cocoon_base
  spdlog::spdlog)
