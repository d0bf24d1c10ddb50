#include "tpm/tpm.h"

#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status.h"

namespace cocoon::tpm {
namespace {

constexpr TSS2_RC kLayerMask = 0xFF0000;

absl::Status RcStatus(TSS2_RC rc, absl::string_view what) {
  absl::StatusCode code = absl::StatusCode::kInternal;
  if ((rc & kLayerMask) == TSS2_TCTI_RC_LAYER) code = absl::StatusCode::kUnavailable;
  return absl::Status(code, absl::StrFormat("%s failed: %s (0x%x)", what, Tss2_RC_Decode(rc), rc));
}

// A TPM format-1 error naming a handle: TPM_RC_HANDLE for an undefined index or object.
bool IsHandleError(TSS2_RC rc) {
  if ((rc & kLayerMask) != TSS2_TPM_RC_LAYER && (rc & kLayerMask) != TSS2_RESMGR_TPM_RC_LAYER &&
      (rc & kLayerMask) != TSS2_RESMGR_RC_LAYER) {
    return false;
  }
  rc &= 0xFFFF;
  return (rc & TPM2_RC_FMT1) != 0 && (rc & 0x3F) == (TPM2_RC_HANDLE & 0x3F);
}

template <typename T>
struct EsysFree {
  void operator()(T* p) const { Esys_Free(p); }
};
template <typename T>
using EsysPtr = std::unique_ptr<T, EsysFree<T>>;

std::string BigEndian(uint32_t v) {
  std::string out;
  bool started = false;
  for (int shift = 24; shift >= 0; shift -= 8) {
    auto b = static_cast<char>((v >> shift) & 0xFF);
    if (b != 0 || started) {
      out.push_back(b);
      started = true;
    }
  }
  return out;
}

TPML_PCR_SELECTION Sha256Selection(uint32_t mask) {
  TPML_PCR_SELECTION sel{};
  sel.count = 1;
  sel.pcrSelections[0].hash = TPM2_ALG_SHA256;
  sel.pcrSelections[0].sizeofSelect = 3;
  sel.pcrSelections[0].pcrSelect[0] = mask & 0xFF;
  sel.pcrSelections[0].pcrSelect[1] = (mask >> 8) & 0xFF;
  sel.pcrSelections[0].pcrSelect[2] = (mask >> 16) & 0xFF;
  return sel;
}

}  // namespace

std::string HandleHex(uint32_t handle) { return absl::StrFormat("0x%08x", handle); }

struct Tpm::Ctx {
  TSS2_TCTI_CONTEXT* tcti = nullptr;
  ESYS_CONTEXT* esys = nullptr;
  uint32_t nv_buffer_max = 0;
  ~Ctx() {
    if (esys != nullptr) Esys_Finalize(&esys);
    if (tcti != nullptr) Tss2_TctiLdr_Finalize(&tcti);
  }

  // An ESYS_TR for a TPM handle; the caller closes it with Esys_TR_Close.
  absl::StatusOr<ESYS_TR> FromHandle(uint32_t handle, absl::string_view what) {
    ESYS_TR tr = ESYS_TR_NONE;
    TSS2_RC rc = Esys_TR_FromTPMPublic(esys, handle, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &tr);
    if (rc == TSS2_RC_SUCCESS) return tr;
    if (IsHandleError(rc)) {
      return absl::NotFoundError(absl::StrCat(what, ": handle ", HandleHex(handle),
                                              " is not defined (", Tss2_RC_Decode(rc), ")"));
    }
    return RcStatus(rc, absl::StrCat(what, ": TR_FromTPMPublic(", HandleHex(handle), ")"));
  }

  void Close(ESYS_TR* tr) {
    if (*tr != ESYS_TR_NONE) Esys_TR_Close(esys, tr);
  }

  absl::StatusOr<uint32_t> BufferMax() {
    if (nv_buffer_max != 0) return nv_buffer_max;
    TPMI_YES_NO more = TPM2_NO;
    TPMS_CAPABILITY_DATA* raw = nullptr;
    TSS2_RC rc = Esys_GetCapability(esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
                                    TPM2_CAP_TPM_PROPERTIES, TPM2_PT_NV_BUFFER_MAX, 1, &more, &raw);
    EsysPtr<TPMS_CAPABILITY_DATA> cap(raw);
    if (rc != TSS2_RC_SUCCESS) return RcStatus(rc, "GetCapability(TPM_PT_NV_BUFFER_MAX)");
    const TPML_TAGGED_TPM_PROPERTY& props = cap->data.tpmProperties;
    if (props.count < 1 || props.tpmProperty[0].property != TPM2_PT_NV_BUFFER_MAX ||
        props.tpmProperty[0].value == 0) {
      nv_buffer_max = 512;  // the TCG minimum, if the TPM does not say
    } else {
      nv_buffer_max = props.tpmProperty[0].value;
    }
    if (nv_buffer_max > TPM2_MAX_NV_BUFFER_SIZE) nv_buffer_max = TPM2_MAX_NV_BUFFER_SIZE;
    return nv_buffer_max;
  }

  absl::StatusOr<uint16_t> Size(ESYS_TR tr, uint32_t index) {
    TPM2B_NV_PUBLIC* raw_pub = nullptr;
    TPM2B_NAME* raw_name = nullptr;
    TSS2_RC rc =
        Esys_NV_ReadPublic(esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw_pub, &raw_name);
    EsysPtr<TPM2B_NV_PUBLIC> pub(raw_pub);
    EsysPtr<TPM2B_NAME> name(raw_name);
    if (rc != TSS2_RC_SUCCESS) {
      return RcStatus(rc, absl::StrCat("NV_ReadPublic(", HandleHex(index), ")"));
    }
    return pub->nvPublic.dataSize;
  }
};

Tpm::Tpm(std::unique_ptr<Ctx> ctx, std::string tcti)
    : ctx_(std::move(ctx)), tcti_(std::move(tcti)) {}
Tpm::~Tpm() = default;

absl::StatusOr<std::unique_ptr<Tpm>> Tpm::Open(absl::string_view tcti) {
  // tpm2-tss logs expected TPM errors (an undefined NV index while probing) to stderr; libraries
  // do not log, so silence it unless the operator asked for tss2 logging.
  static std::once_flag quiet;
  std::call_once(quiet, [] { ::setenv("TSS2_LOG", "all+NONE", /*overwrite=*/0); });
  auto ctx = std::make_unique<Ctx>();
  std::string conf(tcti);
  TSS2_RC rc = Tss2_TctiLdr_Initialize(conf.c_str(), &ctx->tcti);
  if (rc != TSS2_RC_SUCCESS) {
    ctx->tcti = nullptr;
    return absl::UnavailableError(absl::StrFormat("TPM: loading TCTI \"%s\" failed: %s (0x%x)",
                                                  conf, Tss2_RC_Decode(rc), rc));
  }
  rc = Esys_Initialize(&ctx->esys, ctx->tcti, nullptr);
  if (rc != TSS2_RC_SUCCESS) {
    ctx->esys = nullptr;
    return Annotate(RcStatus(rc, "Esys_Initialize"), absl::StrCat("TPM at \"", conf, "\""));
  }
  return std::unique_ptr<Tpm>(new Tpm(std::move(ctx), conf));
}

absl::StatusOr<uint32_t> Tpm::NvBufferMax() {
  std::lock_guard<std::mutex> lock(mu_);
  return ctx_->BufferMax();
}

absl::StatusOr<bool> Tpm::NvExists(uint32_t index) {
  auto size = NvSize(index);
  if (size.ok()) return true;
  if (size.status().code() == absl::StatusCode::kNotFound) return false;
  return size.status();
}

absl::StatusOr<uint16_t> Tpm::NvSize(uint32_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  COCOON_ASSIGN_OR_RETURN(ESYS_TR tr, ctx_->FromHandle(index, "TPM NV size"));
  auto size = ctx_->Size(tr, index);
  ctx_->Close(&tr);
  return size;
}

absl::Status Tpm::NvDefine(uint32_t index, uint16_t size, uint32_t attributes) {
  std::lock_guard<std::mutex> lock(mu_);
  TPM2B_AUTH auth{};
  TPM2B_NV_PUBLIC pub{};
  pub.nvPublic.nvIndex = index;
  pub.nvPublic.nameAlg = TPM2_ALG_SHA256;
  pub.nvPublic.attributes = attributes;
  pub.nvPublic.dataSize = size;
  ESYS_TR tr = ESYS_TR_NONE;
  TSS2_RC rc = Esys_NV_DefineSpace(ctx_->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                   ESYS_TR_NONE, &auth, &pub, &tr);
  if (rc != TSS2_RC_SUCCESS) {
    return RcStatus(rc,
                    absl::StrCat("TPM NV_DefineSpace(", HandleHex(index), ", size ", size, ")"));
  }
  ctx_->Close(&tr);
  return absl::OkStatus();
}

absl::Status Tpm::NvUndefine(uint32_t index) {
  std::lock_guard<std::mutex> lock(mu_);
  COCOON_ASSIGN_OR_RETURN(ESYS_TR tr, ctx_->FromHandle(index, "TPM NV_UndefineSpace"));
  TSS2_RC rc = Esys_NV_UndefineSpace(ctx_->esys, ESYS_TR_RH_OWNER, tr, ESYS_TR_PASSWORD,
                                     ESYS_TR_NONE, ESYS_TR_NONE);
  if (rc != TSS2_RC_SUCCESS) {
    ctx_->Close(&tr);
    return RcStatus(rc, absl::StrCat("TPM NV_UndefineSpace(", HandleHex(index), ")"));
  }
  // A successful undefine flushes the ESYS object itself.
  return absl::OkStatus();
}

absl::Status Tpm::NvWrite(uint32_t index, absl::string_view data, uint16_t offset) {
  std::lock_guard<std::mutex> lock(mu_);
  COCOON_ASSIGN_OR_RETURN(uint32_t chunk_max, ctx_->BufferMax());
  COCOON_ASSIGN_OR_RETURN(ESYS_TR tr, ctx_->FromHandle(index, "TPM NV_Write"));
  absl::Status status;
  size_t done = 0;
  while (done < data.size() && status.ok()) {
    size_t n = std::min<size_t>(chunk_max, data.size() - done);
    TPM2B_MAX_NV_BUFFER buf{};
    buf.size = static_cast<uint16_t>(n);
    std::memcpy(buf.buffer, data.data() + done, n);
    size_t at = offset + done;
    TSS2_RC rc = Esys_NV_Write(ctx_->esys, ESYS_TR_RH_OWNER, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, &buf, static_cast<uint16_t>(at));
    if (rc != TSS2_RC_SUCCESS) {
      status = RcStatus(
          rc, absl::StrCat("TPM NV_Write(", HandleHex(index), ", offset ", at, ", ", n, " bytes)"));
    }
    done += n;
  }
  ctx_->Close(&tr);
  return status;
}

absl::StatusOr<std::string> Tpm::NvRead(uint32_t index) {
  COCOON_ASSIGN_OR_RETURN(uint16_t size, NvSize(index));
  return NvRead(index, 0, size);
}

absl::StatusOr<std::string> Tpm::NvRead(uint32_t index, uint16_t offset, uint16_t size) {
  std::lock_guard<std::mutex> lock(mu_);
  COCOON_ASSIGN_OR_RETURN(uint32_t chunk_max, ctx_->BufferMax());
  COCOON_ASSIGN_OR_RETURN(ESYS_TR tr, ctx_->FromHandle(index, "TPM NV_Read"));
  std::string out;
  out.reserve(size);
  absl::Status status;
  while (out.size() < size) {
    auto n = static_cast<uint16_t>(std::min<size_t>(chunk_max, size - out.size()));
    size_t at = offset + out.size();
    TPM2B_MAX_NV_BUFFER* raw = nullptr;
    TSS2_RC rc = Esys_NV_Read(ctx_->esys, ESYS_TR_RH_OWNER, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                              ESYS_TR_NONE, n, static_cast<uint16_t>(at), &raw);
    EsysPtr<TPM2B_MAX_NV_BUFFER> buf(raw);
    if (rc != TSS2_RC_SUCCESS) {
      status = RcStatus(
          rc, absl::StrCat("TPM NV_Read(", HandleHex(index), ", offset ", at, ", ", n, " bytes)"));
      break;
    }
    if (buf->size == 0 || buf->size > n) {
      status = absl::DataLossError(absl::StrCat("TPM NV_Read(", HandleHex(index), ", offset ", at,
                                                "): returned ", buf->size, " bytes for ", n));
      break;
    }
    out.append(reinterpret_cast<const char*>(buf->buffer), buf->size);
  }
  ctx_->Close(&tr);
  if (!status.ok()) return status;
  return out;
}

absl::StatusOr<std::vector<std::string>> Tpm::PcrRead(uint32_t mask) {
  std::lock_guard<std::mutex> lock(mu_);
  mask &= kAllPcrs;
  std::vector<std::pair<int, std::string>> values;
  uint32_t remaining = mask;
  while (remaining != 0) {
    TPML_PCR_SELECTION sel = Sha256Selection(remaining);
    UINT32 counter = 0;
    TPML_PCR_SELECTION* raw_out = nullptr;
    TPML_DIGEST* raw_values = nullptr;
    TSS2_RC rc = Esys_PCR_Read(ctx_->esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &sel, &counter,
                               &raw_out, &raw_values);
    EsysPtr<TPML_PCR_SELECTION> out(raw_out);
    EsysPtr<TPML_DIGEST> digests(raw_values);
    if (rc != TSS2_RC_SUCCESS) {
      return RcStatus(rc, absl::StrFormat("TPM PCR_Read(sha256, mask 0x%06x)", remaining));
    }
    uint32_t got = 0;
    for (uint32_t i = 0; i < out->count; ++i) {
      if (out->pcrSelections[i].hash != TPM2_ALG_SHA256) continue;
      for (int b = 0; b < 3 && b < out->pcrSelections[i].sizeofSelect; ++b) {
        got |= uint32_t{out->pcrSelections[i].pcrSelect[b]} << (8 * b);
      }
    }
    got &= remaining;
    if (got == 0) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "TPM PCR_Read: the SHA-256 bank returned none of the PCRs in mask 0x%06x", remaining));
    }
    uint32_t k = 0;
    for (int pcr = 0; pcr < 24; ++pcr) {
      if (!(got & (1u << pcr))) continue;
      if (k >= digests->count) {
        return absl::DataLossError("TPM PCR_Read: fewer digests than selected PCRs");
      }
      values.emplace_back(pcr,
                          std::string(reinterpret_cast<const char*>(digests->digests[k].buffer),
                                      digests->digests[k].size));
      ++k;
    }
    remaining &= ~got;
  }
  std::sort(values.begin(), values.end());
  std::vector<std::string> result;
  for (auto& [pcr, v] : values) result.push_back(std::move(v));
  return result;
}

absl::Status Tpm::PcrExtend(int pcr, absl::string_view sha256_digest) {
  if (pcr < 0 || pcr > 23) {
    return absl::InvalidArgumentError(absl::StrCat("TPM PCR_Extend: PCR ", pcr, " is not 0..23"));
  }
  if (sha256_digest.size() != 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("TPM PCR_Extend(", pcr, "): a SHA-256 digest of 32 bytes is required, got ",
                     sha256_digest.size()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  TPML_DIGEST_VALUES digests{};
  digests.count = 1;
  digests.digests[0].hashAlg = TPM2_ALG_SHA256;
  std::memcpy(digests.digests[0].digest.sha256, sha256_digest.data(), 32);
  TSS2_RC rc = Esys_PCR_Extend(ctx_->esys, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                               ESYS_TR_NONE, &digests);
  if (rc != TSS2_RC_SUCCESS) return RcStatus(rc, absl::StrCat("TPM PCR_Extend(", pcr, ")"));
  return absl::OkStatus();
}

absl::StatusOr<TpmQuote> Tpm::Quote(uint32_t key_handle, absl::string_view qualifying_data,
                                    uint32_t mask) {
  if (qualifying_data.size() > sizeof(TPM2B_DATA::buffer)) {
    return absl::InvalidArgumentError(absl::StrCat("TPM Quote: qualifying data of ",
                                                   qualifying_data.size(),
                                                   " bytes exceeds the TPM2B_DATA maximum of 64"));
  }
  TpmQuote result;
  {
    std::lock_guard<std::mutex> lock(mu_);
    COCOON_ASSIGN_OR_RETURN(ESYS_TR key, ctx_->FromHandle(key_handle, "TPM Quote"));
    TPM2B_DATA nonce{};
    nonce.size = static_cast<uint16_t>(qualifying_data.size());
    std::memcpy(nonce.buffer, qualifying_data.data(), qualifying_data.size());
    TPMT_SIG_SCHEME scheme{};
    scheme.scheme = TPM2_ALG_NULL;
    TPML_PCR_SELECTION sel = Sha256Selection(mask);
    TPM2B_ATTEST* raw_attest = nullptr;
    TPMT_SIGNATURE* raw_sig = nullptr;
    TSS2_RC rc = Esys_Quote(ctx_->esys, key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &nonce,
                            &scheme, &sel, &raw_attest, &raw_sig);
    EsysPtr<TPM2B_ATTEST> attest(raw_attest);
    EsysPtr<TPMT_SIGNATURE> sig(raw_sig);
    ctx_->Close(&key);
    if (rc != TSS2_RC_SUCCESS) {
      return RcStatus(rc, absl::StrCat("TPM Quote(key ", HandleHex(key_handle), ")"));
    }
    result.attest.assign(reinterpret_cast<const char*>(attest->attestationData), attest->size);
    result.sig_alg = sig->sigAlg;
    switch (sig->sigAlg) {
      case TPM2_ALG_RSASSA:
      case TPM2_ALG_RSAPSS:
        result.sig_hash = sig->signature.rsassa.hash;
        result.signature.assign(reinterpret_cast<const char*>(sig->signature.rsassa.sig.buffer),
                                sig->signature.rsassa.sig.size);
        break;
      case TPM2_ALG_ECDSA: {
        const TPMS_SIGNATURE_ECC& ecc = sig->signature.ecdsa;
        result.sig_hash = ecc.hash;
        size_t width = std::max(ecc.signatureR.size, ecc.signatureS.size);
        result.signature.assign(width - ecc.signatureR.size, '\0');
        result.signature.append(reinterpret_cast<const char*>(ecc.signatureR.buffer),
                                ecc.signatureR.size);
        result.signature.append(width - ecc.signatureS.size, '\0');
        result.signature.append(reinterpret_cast<const char*>(ecc.signatureS.buffer),
                                ecc.signatureS.size);
        break;
      }
      default:
        return absl::UnimplementedError(
            absl::StrFormat("TPM Quote(key %s): unsupported signature algorithm 0x%04x",
                            HandleHex(key_handle), sig->sigAlg));
    }
  }
  COCOON_ASSIGN_OR_RETURN_CTX(result.pcrs, PcrRead(mask), "TPM Quote: reading the quoted PCRs");
  return result;
}

absl::StatusOr<crypto::PublicKey> Tpm::ReadPublicKey(uint32_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  COCOON_ASSIGN_OR_RETURN(ESYS_TR tr, ctx_->FromHandle(handle, "TPM ReadPublic"));
  TPM2B_PUBLIC* raw_pub = nullptr;
  TPM2B_NAME* raw_name = nullptr;
  TPM2B_NAME* raw_qname = nullptr;
  TSS2_RC rc = Esys_ReadPublic(ctx_->esys, tr, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &raw_pub,
                               &raw_name, &raw_qname);
  EsysPtr<TPM2B_PUBLIC> pub(raw_pub);
  EsysPtr<TPM2B_NAME> name(raw_name);
  EsysPtr<TPM2B_NAME> qname(raw_qname);
  ctx_->Close(&tr);
  if (rc != TSS2_RC_SUCCESS) {
    return RcStatus(rc, absl::StrCat("TPM ReadPublic(", HandleHex(handle), ")"));
  }
  const TPMT_PUBLIC& area = pub->publicArea;
  if (area.type == TPM2_ALG_RSA) {
    uint32_t e = area.parameters.rsaDetail.exponent;
    if (e == 0) e = 65537;
    return crypto::PublicKey::FromRsa(
        absl::string_view(reinterpret_cast<const char*>(area.unique.rsa.buffer),
                          area.unique.rsa.size),
        BigEndian(e));
  }
  if (area.type == TPM2_ALG_ECC && area.parameters.eccDetail.curveID == TPM2_ECC_NIST_P256) {
    auto pad = [](const TPM2B_ECC_PARAMETER& p) {
      std::string s(reinterpret_cast<const char*>(p.buffer), p.size);
      if (s.size() < 32) s.insert(0, 32 - s.size(), '\0');
      return s;
    };
    return crypto::PublicKey::FromEcPoint(crypto::KeyType::kEcP256, pad(area.unique.ecc.x),
                                          pad(area.unique.ecc.y));
  }
  return absl::UnimplementedError(absl::StrFormat("TPM ReadPublic(%s): unsupported key type 0x%04x",
                                                  HandleHex(handle), area.type));
}

absl::Status Tpm::CreateAttestationKey(uint32_t persistent_handle) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string what =
      absl::StrCat("TPM: creating the attestation key at ", HandleHex(persistent_handle));
  // Replace whatever is persisted there.
  auto existing = ctx_->FromHandle(persistent_handle, what);
  if (existing.ok()) {
    ESYS_TR tr = *existing;
    ESYS_TR none = ESYS_TR_NONE;
    TSS2_RC rc = Esys_EvictControl(ctx_->esys, ESYS_TR_RH_OWNER, tr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                   ESYS_TR_NONE, persistent_handle, &none);
    if (rc != TSS2_RC_SUCCESS) {
      ctx_->Close(&tr);
      return RcStatus(rc, absl::StrCat(what, ": EvictControl (remove the old key)"));
    }
  } else if (existing.status().code() != absl::StatusCode::kNotFound) {
    return existing.status();
  }

  TPM2B_SENSITIVE_CREATE sensitive{};
  TPM2B_PUBLIC in_public{};
  TPMT_PUBLIC& area = in_public.publicArea;
  area.type = TPM2_ALG_RSA;
  area.nameAlg = TPM2_ALG_SHA256;
  area.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
                          TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
                          TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
  area.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
  area.parameters.rsaDetail.scheme.scheme = TPM2_ALG_RSASSA;
  area.parameters.rsaDetail.scheme.details.rsassa.hashAlg = TPM2_ALG_SHA256;
  area.parameters.rsaDetail.keyBits = 2048;
  area.parameters.rsaDetail.exponent = 0;
  TPM2B_DATA outside{};
  TPML_PCR_SELECTION creation_pcr{};
  ESYS_TR key = ESYS_TR_NONE;
  TPM2B_PUBLIC* raw_pub = nullptr;
  TPM2B_CREATION_DATA* raw_cd = nullptr;
  TPM2B_DIGEST* raw_hash = nullptr;
  TPMT_TK_CREATION* raw_ticket = nullptr;
  TSS2_RC rc = Esys_CreatePrimary(ctx_->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                                  ESYS_TR_NONE, &sensitive, &in_public, &outside, &creation_pcr,
                                  &key, &raw_pub, &raw_cd, &raw_hash, &raw_ticket);
  EsysPtr<TPM2B_PUBLIC> out_pub(raw_pub);
  EsysPtr<TPM2B_CREATION_DATA> cd(raw_cd);
  EsysPtr<TPM2B_DIGEST> hash(raw_hash);
  EsysPtr<TPMT_TK_CREATION> ticket(raw_ticket);
  if (rc != TSS2_RC_SUCCESS) return RcStatus(rc, absl::StrCat(what, ": CreatePrimary"));
  ESYS_TR persistent = ESYS_TR_NONE;
  rc = Esys_EvictControl(ctx_->esys, ESYS_TR_RH_OWNER, key, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                         ESYS_TR_NONE, persistent_handle, &persistent);
  Esys_FlushContext(ctx_->esys, key);
  if (rc != TSS2_RC_SUCCESS) return RcStatus(rc, absl::StrCat(what, ": EvictControl"));
  ctx_->Close(&persistent);
  return absl::OkStatus();
}

}  // namespace cocoon::tpm
