# KBS parsers of outside input: config TOML, RCAR request bodies, session cookies, admin JWTs,
# HTTP/1.1 requests.
cocoon_fuzz(kbs_config_fuzz SRCS ${CMAKE_CURRENT_LIST_DIR}/kbs_config_fuzz.cc
  DEPS cocoon_kbs_server)
cocoon_fuzz(kbs_request_fuzz SRCS ${CMAKE_CURRENT_LIST_DIR}/kbs_request_fuzz.cc
  DEPS cocoon_kbs_server)
cocoon_fuzz(kbs_session_fuzz SRCS ${CMAKE_CURRENT_LIST_DIR}/kbs_session_fuzz.cc
  DEPS cocoon_kbs_server)
cocoon_fuzz(kbs_admin_jwt_fuzz SRCS ${CMAKE_CURRENT_LIST_DIR}/kbs_admin_jwt_fuzz.cc
  DEPS cocoon_kbs_server)
cocoon_fuzz(kbs_http_request_fuzz SRCS ${CMAKE_CURRENT_LIST_DIR}/kbs_http_request_fuzz.cc
  DEPS cocoon_kbs_http_parser)
