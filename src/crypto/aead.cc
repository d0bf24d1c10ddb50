#include "crypto/aead.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "crypto/openssl_util.h"
#include "crypto/ossl_ptr.h"

namespace cocoon::crypto {
namespace {

const EVP_CIPHER* GcmCipher(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_gcm();
    case 24:
      return EVP_aes_192_gcm();
    case 32:
      return EVP_aes_256_gcm();
    default:
      return nullptr;
  }
}

const EVP_CIPHER* CbcCipher(size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_cbc();
    case 24:
      return EVP_aes_192_cbc();
    case 32:
      return EVP_aes_256_cbc();
    default:
      return nullptr;
  }
}

// Feeds `in` through EVP_CipherUpdate in chunks that fit an int. `out` may be null for AAD.
bool CipherUpdate(EVP_CIPHER_CTX* ctx, unsigned char* out, absl::string_view in, size_t* written) {
  *written = 0;
  const unsigned char* p = Uc(in);
  size_t left = in.size();
  while (left > 0) {
    const int chunk = left > (1u << 30) ? (1 << 30) : static_cast<int>(left);
    int outl = 0;
    if (EVP_CipherUpdate(ctx, out == nullptr ? nullptr : out + *written, &outl, p, chunk) != 1) {
      return false;
    }
    if (out != nullptr) *written += static_cast<size_t>(outl);
    p += chunk;
    left -= static_cast<size_t>(chunk);
  }
  return true;
}

absl::Status CheckGcmArgs(absl::string_view key, absl::string_view iv) {
  if (GcmCipher(key.size()) == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM: invalid key length of ", key.size(), " bytes; need 16, 24 or 32"));
  }
  if (iv.size() != kGcmIvSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM: invalid IV length of ", iv.size(), " bytes; need 12"));
  }
  return absl::OkStatus();
}

const EVP_MD* ShaForSize(size_t hash_bytes) {
  switch (hash_bytes) {
    case 32:
      return EVP_sha256();
    case 48:
      return EVP_sha384();
    case 64:
      return EVP_sha512();
    default:
      return nullptr;
  }
}

absl::Status CheckCbcArgs(absl::string_view key, absl::string_view iv) {
  if (key.size() != 32 && key.size() != 48 && key.size() != 64) {
    return absl::InvalidArgumentError(absl::StrCat("AES-CBC-HMAC: invalid key length of ",
                                                   key.size(), " bytes; need 32, 48 or 64"));
  }
  if (iv.size() != kCbcIvSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-CBC-HMAC: invalid IV length of ", iv.size(), " bytes; need 16"));
  }
  return absl::OkStatus();
}

// RFC 7518 5.2.2.1 step 5-6: M = HMAC(MAC_KEY, A || IV || E || AL), T = first half of M.
absl::StatusOr<std::string> CbcHmacTag(absl::string_view mac_key, absl::string_view iv,
                                       absl::string_view ciphertext, absl::string_view aad) {
  const uint64_t aad_bits = static_cast<uint64_t>(aad.size()) * 8;
  char al[8];
  for (int i = 0; i < 8; ++i) al[i] = static_cast<char>((aad_bits >> (56 - 8 * i)) & 0xff);
  COCOON_ASSIGN_OR_RETURN(
      std::string mac,
      HmacSha2(mac_key.size() * 2, mac_key, {aad, iv, ciphertext, absl::string_view(al, 8)}));
  mac.resize(mac_key.size());
  return mac;
}

}  // namespace

absl::StatusOr<std::string> HmacSha2(size_t hash_bytes, absl::string_view key,
                                     std::initializer_list<absl::string_view> parts) {
  const EVP_MD* md = ShaForSize(hash_bytes);
  if (md == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("HMAC: unsupported hash size ", hash_bytes));
  }
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return OpenSslError("EVP_MAC_fetch(HMAC)");
  EvpMacCtxPtr ctx(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);
  if (ctx == nullptr) return OpenSslError("EVP_MAC_CTX_new");
  char* digest_name = const_cast<char*>(EVP_MD_get0_name(md));
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                         OSSL_PARAM_construct_end()};
  // HMAC with an empty key is valid; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  if (EVP_MAC_init(ctx.get(), key.empty() ? &kEmpty : Uc(key), key.size(), params) != 1) {
    return OpenSslError("HMAC init");
  }
  for (absl::string_view part : parts) {
    if (!part.empty() && EVP_MAC_update(ctx.get(), Uc(part), part.size()) != 1) {
      return OpenSslError("HMAC update");
    }
  }
  std::string out(hash_bytes, '\0');
  size_t outl = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &outl, out.size()) !=
          1 ||
      outl != hash_bytes) {
    return OpenSslError("HMAC final");
  }
  return out;
}

absl::StatusOr<std::string> AesGcmEncrypt(absl::string_view key, absl::string_view iv,
                                          absl::string_view plaintext, absl::string_view aad,
                                          std::string* tag) {
  COCOON_RETURN_IF_ERROR(CheckGcmArgs(key, iv));
  if (tag == nullptr) return absl::InvalidArgumentError("AES-GCM: null tag output");
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex(ctx.get(), GcmCipher(key.size()), nullptr, Uc(key), Uc(iv)) != 1) {
    return OpenSslError("AES-GCM init");
  }
  std::string out(plaintext.size(), '\0');
  size_t written = 0;
  if (!CipherUpdate(ctx.get(), nullptr, aad, &written) ||
      !CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), plaintext, &written)) {
    return OpenSslError("AES-GCM encrypt");
  }
  int final_len = 0;
  unsigned char tag_buf[kGcmTagSize];
  if (EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + written,
                          &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kGcmTagSize, tag_buf) != 1) {
    return OpenSslError("AES-GCM final");
  }
  tag->assign(reinterpret_cast<const char*>(tag_buf), kGcmTagSize);
  return out;
}

absl::StatusOr<SecretBytes> AesGcmDecrypt(absl::string_view key, absl::string_view iv,
                                          absl::string_view ciphertext, absl::string_view aad,
                                          absl::string_view tag) {
  COCOON_RETURN_IF_ERROR(CheckGcmArgs(key, iv));
  if (tag.size() != kGcmTagSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-GCM: invalid tag length of ", tag.size(), " bytes; need 16"));
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  if (EVP_DecryptInit_ex(ctx.get(), GcmCipher(key.size()), nullptr, Uc(key), Uc(iv)) != 1) {
    return OpenSslError("AES-GCM init");
  }
  SecretBytes out(ciphertext.size());
  size_t written = 0;
  if (!CipherUpdate(ctx.get(), nullptr, aad, &written) ||
      !CipherUpdate(ctx.get(), out.data(), ciphertext, &written)) {
    return OpenSslError("AES-GCM decrypt");
  }
  unsigned char tag_buf[kGcmTagSize];
  std::memcpy(tag_buf, tag.data(), kGcmTagSize);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kGcmTagSize, tag_buf) != 1) {
    return OpenSslError("AES-GCM set tag");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &final_len) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("AES-GCM: authentication failed (tag mismatch)");
  }
  return out;
}

absl::StatusOr<std::string> AesCbcHmacEncrypt(absl::string_view key, absl::string_view iv,
                                              absl::string_view plaintext, absl::string_view aad,
                                              std::string* tag) {
  COCOON_RETURN_IF_ERROR(CheckCbcArgs(key, iv));
  if (tag == nullptr) return absl::InvalidArgumentError("AES-CBC-HMAC: null tag output");
  const size_t half = key.size() / 2;
  const absl::string_view mac_key = key.substr(0, half);
  const absl::string_view enc_key = key.substr(half);
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex(ctx.get(), CbcCipher(half), nullptr, Uc(enc_key), Uc(iv)) != 1) {
    return OpenSslError("AES-CBC init");
  }
  std::string out(plaintext.size() + 16, '\0');
  size_t written = 0;
  if (!CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), plaintext, &written)) {
    return OpenSslError("AES-CBC encrypt");
  }
  int final_len = 0;
  if (EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + written,
                          &final_len) != 1) {
    return OpenSslError("AES-CBC final");
  }
  out.resize(written + static_cast<size_t>(final_len));
  COCOON_ASSIGN_OR_RETURN(*tag, CbcHmacTag(mac_key, iv, out, aad));
  return out;
}

absl::StatusOr<SecretBytes> AesCbcHmacDecrypt(absl::string_view key, absl::string_view iv,
                                              absl::string_view ciphertext, absl::string_view aad,
                                              absl::string_view tag) {
  COCOON_RETURN_IF_ERROR(CheckCbcArgs(key, iv));
  const size_t half = key.size() / 2;
  if (tag.size() != half) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES-CBC-HMAC: invalid tag length of ", tag.size(), " bytes; need ", half));
  }
  const absl::string_view mac_key = key.substr(0, half);
  const absl::string_view enc_key = key.substr(half);
  COCOON_ASSIGN_OR_RETURN(std::string expected, CbcHmacTag(mac_key, iv, ciphertext, aad));
  if (CRYPTO_memcmp(expected.data(), tag.data(), half) != 0) {
    return absl::InvalidArgumentError("AES-CBC-HMAC: authentication failed (tag mismatch)");
  }
  if (ciphertext.empty() || ciphertext.size() % 16 != 0) {
    return absl::InvalidArgumentError(
        "AES-CBC-HMAC: ciphertext length is not a positive multiple of 16");
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  if (EVP_DecryptInit_ex(ctx.get(), CbcCipher(half), nullptr, Uc(enc_key), Uc(iv)) != 1) {
    return OpenSslError("AES-CBC init");
  }
  SecretBytes out(ciphertext.size() + 16);
  size_t written = 0;
  if (!CipherUpdate(ctx.get(), out.data(), ciphertext, &written)) {
    return OpenSslError("AES-CBC decrypt");
  }
  int final_len = 0;
  if (EVP_DecryptFinal_ex(ctx.get(), out.data() + written, &final_len) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("AES-CBC-HMAC: bad padding after decryption");
  }
  out.resize(written + static_cast<size_t>(final_len));
  return out;
}

}  // namespace cocoon::crypto
