// Collateral JSON: bundle form, PCS signed-response split, TCB info and QE identity bodies.
#include <cstddef>
#include <cstdint>

#include "attestation/dcap/collateral.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace dcap = cocoon::attestation::dcap;
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  (void)dcap::ParseCollateralJson(in);
  auto s = dcap::SplitSignedJson(in, "tcbInfo");
  (void)dcap::ParseTcbInfoBody(s.ok() ? absl::string_view(s->body) : in);
  auto q = dcap::SplitSignedJson(in, "enclaveIdentity");
  (void)dcap::ParseQeIdentityBody(q.ok() ? absl::string_view(q->body) : in);
  (void)dcap::ParseCrl(in, "fuzz CRL");
  return 0;
}
