// OpenSSL helpers shared by the attestation verifiers: raw ECDSA P-256 (r||s) and RSA PKCS#1 v1.5
// signature checks, keys from raw coordinates or JWK numbers, and located OpenSSL errors.
// Internal to src/attestation: it includes OpenSSL headers.
#ifndef COCOON_ATTESTATION_DCAP_CRYPTO_UTIL_H_
#define COCOON_ATTESTATION_DCAP_CRYPTO_UTIL_H_

#include <openssl/x509.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "crypto/ossl_ptr.h"

namespace cocoon::attestation {

using crypto::EvpPkeyPtr;
using crypto::X509Ptr;
using X509CrlPtr = std::unique_ptr<X509_CRL, crypto::OsslDeleter<X509_CRL_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, crypto::OsslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, crypto::OsslDeleter<X509_STORE_CTX_free>>;

// "<what>: <OpenSSL reason>", draining the thread's error queue.
absl::Status OsslError(absl::string_view what,
                       absl::StatusCode code = absl::StatusCode::kInvalidArgument);

// P-256 public key from the 64-byte X||Y (no 0x04 prefix).
absl::StatusOr<EvpPkeyPtr> P256KeyFromXY(absl::string_view xy);
// RSA public key from big-endian modulus and exponent.
absl::StatusOr<EvpPkeyPtr> RsaKeyFromNumbers(absl::string_view n, absl::string_view e);

// ECDSA-SHA256 over `data` with a raw 64-byte r||s signature. A bad signature is
// kInvalidArgument "<what>: signature does not verify".
absl::Status VerifyEcdsaP256Raw(EVP_PKEY* key, absl::string_view data, absl::string_view sig,
                                absl::string_view what);
// RSASSA-PKCS1-v1_5 with SHA-256.
absl::Status VerifyRsaPkcs1Sha256(EVP_PKEY* key, absl::string_view data, absl::string_view sig,
                                  absl::string_view what);

// Raw r||s (2*n bytes) to a DER ECDSA-Sig-Value, and back.
absl::StatusOr<std::string> EcdsaRawToDer(absl::string_view raw);
absl::StatusOr<std::string> EcdsaDerToRaw(absl::string_view der, size_t field_size);

absl::Time Asn1TimeToAbsl(const ASN1_TIME* t);

}  // namespace cocoon::attestation

#endif  // COCOON_ATTESTATION_DCAP_CRYPTO_UTIL_H_
