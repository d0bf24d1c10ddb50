# Rego policy parser/compiler and evaluator fuzz targets (src/policy).
cocoon_fuzz(policy_parse_fuzz SRCS ${CMAKE_CURRENT_LIST_DIR}/policy_parse_fuzz.cc DEPS cocoon_policy)
cocoon_fuzz(policy_eval_fuzz SRCS ${CMAKE_CURRENT_LIST_DIR}/policy_eval_fuzz.cc DEPS cocoon_policy)
