// TPM 2.0 access on tpm2-tss ESYS: TCTI selection from a configuration string, NV indices, PCRs,
// quotes with a persistent attestation key, and provisioning of such a key. ESYS types stay in
// tpm.cc; this header exposes bytes and small structs only.
//
// TCTI strings are tss2 loader strings: "device:/dev/tpmrm0" (the kernel resource manager, the
// default), "swtpm:host=127.0.0.1,port=2321" (swtpm over TCP, used by tests and the Azure vTPM
// emulator), "tabrmd:bus_type=session". Authorization is the empty owner password throughout, as
// on an Azure CVM's vTPM.
//
// A Tpm object is safe to share between threads; operations are serialized. Transient objects
// are flushed before an operation returns (a raw swtpm has no resource manager). Open() sets
// TSS2_LOG=all+NONE unless the environment sets it, so tpm2-tss does not print expected errors.
#ifndef COCOON_TPM_TPM_H_
#define COCOON_TPM_TPM_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/keys.h"

namespace cocoon::tpm {

inline constexpr absl::string_view kDefaultTcti = "device:/dev/tpmrm0";

// TPMA_NV bits used for ordinary indices.
inline constexpr uint32_t kNvOwnerWrite = 0x00000002;
inline constexpr uint32_t kNvAuthWrite = 0x00000004;
inline constexpr uint32_t kNvOwnerRead = 0x00020000;
inline constexpr uint32_t kNvAuthRead = 0x00040000;
inline constexpr uint32_t kNvNoDa = 0x02000000;

// All 24 PCRs of a bank.
inline constexpr uint32_t kAllPcrs = 0xFFFFFF;

struct TpmQuote {
  std::string attest;             // marshalled TPMS_ATTEST (no TPM2B size prefix)
  uint16_t sig_alg = 0;           // TPM_ALG_ID of the signature (0x0014 RSASSA)
  uint16_t sig_hash = 0;          // TPM_ALG_ID of its hash (0x000B SHA-256)
  std::string signature;          // RSA: the raw signature; ECDSA: r || s
  std::vector<std::string> pcrs;  // SHA-256 values of the quoted PCRs, ascending, read after
};

class Tpm {
 public:
  // Loads the TCTI named by `tcti` and opens an ESYS context on it.
  static absl::StatusOr<std::unique_ptr<Tpm>> Open(absl::string_view tcti = kDefaultTcti);
  ~Tpm();
  Tpm(const Tpm&) = delete;
  Tpm& operator=(const Tpm&) = delete;

  const std::string& tcti() const { return tcti_; }

  // TPM_PT_NV_BUFFER_MAX: the largest NV_Read/NV_Write chunk.
  absl::StatusOr<uint32_t> NvBufferMax();

  // False when no index is defined at `index`.
  absl::StatusOr<bool> NvExists(uint32_t index);
  // The defined data size of the index; kNotFound when it is not defined.
  absl::StatusOr<uint16_t> NvSize(uint32_t index);
  // Defines an ordinary index with the empty auth value in the owner hierarchy.
  absl::Status NvDefine(uint32_t index, uint16_t size,
                        uint32_t attributes = kNvOwnerWrite | kNvOwnerRead);
  absl::Status NvUndefine(uint32_t index);
  // Writes `data` at `offset` with owner authorization, in NV_BUFFER_MAX chunks.
  absl::Status NvWrite(uint32_t index, absl::string_view data, uint16_t offset = 0);
  // Reads the whole index (owner authorization), in NV_BUFFER_MAX chunks.
  absl::StatusOr<std::string> NvRead(uint32_t index);
  absl::StatusOr<std::string> NvRead(uint32_t index, uint16_t offset, uint16_t size);

  // SHA-256 bank values of the PCRs set in `mask` (bit i = PCR i), ascending.
  absl::StatusOr<std::vector<std::string>> PcrRead(uint32_t mask = kAllPcrs);
  // Extends the SHA-256 bank of `pcr` (0..23) with a 32-byte digest.
  absl::Status PcrExtend(int pcr, absl::string_view sha256_digest);

  // TPM2_Quote with the key at persistent handle `key_handle` over the SHA-256 PCRs in `mask`,
  // the key's default scheme, and `qualifying_data` (at most 64 bytes) as extraData; then reads
  // the quoted PCR values.
  absl::StatusOr<TpmQuote> Quote(uint32_t key_handle, absl::string_view qualifying_data,
                                 uint32_t mask = kAllPcrs);

  // The public key of the object at `handle` (RSA or EC P-256).
  absl::StatusOr<crypto::PublicKey> ReadPublicKey(uint32_t handle);

  // Creates an RSA-2048 restricted signing key (RSASSA-SHA256, fixedTPM/fixedParent, empty
  // auth) as a primary in the owner hierarchy and makes it persistent at `persistent_handle`,
  // replacing an object already there. For provisioning test TPMs (the Azure vTPM emulator).
  absl::Status CreateAttestationKey(uint32_t persistent_handle);

 private:
  struct Ctx;
  explicit Tpm(std::unique_ptr<Ctx> ctx, std::string tcti);

  std::unique_ptr<Ctx> ctx_;
  std::string tcti_;
  std::mutex mu_;
};

// "0x01400001".
std::string HandleHex(uint32_t handle);

}  // namespace cocoon::tpm

#endif  // COCOON_TPM_TPM_H_
