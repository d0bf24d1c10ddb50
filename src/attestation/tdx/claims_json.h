// Internal: claim builders shared by the tdx and az-tdx-vtpm verifiers. Include from .cc files
// only (pulls nlohmann via base/json.h).
#ifndef COCOON_ATTESTATION_TDX_CLAIMS_JSON_H_
#define COCOON_ATTESTATION_TDX_CLAIMS_JSON_H_

#include "attestation/dcap/verifier.h"
#include "base/json.h"

namespace cocoon::attestation::tdx {

// quote{header,body[,type,size]}, td_attributes, report_data, init_data, platform_instance_id.
Json QuoteClaims(const dcap::PreparedQuote& prepared);
// tcb_status, collateral_expiration_status, advisory_ids, dates, CRL numbers, PCK facts.
void AddDcapClaims(const dcap::PreparedQuote& prepared, const dcap::QuoteVerification& v,
                   Json* claims);

}  // namespace cocoon::attestation::tdx

#endif  // COCOON_ATTESTATION_TDX_CLAIMS_JSON_H_
