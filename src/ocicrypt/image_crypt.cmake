# Image-level encryption (the key-wrap schemes and the image walker). Needs JOSE, so it is a
# library of its own: the stream decoder and the layer cipher do not pull JOSE in.
add_library(cocoon_image_crypt STATIC
  ${CMAKE_CURRENT_LIST_DIR}/jwe_key_wrapper.cc
  ${CMAKE_CURRENT_LIST_DIR}/image_crypt.cc)
target_include_directories(cocoon_image_crypt PUBLIC ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(cocoon_image_crypt PUBLIC cocoon_ocicrypt cocoon_crypto)
