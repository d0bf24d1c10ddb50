#include "crypto/jose/jwe.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/aead.h"
#include "crypto/asymmetric.h"
#include "crypto/jose/internal.h"
#include "crypto/key_wrap.h"
#include "crypto/stream_cipher.h"

namespace cocoon::jose {
namespace {

using internal::DecodeB64Url;

// JWEs here carry keys and small resources; anything larger is refused before any work.
constexpr size_t kMaxJweSize = 64u << 20;
constexpr size_t kMaxRecipients = 256;

enum class KeyAlg { kRsaOaep, kRsaOaep256, kRsa15, kEcdhEs, kEcdhEsKw };

struct KeyAlgInfo {
  absl::string_view name;
  KeyAlg alg;
  size_t kw_bytes;  // AES key-wrap key size for ECDH-ES+AxxxKW
};

constexpr KeyAlgInfo kKeyAlgs[] = {
    {"RSA-OAEP", KeyAlg::kRsaOaep, 0},
    {"RSA-OAEP-256", KeyAlg::kRsaOaep256, 0},
    {"RSA1_5", KeyAlg::kRsa15, 0},
    {"ECDH-ES", KeyAlg::kEcdhEs, 0},
    {"ECDH-ES+A128KW", KeyAlg::kEcdhEsKw, 16},
    {"ECDH-ES+A192KW", KeyAlg::kEcdhEsKw, 24},
    {"ECDH-ES+A256KW", KeyAlg::kEcdhEsKw, 32},
};

const KeyAlgInfo* FindKeyAlg(absl::string_view name) {
  for (const KeyAlgInfo& info : kKeyAlgs) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

bool IsRsaAlg(KeyAlg alg) {
  return alg == KeyAlg::kRsaOaep || alg == KeyAlg::kRsaOaep256 || alg == KeyAlg::kRsa15;
}

bool AlgFitsKey(const KeyAlgInfo& info, crypto::KeyType type) {
  return IsRsaAlg(info.alg) ? type == crypto::KeyType::kRsa : crypto::IsEcKeyType(type);
}

struct EncInfo {
  absl::string_view name;
  bool gcm;
  size_t key_bytes;
};

constexpr EncInfo kEncs[] = {
    {"A128GCM", true, 16},        {"A192GCM", true, 24},        {"A256GCM", true, 32},
    {"A128CBC-HS256", false, 32}, {"A192CBC-HS384", false, 48}, {"A256CBC-HS512", false, 64},
};

absl::StatusOr<const EncInfo*> FindEnc(absl::string_view name) {
  for (const EncInfo& info : kEncs) {
    if (info.name == name) return &info;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("JWE: content encryption \"enc\" \"", name,
                   "\" is not supported (A128GCM, A192GCM, A256GCM, A128CBC-HS256, A192CBC-HS384, "
                   "A256CBC-HS512 are)"));
}

// The parsed form plus the merged header of each recipient.
struct JweInternal {
  ParsedJwe parsed;
  std::vector<Json> merged;  // one per recipient
};

absl::StatusOr<Json> ParseHeaderObject(absl::string_view text, absl::string_view what) {
  COCOON_ASSIGN_OR_RETURN(Json value, ParseJson(text, what));
  if (!value.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a JSON object, got ", value.type_name()));
  }
  return value;
}

absl::StatusOr<std::string> OptionalB64Member(const Json& object, const char* name, bool* present) {
  *present = false;
  auto it = object.find(name);
  if (it == object.end()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWE ", name, ": must be a string, got ", it->type_name()));
  }
  *present = true;
  return DecodeB64Url(it->get_ref<const std::string&>(), absl::StrCat("JWE ", name));
}

absl::StatusOr<std::string> RequiredB64Member(const Json& object, const char* name) {
  bool present = false;
  COCOON_ASSIGN_OR_RETURN(std::string value, OptionalB64Member(object, name, &present));
  if (!present) {
    return absl::InvalidArgumentError(absl::StrCat("JWE: missing member \"", name, "\""));
  }
  return value;
}

// Merges the headers of one recipient (RFC 7516 7.2.1: member names must be disjoint).
absl::StatusOr<Json> MergeHeaders(const Json& protected_header, const Json& unprotected,
                                  const Json& recipient_header) {
  Json merged = Json::object();
  for (const Json* part : {&protected_header, &unprotected, &recipient_header}) {
    if (!part->is_object()) continue;
    for (auto it = part->begin(); it != part->end(); ++it) {
      if (merged.contains(it.key())) {
        return absl::InvalidArgumentError(
            absl::StrCat("JWE header: member \"", it.key(), "\" appears in more than one header"));
      }
      merged[it.key()] = it.value();
    }
  }
  if (merged.contains("crit")) {
    return absl::InvalidArgumentError("JWE header: \"crit\" extensions are not supported");
  }
  if (merged.contains("zip")) {
    return absl::InvalidArgumentError("JWE header: compression (\"zip\") is not supported");
  }
  for (const char* name : {"alg", "enc"}) {
    auto it = merged.find(name);
    if (it == merged.end()) {
      return absl::InvalidArgumentError(absl::StrCat("JWE header: missing \"", name, "\""));
    }
    if (!it->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWE header: \"", name, "\" must be a string"));
    }
  }
  return merged;
}

absl::StatusOr<JweInternal> ParseInternal(absl::string_view text) {
  if (text.size() > kMaxJweSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWE: input of ", text.size(), " bytes exceeds the 64 MiB limit"));
  }
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == absl::string_view::npos) return absl::InvalidArgumentError("JWE: empty input");

  JweInternal out;
  ParsedJwe& p = out.parsed;
  Json protected_header = Json::object();
  Json unprotected = Json::object();
  std::vector<Json> recipient_headers;

  if (text[first] == '{') {
    COCOON_ASSIGN_OR_RETURN(Json object, ParseJson(text, "JWE JSON serialization"));
    if (!object.is_object()) {
      return absl::InvalidArgumentError("JWE JSON serialization: expected a JSON object");
    }
    if (auto it = object.find("protected"); it != object.end()) {
      if (!it->is_string()) {
        return absl::InvalidArgumentError("JWE protected: must be a string");
      }
      p.protected_b64 = it->get<std::string>();
      COCOON_ASSIGN_OR_RETURN(p.protected_header, DecodeB64Url(p.protected_b64, "JWE protected"));
      COCOON_ASSIGN_OR_RETURN(protected_header,
                              ParseHeaderObject(p.protected_header, "JWE protected header"));
    }
    if (auto it = object.find("unprotected"); it != object.end()) {
      if (!it->is_object()) {
        return absl::InvalidArgumentError("JWE unprotected: must be a JSON object");
      }
      unprotected = *it;
      p.unprotected = it->dump();
    }
    if (auto it = object.find("recipients"); it != object.end()) {
      p.form = JweSerialization::kGeneral;
      if (!it->is_array() || it->empty()) {
        return absl::InvalidArgumentError("JWE recipients: must be a non-empty array");
      }
      if (it->size() > kMaxRecipients) {
        return absl::InvalidArgumentError(
            absl::StrCat("JWE recipients: more than ", kMaxRecipients, " recipients"));
      }
      for (size_t i = 0; i < it->size(); ++i) {
        const Json& r = (*it)[i];
        const std::string where = absl::StrCat("JWE recipients[", i, "]");
        if (!r.is_object()) {
          return absl::InvalidArgumentError(absl::StrCat(where, ": must be a JSON object"));
        }
        ParsedJweRecipient recipient;
        Json header = Json::object();
        if (auto h = r.find("header"); h != r.end()) {
          if (!h->is_object()) {
            return absl::InvalidArgumentError(absl::StrCat(where, ".header: must be an object"));
          }
          header = *h;
          recipient.header = h->dump();
        }
        bool present = false;
        auto key = OptionalB64Member(r, "encrypted_key", &present);
        if (!key.ok()) return Annotate(key.status(), where);
        recipient.encrypted_key = *std::move(key);
        p.recipients.push_back(std::move(recipient));
        recipient_headers.push_back(std::move(header));
      }
    } else {
      p.form = JweSerialization::kFlattened;
      ParsedJweRecipient recipient;
      Json header = Json::object();
      if (auto h = object.find("header"); h != object.end()) {
        if (!h->is_object()) return absl::InvalidArgumentError("JWE header: must be an object");
        header = *h;
        recipient.header = h->dump();
      }
      bool present = false;
      COCOON_ASSIGN_OR_RETURN(recipient.encrypted_key,
                              OptionalB64Member(object, "encrypted_key", &present));
      p.recipients.push_back(std::move(recipient));
      recipient_headers.push_back(std::move(header));
    }
    COCOON_ASSIGN_OR_RETURN(p.iv, RequiredB64Member(object, "iv"));
    COCOON_ASSIGN_OR_RETURN(p.ciphertext, RequiredB64Member(object, "ciphertext"));
    COCOON_ASSIGN_OR_RETURN(p.tag, RequiredB64Member(object, "tag"));
    if (auto it = object.find("aad"); it != object.end()) {
      if (!it->is_string()) return absl::InvalidArgumentError("JWE aad: must be a string");
      p.has_aad = true;
      p.aad_b64 = it->get<std::string>();
      COCOON_ASSIGN_OR_RETURN(p.aad, DecodeB64Url(p.aad_b64, "JWE aad"));
    }
  } else {
    p.form = JweSerialization::kCompact;
    // Surrounding whitespace (a trailing newline in a file) is not part of the token.
    text = absl::StripAsciiWhitespace(text);
    std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
    if (parts.size() != 5) {
      return absl::InvalidArgumentError(absl::StrCat(
          "JWE compact serialization: expected 5 dot-separated parts, got ", parts.size()));
    }
    p.protected_b64 = std::string(parts[0]);
    if (p.protected_b64.empty()) {
      return absl::InvalidArgumentError("JWE protected: empty in compact serialization");
    }
    COCOON_ASSIGN_OR_RETURN(p.protected_header, DecodeB64Url(parts[0], "JWE protected"));
    COCOON_ASSIGN_OR_RETURN(protected_header,
                            ParseHeaderObject(p.protected_header, "JWE protected header"));
    ParsedJweRecipient recipient;
    COCOON_ASSIGN_OR_RETURN(recipient.encrypted_key, DecodeB64Url(parts[1], "JWE encrypted_key"));
    p.recipients.push_back(std::move(recipient));
    recipient_headers.push_back(Json::object());
    COCOON_ASSIGN_OR_RETURN(p.iv, DecodeB64Url(parts[2], "JWE iv"));
    COCOON_ASSIGN_OR_RETURN(p.ciphertext, DecodeB64Url(parts[3], "JWE ciphertext"));
    COCOON_ASSIGN_OR_RETURN(p.tag, DecodeB64Url(parts[4], "JWE tag"));
  }

  for (size_t i = 0; i < p.recipients.size(); ++i) {
    auto merged = MergeHeaders(protected_header, unprotected, recipient_headers[i]);
    if (!merged.ok()) {
      if (p.recipients.size() == 1) return merged.status();
      return Annotate(merged.status(), absl::StrCat("JWE recipients[", i, "]"));
    }
    p.recipients[i].alg = (*merged)["alg"].get<std::string>();
    const std::string enc = (*merged)["enc"].get<std::string>();
    if (i == 0) {
      p.enc = enc;
    } else if (enc != p.enc) {
      return absl::InvalidArgumentError(absl::StrCat("JWE recipients[", i, "]: \"enc\" \"", enc,
                                                     "\" differs from \"", p.enc, "\""));
    }
    out.merged.push_back(*std::move(merged));
  }
  return out;
}

absl::StatusOr<std::string> OptionalHeaderB64(const Json& merged, const char* name) {
  auto it = merged.find(name);
  if (it == merged.end()) return std::string();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(absl::StrCat("JWE header ", name, ": must be a string"));
  }
  return DecodeB64Url(it->get_ref<const std::string&>(), absl::StrCat("JWE header ", name));
}

absl::StatusOr<SecretBytes> EcdhKey(const Json& merged, const crypto::PrivateKey& key,
                                    absl::string_view algorithm_id, size_t key_bytes) {
  auto epk_it = merged.find("epk");
  if (epk_it == merged.end()) {
    return absl::InvalidArgumentError("JWE header: missing \"epk\" for ECDH-ES");
  }
  COCOON_ASSIGN_OR_RETURN(Jwk epk, internal::JwkFromJson(*epk_it, "JWE header epk"));
  if (epk.public_key.type() != key.type()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWE header epk: ", crypto::KeyTypeName(epk.public_key.type()),
                     " key does not match the ", crypto::KeyTypeName(key.type()), " private key"));
  }
  COCOON_ASSIGN_OR_RETURN(std::string apu, OptionalHeaderB64(merged, "apu"));
  COCOON_ASSIGN_OR_RETURN(std::string apv, OptionalHeaderB64(merged, "apv"));
  COCOON_ASSIGN_OR_RETURN(SecretBytes z, crypto::EcdhSharedSecret(key, epk.public_key));
  return crypto::ConcatKdfSha256(z.view(), key_bytes, algorithm_id, apu, apv);
}

absl::Status CheckCekSize(const SecretBytes& cek, const EncInfo& enc) {
  if (cek.size() != enc.key_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("JWE encrypted_key: the key is ", cek.size(),
                                                   " bytes; enc ", enc.name, " needs ",
                                                   enc.key_bytes));
  }
  return absl::OkStatus();
}

absl::StatusOr<SecretBytes> RecoverCek(const Json& merged, const KeyAlgInfo& alg,
                                       absl::string_view encrypted_key,
                                       const crypto::PrivateKey& key, const EncInfo& enc) {
  switch (alg.alg) {
    case KeyAlg::kRsaOaep:
    case KeyAlg::kRsaOaep256: {
      auto cek = crypto::RsaOaepDecrypt(
          key, alg.alg == KeyAlg::kRsaOaep ? crypto::OaepHash::kSha1 : crypto::OaepHash::kSha256,
          encrypted_key);
      if (!cek.ok()) return Annotate(cek.status(), "JWE encrypted_key");
      COCOON_RETURN_IF_ERROR(CheckCekSize(*cek, enc));
      return cek;
    }
    case KeyAlg::kRsa15: {
      // RFC 7516 11.5: on any failure continue with a random key, so that a padding error
      // looks exactly like a wrong tag.
      auto cek = crypto::RsaPkcs1v15Decrypt(key, encrypted_key);
      if (cek.ok() && cek->size() == enc.key_bytes) return cek;
      SecretBytes random(enc.key_bytes);
      COCOON_RETURN_IF_ERROR(crypto::RandomFill(random.data(), random.size()));
      return random;
    }
    case KeyAlg::kEcdhEs:
      if (!encrypted_key.empty()) {
        return absl::InvalidArgumentError(
            "JWE encrypted_key: must be empty for direct key agreement ECDH-ES");
      }
      return EcdhKey(merged, key, enc.name, enc.key_bytes);
    case KeyAlg::kEcdhEsKw: {
      COCOON_ASSIGN_OR_RETURN(SecretBytes kek, EcdhKey(merged, key, alg.name, alg.kw_bytes));
      auto cek = crypto::AesKeyUnwrap(kek.view(), encrypted_key);
      if (!cek.ok()) return Annotate(cek.status(), "JWE encrypted_key");
      COCOON_RETURN_IF_ERROR(CheckCekSize(*cek, enc));
      return cek;
    }
  }
  return absl::InternalError("JWE: unhandled key algorithm");
}

absl::StatusOr<SecretBytes> DecryptContent(const ParsedJwe& p, const EncInfo& enc,
                                           const SecretBytes& cek) {
  const std::string aad = p.ContentAad();
  if (enc.gcm) {
    if (p.iv.size() != crypto::kGcmIvSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWE iv: ", p.iv.size(), " bytes; enc ", enc.name, " needs 12"));
    }
    if (p.tag.size() != crypto::kGcmTagSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("JWE tag: ", p.tag.size(), " bytes; enc ", enc.name, " needs 16"));
    }
    auto pt = crypto::AesGcmDecrypt(cek.view(), p.iv, p.ciphertext, aad, p.tag);
    if (!pt.ok()) return Annotate(pt.status(), absl::StrCat("JWE content (", enc.name, ")"));
    return pt;
  }
  if (p.iv.size() != crypto::kCbcIvSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWE iv: ", p.iv.size(), " bytes; enc ", enc.name, " needs 16"));
  }
  if (p.tag.size() != enc.key_bytes / 2) {
    return absl::InvalidArgumentError(absl::StrCat("JWE tag: ", p.tag.size(), " bytes; enc ",
                                                   enc.name, " needs ", enc.key_bytes / 2));
  }
  auto pt = crypto::AesCbcHmacDecrypt(cek.view(), p.iv, p.ciphertext, aad, p.tag);
  if (!pt.ok()) return Annotate(pt.status(), absl::StrCat("JWE content (", enc.name, ")"));
  return pt;
}

absl::StatusOr<std::string> EncryptContent(const EncInfo& enc, absl::string_view cek,
                                           absl::string_view plaintext, absl::string_view aad,
                                           std::string* iv, std::string* tag) {
  *iv = crypto::RandomBytes(enc.gcm ? crypto::kGcmIvSize : crypto::kCbcIvSize);
  if (enc.gcm) return crypto::AesGcmEncrypt(cek, *iv, plaintext, aad, tag);
  return crypto::AesCbcHmacEncrypt(cek, *iv, plaintext, aad, tag);
}

// The per-recipient part of encryption: header members and the encrypted key.
struct RecipientOutput {
  Json header = Json::object();  // "alg" and, for ECDH, "epk"
  std::string encrypted_key;
};

absl::StatusOr<RecipientOutput> WrapForRecipient(const JweRecipient& r, const KeyAlgInfo& alg,
                                                 const EncInfo& enc, const SecretBytes* cek,
                                                 SecretBytes* derived_cek) {
  RecipientOutput out;
  out.header["alg"] = std::string(alg.name);
  switch (alg.alg) {
    case KeyAlg::kRsaOaep:
    case KeyAlg::kRsaOaep256: {
      COCOON_ASSIGN_OR_RETURN(
          out.encrypted_key,
          crypto::RsaOaepEncrypt(
              r.key,
              alg.alg == KeyAlg::kRsaOaep ? crypto::OaepHash::kSha1 : crypto::OaepHash::kSha256,
              cek->view()));
      break;
    }
    case KeyAlg::kRsa15: {
      COCOON_ASSIGN_OR_RETURN(out.encrypted_key, crypto::RsaPkcs1v15Encrypt(r.key, cek->view()));
      break;
    }
    case KeyAlg::kEcdhEs:
    case KeyAlg::kEcdhEsKw: {
      COCOON_ASSIGN_OR_RETURN(crypto::PrivateKey ephemeral,
                              crypto::PrivateKey::Generate(r.key.type()));
      COCOON_ASSIGN_OR_RETURN(SecretBytes z, crypto::EcdhSharedSecret(ephemeral, r.key));
      COCOON_ASSIGN_OR_RETURN(out.header["epk"],
                              internal::PublicJwkValue(ephemeral.GetPublic(), ""));
      if (alg.alg == KeyAlg::kEcdhEs) {
        COCOON_ASSIGN_OR_RETURN(*derived_cek,
                                crypto::ConcatKdfSha256(z.view(), enc.key_bytes, enc.name, "", ""));
      } else {
        COCOON_ASSIGN_OR_RETURN(SecretBytes kek,
                                crypto::ConcatKdfSha256(z.view(), alg.kw_bytes, alg.name, "", ""));
        COCOON_ASSIGN_OR_RETURN(out.encrypted_key, crypto::AesKeyWrap(kek.view(), cek->view()));
      }
      break;
    }
  }
  return out;
}

void AppendJsonMember(std::string* out, absl::string_view name, absl::string_view b64) {
  absl::StrAppend(out, "\"", name, "\":\"", b64, "\"");
}

}  // namespace

std::string ParsedJwe::ContentAad() const {
  if (!has_aad) return protected_b64;
  return absl::StrCat(protected_b64, ".", aad_b64);
}

absl::StatusOr<ParsedJwe> ParseJwe(absl::string_view jwe) {
  COCOON_ASSIGN_OR_RETURN(JweInternal internal, ParseInternal(jwe));
  return std::move(internal.parsed);
}

absl::StatusOr<JweDecryptResult> JweDecryptDetailed(absl::string_view jwe,
                                                    const crypto::PrivateKey& key) {
  COCOON_ASSIGN_OR_RETURN(JweInternal internal, ParseInternal(jwe));
  const ParsedJwe& p = internal.parsed;
  COCOON_ASSIGN_OR_RETURN(const EncInfo* enc, FindEnc(p.enc));

  std::vector<std::string> all_algs;
  std::vector<std::string> errors;
  size_t candidates = 0;
  for (size_t i = 0; i < p.recipients.size(); ++i) {
    const ParsedJweRecipient& r = p.recipients[i];
    all_algs.push_back(r.alg);
    const KeyAlgInfo* alg = FindKeyAlg(r.alg);
    if (alg == nullptr) {
      errors.push_back(absl::StrCat("recipient ", i, ": key management algorithm \"alg\" \"", r.alg,
                                    "\" is not supported"));
      continue;
    }
    if (!AlgFitsKey(*alg, key.type())) continue;
    ++candidates;
    auto cek = RecoverCek(internal.merged[i], *alg, r.encrypted_key, key, *enc);
    if (!cek.ok()) {
      errors.push_back(absl::StrCat("recipient ", i, ": ", cek.status().message()));
      if (p.recipients.size() == 1) return cek.status();
      continue;
    }
    auto pt = DecryptContent(p, *enc, *cek);
    if (!pt.ok()) {
      errors.push_back(absl::StrCat("recipient ", i, ": ", pt.status().message()));
      if (p.recipients.size() == 1) return pt.status();
      continue;
    }
    return JweDecryptResult{*std::move(pt), r.alg, p.enc, p.protected_header};
  }
  if (candidates == 0) {
    if (p.recipients.size() == 1 && !errors.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("JWE: ", errors.front()));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "JWE: no recipient uses a key management algorithm for a ", crypto::KeyTypeName(key.type()),
        " key (recipient algorithms: ", absl::StrJoin(all_algs, ", "), ")"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "JWE: no recipient could be decrypted with this key: ", absl::StrJoin(errors, "; ")));
}

absl::StatusOr<SecretBytes> JweDecrypt(absl::string_view jwe, const crypto::PrivateKey& key) {
  COCOON_ASSIGN_OR_RETURN(JweDecryptResult result, JweDecryptDetailed(jwe, key));
  return std::move(result.plaintext);
}

absl::StatusOr<std::string> JweEncrypt(absl::string_view plaintext,
                                       const std::vector<JweRecipient>& recipients,
                                       JweSerialization form, absl::string_view enc_name) {
  COCOON_ASSIGN_OR_RETURN(const EncInfo* enc, FindEnc(enc_name));
  if (recipients.empty()) return absl::InvalidArgumentError("JWE encrypt: no recipients");
  if (recipients.size() > kMaxRecipients) {
    return absl::InvalidArgumentError(
        absl::StrCat("JWE encrypt: more than ", kMaxRecipients, " recipients"));
  }
  if (form == JweSerialization::kAuto) {
    form = recipients.size() == 1 ? JweSerialization::kFlattened : JweSerialization::kGeneral;
  }
  if ((form == JweSerialization::kFlattened || form == JweSerialization::kCompact) &&
      recipients.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "JWE encrypt: the ", form == JweSerialization::kCompact ? "compact" : "flattened",
        " serialization holds exactly one recipient, got ", recipients.size()));
  }

  std::vector<const KeyAlgInfo*> algs;
  bool direct = false;
  for (size_t i = 0; i < recipients.size(); ++i) {
    const JweRecipient& r = recipients[i];
    std::string name = r.alg;
    if (name.empty()) {
      if (r.key.type() == crypto::KeyType::kRsa) {
        name = "RSA-OAEP";
      } else if (crypto::IsEcKeyType(r.key.type())) {
        name = "ECDH-ES+A256KW";
      } else {
        return absl::InvalidArgumentError(absl::StrCat("JWE encrypt: recipient ", i, ": ",
                                                       crypto::KeyTypeName(r.key.type()),
                                                       " keys cannot be JWE recipients"));
      }
    }
    const KeyAlgInfo* alg = FindKeyAlg(name);
    if (alg == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("JWE encrypt: recipient ", i,
                                                     ": key management algorithm \"", name,
                                                     "\" is not supported"));
    }
    if (!AlgFitsKey(*alg, r.key.type())) {
      return absl::InvalidArgumentError(absl::StrCat("JWE encrypt: recipient ", i, ": algorithm ",
                                                     name, " does not fit a ",
                                                     crypto::KeyTypeName(r.key.type()), " key"));
    }
    if (alg->alg == KeyAlg::kEcdhEs) direct = true;
    algs.push_back(alg);
  }
  if (direct && recipients.size() != 1) {
    return absl::InvalidArgumentError(
        "JWE encrypt: direct key agreement ECDH-ES allows only one recipient");
  }

  SecretBytes cek(enc->key_bytes);
  if (!direct) COCOON_RETURN_IF_ERROR(crypto::RandomFill(cek.data(), cek.size()));
  std::vector<RecipientOutput> outputs;
  for (size_t i = 0; i < recipients.size(); ++i) {
    SecretBytes derived;
    auto out = WrapForRecipient(recipients[i], *algs[i], *enc, &cek, &derived);
    if (!out.ok()) return Annotate(out.status(), absl::StrCat("JWE encrypt: recipient ", i));
    if (algs[i]->alg == KeyAlg::kEcdhEs) cek = std::move(derived);
    outputs.push_back(*std::move(out));
  }

  Json protected_header = Json::object();
  protected_header["enc"] = std::string(enc->name);
  const bool single_header = form != JweSerialization::kGeneral;
  if (single_header) {
    for (auto it = outputs[0].header.begin(); it != outputs[0].header.end(); ++it) {
      protected_header[it.key()] = it.value();
    }
  }
  const std::string protected_b64 = Base64UrlEncode(protected_header.dump());
  std::string iv, tag;
  COCOON_ASSIGN_OR_RETURN(std::string ciphertext,
                          EncryptContent(*enc, cek.view(), plaintext, protected_b64, &iv, &tag));

  if (form == JweSerialization::kCompact) {
    return absl::StrCat(protected_b64, ".", Base64UrlEncode(outputs[0].encrypted_key), ".",
                        Base64UrlEncode(iv), ".", Base64UrlEncode(ciphertext), ".",
                        Base64UrlEncode(tag));
  }
  std::string out = "{";
  AppendJsonMember(&out, "protected", protected_b64);
  if (single_header) {
    // RFC 7516 7.2.1: absent when empty (direct key agreement).
    if (!outputs[0].encrypted_key.empty()) {
      out += ",";
      AppendJsonMember(&out, "encrypted_key", Base64UrlEncode(outputs[0].encrypted_key));
    }
  } else {
    out += ",\"recipients\":[";
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (i > 0) out += ",";
      absl::StrAppend(&out, "{\"header\":", outputs[i].header.dump());
      if (!outputs[i].encrypted_key.empty()) {
        out += ",";
        AppendJsonMember(&out, "encrypted_key", Base64UrlEncode(outputs[i].encrypted_key));
      }
      out += "}";
    }
    out += "]";
  }
  out += ",";
  AppendJsonMember(&out, "iv", Base64UrlEncode(iv));
  out += ",";
  AppendJsonMember(&out, "ciphertext", Base64UrlEncode(ciphertext));
  out += ",";
  AppendJsonMember(&out, "tag", Base64UrlEncode(tag));
  out += "}";
  return out;
}

}  // namespace cocoon::jose
