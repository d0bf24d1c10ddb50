// Fuzzes JWE parsing and decryption: ParseJwe on the raw input, then JweDecrypt with two fixed
// test keys (EC P-256 and RSA-2048, generated for this target only), so that seeds encrypted to
// them reach key unwrapping and content decryption.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "crypto/jose/jwe.h"
#include "crypto/keys.h"

namespace {

constexpr char kEcKey[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg1NNFqpqhTAuSTxiB\n"
    "8ot1xmz1fi2tnNfW9mOia2lvQ9ShRANCAAQ85FcGzWi4McOJGWjlm02fzemO9PFp\n"
    "JyKjF9zSTS1+v8wZN/w0LkWlVLWDi9SkDuUQWEqw4kXHgQ8pEih47JP0\n"
    "-----END PRIVATE KEY-----\n";

constexpr char kRsaKey[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQCobJwBQ8Bwq/9c\n"
    "yt4K4gM07cmuMwc0yCPmLkin1AuyE1vOm0PBoiJJ13Faje2BPaHJWk/+D/M1Z4Xj\n"
    "gILEEpEil4tQGY+hBAz2dF89RbXf66JgdYI6IRmAZFohgt4AFs/rhklaSNCabClI\n"
    "cfU8q9mJrsjqL0eQCNyuEfI4mzGgN9/3IMShaTcokzAZa/XLOZDhZSuRa+E8Xp+J\n"
    "u2QyulNihAEM1NDIcHpxoZsYdCkDWFECFFgQoLMvZPEpewjTAy30dJjVcUeG9GFD\n"
    "MIov1P8xCSnewBCWY15Lhl0V0vRpFpH88qfTzbOMZujmENB4nc/CtwbollqVaYu2\n"
    "P/wiwhLlAgMBAAECggEAKjWh+V0p9vLcGjzLXg3bgOHRKCOovC0mdhMGaW0mizf3\n"
    "y7U0y2vfTQM96NRl//xathQ4tPL5YFpz/xqfaxU+I124b9ggG1nhB8kNb1UvqhEr\n"
    "TiJVA011TyyXPAvIqFwPOrcaXhKemPzfccUBkXV+HNfdiXdU53+ZEtTzkAUw8DZ3\n"
    "1K8qSD0p+aFo+h6cW2L0eZlAviROd9gS6SMKdHsKjzKepGInr4/mF/Iepfghh3sW\n"
    "LrothvEBMCTuMTvDR8eA81lCs0qZtzk073dclYcM0Az8umY2FPLykkPZDzkU5bqJ\n"
    "cX7S/1VIzuGEorg1SSProdXyXCqkQrQpHXyI7jkz9wKBgQDpUbOCNUXMS1D6nBRE\n"
    "5HVWdWy1LkK6SeufF3kviOfd/Fxb1sB8zE10PEJCErZx/LzomiymVs8iY8kzp0cX\n"
    "d4TQR57JiT6ZI8yEhz1rSKhJ8AO4aEZZ7uHnolzSNRQktqDp0zh3YicxR3c3cW/J\n"
    "MzUc3/C48x5NfIFPDcx5xFYMMwKBgQC4y/TkudB6fjDUDuE984TpC0DBRjFJXBH+\n"
    "0HLLjEEvK6P1L3VUUw2vFx+i9pguyGBTJBsoJGf9FnviUkB3YIQNKGDJJ+B2Y0wV\n"
    "LYoNMNOQTgAHxc/ASMVLp4bmgHsqBg8EbTZp3K+l67bZXGz4MY5v6iFVkjLdK9qQ\n"
    "CRm/gLPMhwKBgQDmujXDOL1KVtzAx6I/spDarAqRbSrtn/YTAJqFyGRLIKmQ5GC7\n"
    "ySl7HbAEOQ8Uz/NcLkKjR8tUXct1eiGSck3zzi+Xa1JtDHrOQBMbyeEqJOD49p1D\n"
    "iDj74JLcCUNfPv8H3CnF3VmWoO6i9FmwZSRL5qTdsQYxaENTkvi3HdJeAwKBgQCS\n"
    "JkPlDQvThK+rVqVO8KQiBxNMh+383cMhqsvPLXp0Cuidxc3eRd0hp4EOykXrYe/E\n"
    "cV7E7Z4MbFbH1FNF1mA5Y8C/9jiwiLGoYh63dfEsRHQDsa8vnJ3kynaHH//IaYhA\n"
    "8PrC2JVV/MjcuRs5Y0AKRLneSkTN5JvzpC7n5KrOSwKBgQCZoIJIo6HL/aSibiyx\n"
    "yDaP2qNB3aUD/Lf5Jk6fhx9sf0YRBSovGzh1MdajLVi/X61hno++MdHR1nFkTns0\n"
    "ais9eLomdVF87TfRa6idPxCnf59xdDnneRanidJIDmgqVu5+hvu2loV925pT9GV7\n"
    "i+UfIPGK3jQdqzBbuVIKGR5/rw==\n"
    "-----END PRIVATE KEY-----\n";

const cocoon::crypto::PrivateKey& Key(const char* pem) {
  auto key = cocoon::crypto::PrivateKey::Parse(pem);
  if (!key.ok()) std::abort();
  return *new cocoon::crypto::PrivateKey(*std::move(key));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const cocoon::crypto::PrivateKey& ec = Key(kEcKey);
  static const cocoon::crypto::PrivateKey& rsa = Key(kRsaKey);
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = cocoon::jose::ParseJwe(input);
  if (parsed.ok()) (void)parsed->ContentAad();
  (void)cocoon::jose::JweDecrypt(input, ec);
  (void)cocoon::jose::JweDecrypt(input, rsa);
  return 0;
}
