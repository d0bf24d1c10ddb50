// X.509 side of DCAP: the pinned Intel SGX Root CA, PEM chains, CRLs, PCK SGX extensions and
// chain verification at an injected time with expiry reported as a flag.
#ifndef COCOON_ATTESTATION_DCAP_PKI_H_
#define COCOON_ATTESTATION_DCAP_PKI_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "attestation/dcap/crypto_util.h"

namespace cocoon::attestation::dcap {

// SHA-256 of the DER of the Intel SGX Root CA certificate.
inline constexpr absl::string_view kIntelSgxRootCaSha256 =
    "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3";

// The roots a verifier trusts: the pinned Intel SGX Root CA, plus roots added explicitly (test
// PKIs). Immutable after construction; share it between threads.
class TrustedRoots {
 public:
  // Only the Intel SGX Root CA.
  static absl::StatusOr<TrustedRoots> IntelOnly();
  // The Intel root plus every certificate in `pem_bundles` (each may hold several).
  static absl::StatusOr<TrustedRoots> WithExtra(const std::vector<std::string>& pem_bundles);

  // Lower-case hex SHA-256 fingerprints of the DER certificates.
  const std::vector<std::string>& fingerprints() const { return fingerprints_; }
  bool IsTrusted(X509* cert) const;
  X509_STORE* store() const { return store_.get(); }
  bool has_extra_roots() const { return fingerprints_.size() > 1; }
  // Unique per process (cache key component).
  uint64_t id() const { return id_; }

 private:
  uint64_t id_ = 0;
  std::shared_ptr<X509_STORE> store_;
  std::vector<std::string> fingerprints_;
};

// Hex SHA-256 of a certificate's DER.
std::string CertFingerprint(X509* cert);
std::string CertSubjectCn(X509* cert);

// Splits PEM certificates (a trailing NUL and surrounding whitespace are tolerated). `what` names
// the input in errors.
absl::StatusOr<std::vector<X509Ptr>> ParsePemCertificates(absl::string_view pem,
                                                          absl::string_view what);
// A CRL as DER, PEM, or hex-encoded DER (PCCS /rootcacrl).
absl::StatusOr<X509CrlPtr> ParseCrl(absl::string_view data, absl::string_view what);

enum class PckCaKind { kPlatform, kProcessor };

// The PCK certificate's SGX extension (OID 1.2.840.113741.1.13.1).
struct SgxExtensions {
  std::string ppid;  // 16
  std::array<uint8_t, 16> cpu_svn_components{};
  uint16_t pcesvn = 0;
  std::string cpusvn;  // 16
  std::string pce_id;  // 2
  std::string fmspc;   // 6
  int sgx_type = 0;    // 0 Standard, 1 Scalable, 2 ScalableWithIntegrity
  std::optional<std::string> platform_instance_id;  // 16, Platform CA PCKs
  std::optional<bool> dynamic_platform;
  std::optional<bool> cached_keys;
  std::optional<bool> smt_enabled;
};
absl::StatusOr<SgxExtensions> ParseSgxExtensions(X509* pck);
// DER form, for the fuzzer: the content of the extension's OCTET STRING.
absl::StatusOr<SgxExtensions> ParseSgxExtensionsDer(absl::string_view der);

struct ChainCheck {
  bool expired = false;  // a certificate or CRL was outside its validity at the given time
  absl::Time earliest_expiration = absl::InfiniteFuture();  // min notAfter / CRL nextUpdate
  std::vector<X509*> chain;  // leaf .. trust anchor, owned by the store / inputs
};

// Verifies `leaf` through `intermediates` to one of `roots` at `at`. Every certificate of the
// built chain is checked against `crls` (one per issuer must be present: a missing CRL fails).
// Expiry of a certificate or a CRL does not fail: it sets `expired`. With `check_time` false no
// validity period is looked at. `what` prefixes errors;
// `leaf_name` / `intermediate_name` name the certificates in revocation errors.
absl::StatusOr<ChainCheck> VerifyCertChain(X509* leaf, const std::vector<X509*>& intermediates,
                                           const std::vector<X509_CRL*>& crls,
                                           const TrustedRoots& roots, absl::Time at,
                                           absl::string_view what, absl::string_view leaf_name,
                                           absl::string_view intermediate_name,
                                           bool check_time = true);

}  // namespace cocoon::attestation::dcap

#endif  // COCOON_ATTESTATION_DCAP_PKI_H_
