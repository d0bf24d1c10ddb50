// Fuzzes the az-tdx-vtpm evidence emitter with arbitrary byte strings in every field (the TPM and
// IMDS supply them), in all three evidence versions; the output must always be valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "aa/attester/az_tdx_vtpm_attester.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  cocoon::aa::AzTdxVtpmEvidence e;
  size_t part = in.size() / 5;
  e.tpm_signature = in.substr(0, part);
  e.tpm_message = in.substr(part, part);
  for (size_t i = 0; i + 32 <= part; i += 32) e.pcrs.push_back(in.substr(2 * part + i, 32));
  e.hcl_report = in.substr(3 * part, part);
  e.td_quote = in.substr(4 * part);
  for (int version = 0; version <= 2; ++version) {
    auto json = cocoon::aa::SerializeAzTdxVtpmEvidence(e, version);
    if (!json.ok() || !nlohmann::json::accept(*json)) std::abort();
  }
  return 0;
}
