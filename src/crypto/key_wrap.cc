#include "crypto/key_wrap.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "crypto/openssl_util.h"
#include "crypto/ossl_ptr.h"

namespace cocoon::crypto {
namespace {

// Large enough for any content-encryption key JOSE wraps; bounds work on hostile input.
constexpr size_t kMaxWrappedSize = 4096;

const EVP_CIPHER* WrapCipher(size_t kek_size) {
  switch (kek_size) {
    case 16:
      return EVP_aes_128_wrap();
    case 24:
      return EVP_aes_192_wrap();
    case 32:
      return EVP_aes_256_wrap();
    default:
      return nullptr;
  }
}

absl::StatusOr<EvpCipherCtxPtr> NewWrapCtx(absl::string_view kek, bool encrypt) {
  const EVP_CIPHER* cipher = WrapCipher(kek.size());
  if (cipher == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("AES key wrap: invalid KEK length of ",
                                                   kek.size(), " bytes; need 16, 24 or 32"));
  }
  EvpCipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (ctx == nullptr) return OpenSslError("EVP_CIPHER_CTX_new");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  if (EVP_CipherInit_ex(ctx.get(), cipher, nullptr, Uc(kek), nullptr, encrypt ? 1 : 0) != 1) {
    return OpenSslError("AES key wrap init");
  }
  return ctx;
}

}  // namespace

absl::StatusOr<std::string> AesKeyWrap(absl::string_view kek, absl::string_view key) {
  if (key.size() < 16 || key.size() % 8 != 0 || key.size() > kMaxWrappedSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "AES key wrap: key to wrap must be a multiple of 8 bytes, at least 16; got ", key.size()));
  }
  COCOON_ASSIGN_OR_RETURN(EvpCipherCtxPtr ctx, NewWrapCtx(kek, /*encrypt=*/true));
  std::string out(key.size() + 8, '\0');
  int outl = 0;
  if (EVP_CipherUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &outl, Uc(key),
                       static_cast<int>(key.size())) != 1 ||
      static_cast<size_t>(outl) != out.size()) {
    return OpenSslError("AES key wrap");
  }
  return out;
}

absl::StatusOr<SecretBytes> AesKeyUnwrap(absl::string_view kek, absl::string_view wrapped) {
  if (wrapped.size() < 24 || wrapped.size() % 8 != 0 || wrapped.size() > kMaxWrappedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AES key unwrap: wrapped key must be a multiple of 8 bytes, at least 24; got ",
                     wrapped.size()));
  }
  COCOON_ASSIGN_OR_RETURN(EvpCipherCtxPtr ctx, NewWrapCtx(kek, /*encrypt=*/false));
  SecretBytes out(wrapped.size());
  int outl = 0;
  if (EVP_CipherUpdate(ctx.get(), out.data(), &outl, Uc(wrapped),
                       static_cast<int>(wrapped.size())) != 1 ||
      outl <= 0 || static_cast<size_t>(outl) != wrapped.size() - 8) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "AES key unwrap: integrity check failed (wrong key-encryption key or modified data)");
  }
  out.resize(static_cast<size_t>(outl));
  return out;
}

}  // namespace cocoon::crypto
