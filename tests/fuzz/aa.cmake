# Fuzz targets of the node-side attestation code (ttrpc framing, attester inputs).
cocoon_fuzz(ttrpc_frame_fuzz SRCS ttrpc_frame_fuzz.cc DEPS cocoon_ttrpc)
if(TARGET cocoon_aa_attester)
  cocoon_fuzz(ccel_trim_fuzz SRCS ccel_trim_fuzz.cc DEPS cocoon_aa_attester)
  cocoon_fuzz(az_evidence_fuzz SRCS az_evidence_fuzz.cc DEPS cocoon_aa_attester nlohmann_json::nlohmann_json)
endif()
if(TARGET cocoon_aa_config)
  cocoon_fuzz(aa_config_fuzz SRCS aa_config_fuzz.cc DEPS cocoon_aa_config)
endif()
