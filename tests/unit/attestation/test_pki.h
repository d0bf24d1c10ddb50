// A self-made DCAP PKI for tests, generated at test time: a root CA, a "Platform CA"
// intermediate, a PCK certificate with the SGX extension, a TCB signing certificate, CRLs, signed
// TCB info / QE identity, and TDX quotes (v4/v5) signed by it. Covers what the public vectors
// cannot: revoked PCK, wrong root, expired chain, missing CRL, unknown FMSPC, bit flips.
#ifndef COCOON_TESTS_UNIT_ATTESTATION_TEST_PKI_H_
#define COCOON_TESTS_UNIT_ATTESTATION_TEST_PKI_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "attestation/dcap/collateral.h"
#include "attestation/dcap/crypto_util.h"

namespace cocoon::attestation::testing {

inline constexpr absl::string_view kTestFmspc("\x00\x90\x6e\xd5\x00\x00", 6);  // 00906ed50000

struct PkiOptions {
  absl::Time not_before = absl::FromUnixSeconds(1700000000);  // 2023-11-14
  absl::Time not_after = absl::FromUnixSeconds(1900000000);   // 2030-03-17
  absl::Time pck_not_after = absl::FromUnixSeconds(1900000000);
  std::string fmspc = std::string(kTestFmspc);
  std::array<uint8_t, 16> pck_components = {3, 3, 2, 2, 4, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0};
  uint16_t pcesvn = 11;
};

class TestPki {
 public:
  explicit TestPki(const PkiOptions& options = {});

  const PkiOptions& options() const { return options_; }
  std::string root_pem() const;
  std::string intermediate_pem() const;
  std::string pck_pem() const;
  std::string tcb_signing_pem() const;
  // PCK chain as a quote carries it: leaf, intermediate, root, then a NUL.
  std::string pck_chain_pem() const;
  long pck_serial() const { return 0x1234; }
  long intermediate_serial() const { return 0x22; }

  // DER CRLs issued by the root / the intermediate, revoking `serials`.
  std::string RootCrl(const std::vector<long>& serials = {}, absl::Time this_update = {},
                      absl::Time next_update = {}) const;
  std::string PckCrl(const std::vector<long>& serials = {}, absl::Time this_update = {},
                     absl::Time next_update = {}) const;
  // Raw r||s signature by the TCB signing key.
  std::string SignWithTcbKey(absl::string_view data) const;
  std::string SignWithPckKey(absl::string_view data) const;

  EVP_PKEY* pck_key() const { return pck_key_.get(); }

 private:
  PkiOptions options_;
  EvpPkeyPtr root_key_, inter_key_, pck_key_, tcb_key_;
  X509Ptr root_, inter_, pck_, tcb_;
};

struct QuoteSpec {
  int version = 4;
  int body_type = 2;  // v5: 2 or 3
  std::array<uint8_t, 16> tee_tcb_svn = {3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::array<uint8_t, 16> tee_tcb_svn2 = {3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  std::string td_attributes = std::string("\x00\x00\x00\x10\x00\x00\x00\x00", 8);
  std::string report_data = std::string(64, '\x5a');
  std::string mr_td = std::string(48, '\x11');
  std::string mr_config_id = std::string(48, '\0');
  std::array<std::string, 4> rtmr = {std::string(48, '\x21'), std::string(48, '\x22'),
                                     std::string(48, '\0'), std::string(48, '\0')};
  uint16_t qe_isvsvn = 6;
  uint16_t qe_isvprodid = 2;
  std::string qe_mrsigner = std::string(32, '\xdc');
  size_t padding = 70;
};

// The offsets of the signed regions of a built quote (for bit-flip tests).
struct QuoteLayout {
  size_t body_offset, signature_offset, attestation_key_offset, qe_report_offset,
      qe_report_signature_offset, qe_auth_data_offset, pck_chain_offset;
};

std::string BuildQuote(const TestPki& pki, const QuoteSpec& spec, QuoteLayout* layout = nullptr);

struct CollateralSpec {
  absl::Time issue = absl::FromUnixSeconds(1750000000);        // 2025-06-15
  absl::Time next_update = absl::FromUnixSeconds(1752592000);  // 2025-07-15
  std::string fmspc = std::string(kTestFmspc);
  std::vector<long> revoked_pck_serials;
  std::vector<long> revoked_root_serials;
  std::string qe_mrsigner = std::string(32, '\xdc');
  bool with_module_identities = true;
  // The first platform level matches the PCK exactly and has `platform_status`; the second is
  // all zeros and OutOfDate. `not_supported` raises both above the PCK.
  std::string platform_status = "UpToDate";
  bool not_supported = false;
  std::string module_status = "UpToDate";
  std::string qe_status = "UpToDate";
};

dcap::Collateral BuildCollateral(const TestPki& pki, const CollateralSpec& spec);

}  // namespace cocoon::attestation::testing

namespace cocoon::attestation::testing {

struct AzEvidenceParts {
  std::string var_data;
  std::string hcl_report;
  std::string td_quote;
  std::string tpm_message;
  std::string tpm_signature;
  std::vector<std::string> pcrs;
};

// Synthetic Azure TDX vTPM evidence signed by `pki` (TD quote) and a fresh RSA AK (TPM quote):
// var data names the AK as HCLAkPub and carries `user_data` (hex) as "user-data".
// `init_data_hash` (32 bytes) sets PCR 8 the way the attester extends it.
std::string BuildAzEvidence(const TestPki& pki, absl::string_view nonce, int version,
                            absl::string_view user_data, absl::string_view init_data_hash = "",
                            AzEvidenceParts* parts = nullptr);

}  // namespace cocoon::attestation::testing

#endif  // COCOON_TESTS_UNIT_ATTESTATION_TEST_PKI_H_
