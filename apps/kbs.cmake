add_executable(kbs ${CMAKE_CURRENT_LIST_DIR}/kbs_main.cc)
target_link_libraries(kbs PRIVATE cocoon_kbs_http cocoon_kbs_server cocoon_kbs_verifiers cocoon_base)
target_include_directories(kbs PRIVATE ${PROJECT_SOURCE_DIR}/src)
# jemalloc for the server: with one thread per connection, glibc's arenas spend a measurable share
# of each request in malloc/free (kbs_load: +10-20% flows/s with jemalloc). Not under ASan, which
# must own the allocator.
pkg_check_modules(JEMALLOC QUIET IMPORTED_TARGET jemalloc)
if(JEMALLOC_FOUND AND NOT CMAKE_BUILD_TYPE STREQUAL "Asan" AND NOT COCOON_FUZZ)
  target_link_libraries(kbs PRIVATE PkgConfig::JEMALLOC)
endif()
