# confidential-data-hub and ctd-decoder parsers: the fd-3 payload, the annotation packet (and the
# unwrap path behind it), the CDH config (JSON and TOML), resource URIs, offline_fs_kbc files.
cocoon_fuzz(ctd_payload_fuzz SRCS ${CMAKE_CURRENT_LIST_DIR}/ctd_payload_fuzz.cc
  DEPS cocoon_stream_decoder)
foreach(t cdh_annotation_packet_fuzz cdh_config_fuzz cdh_resource_uri_fuzz)
  cocoon_fuzz(${t} SRCS ${CMAKE_CURRENT_LIST_DIR}/${t}.cc DEPS cocoon_cdh_core)
endforeach()
