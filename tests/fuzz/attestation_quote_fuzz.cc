// TDX quote parser, PCK chain split and SGX extension walker.
#include <cstddef>
#include <cstdint>

#include "attestation/dcap/pki.h"
#include "attestation/dcap/quote.h"
#include "attestation/dcap/verifier.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view in(reinterpret_cast<const char*>(data), size);
  (void)cocoon::attestation::dcap::ParseQuote(in);
  (void)cocoon::attestation::dcap::PrepareQuote(in);
  (void)cocoon::attestation::dcap::ParseSgxExtensionsDer(in);
  return 0;
}
