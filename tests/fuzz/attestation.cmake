# Fuzz targets of the attestation verifiers' parsers (quote, PCK extension, HCL report,
# TPMS_ATTEST, CC event log, collateral JSON, evidence JSON).
if(TARGET cocoon_attestation_az_tdx_vtpm)
  cocoon_fuzz(attestation_quote_fuzz SRCS attestation_quote_fuzz.cc DEPS cocoon_dcap)
  cocoon_fuzz(attestation_hcl_report_fuzz SRCS attestation_hcl_report_fuzz.cc
              DEPS cocoon_attestation_az_tdx_vtpm)
  cocoon_fuzz(attestation_tpms_attest_fuzz SRCS attestation_tpms_attest_fuzz.cc
              DEPS cocoon_attestation_tpm)
  cocoon_fuzz(attestation_eventlog_fuzz SRCS attestation_eventlog_fuzz.cc
              DEPS cocoon_attestation_eventlog)
  cocoon_fuzz(attestation_collateral_json_fuzz SRCS attestation_collateral_json_fuzz.cc
              DEPS cocoon_dcap)
  cocoon_fuzz(attestation_evidence_json_fuzz SRCS attestation_evidence_json_fuzz.cc
              DEPS cocoon_attestation_az_tdx_vtpm)
endif()
