# Fuzz targets of the node-side attestation code (ttrpc framing, HCL report, attester inputs).
cocoon_fuzz(ttrpc_frame_fuzz SRCS ttrpc_frame_fuzz.cc DEPS cocoon_ttrpc)
if(TARGET cocoon_aa_attester)
  cocoon_fuzz(hcl_report_fuzz SRCS hcl_report_fuzz.cc DEPS cocoon_aa_attester)
  cocoon_fuzz(az_evidence_fuzz SRCS az_evidence_fuzz.cc DEPS cocoon_aa_attester nlohmann_json::nlohmann_json)
endif()
if(TARGET cocoon_aa_config)
  cocoon_fuzz(aa_config_fuzz SRCS aa_config_fuzz.cc DEPS cocoon_aa_config)
endif()
