#include "crypto/jose/jwe.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/encoding.h"
#include "base/json.h"
#include "crypto/aead.h"
#include "crypto/asymmetric.h"
#include "crypto/jose/jwk.h"
#include "crypto/key_wrap.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"
#include "unit/crypto/test_util.h"

namespace cocoon::jose {
namespace {

using ::cocoon::crypto::KeyType;
using ::cocoon::crypto::PrivateKey;
using ::cocoon::crypto::PublicKey;
using ::cocoon::crypto::testing::B64u;
using ::cocoon::testing::ReadTestdata;
using ::testing::HasSubstr;

// Keys are cached per (type, slot); distinct slots give distinct keys.
PrivateKey MustGenerate(KeyType type, int slot = 0) {
  auto der = crypto::testing::CachedKey(type, slot).ToPkcs8Der();
  EXPECT_TRUE(der.ok());
  auto key = PrivateKey::Parse(der->view());
  EXPECT_TRUE(key.ok()) << key.status();
  return *std::move(key);
}

PrivateKey MustParseJwkPrivate(absl::string_view json) {
  auto jwk = ParseJwk(json);
  EXPECT_TRUE(jwk.ok()) << jwk.status();
  EXPECT_TRUE(jwk->private_key.has_value());
  return *std::move(jwk->private_key);
}

Json MustParse(absl::string_view text) {
  auto json = ParseJson(text, "test");
  EXPECT_TRUE(json.ok()) << json.status();
  return *std::move(json);
}

// ---- RFC 7516 Appendix A ----

constexpr char kA1Jwk[] =
    R"({"kty":"RSA",)"
    R"("n":"oahUIoWw0K0usKNuOR6H4wkf4oBUXHTxRvgb48E-BVvxkeDNjbC4he8rUWcJoZmds2h7M70imEVhRU5djINXtq)"
    R"(llXI4DFqcI1DgjT9LewND8MW2Krf3Spsk_ZkoFnilakGygTwpZ3uesH-PFABNIUYpOiN15dsQRkgr0vEhxN92i2asbO)"
    R"(enSZeyaxziK72UwxrrKoExv6kc5twXTq4h-QChLOln0_mtUZwfsRaMStPs6mS6XrgxnxbWhojf663tuEQueGC-FCMfr)"
    R"(a36C9knDFGzKsNa7LZK2djYgyD3JR_MB_4NUJW_TqOQtwHYbxevoJArm-L5StowjzGy-_bq6Gw",)"
    R"("e":"AQAB",)"
    R"("d":"kLdtIj6GbDks_ApCSTYQtelcNttlKiOyPzMrXHeI-yk1F7-kpDxY4-WY5NWV5KntaEeXS1j82E375xxhWMHXyv)"
    R"(jYecPT9fpwR_M9gV8n9Hrh2anTpTD93Dt62ypW3yDsJzBnTnrYu1iwWRgBKrEYY46qAZIrA2xAwnm2X7uGR1hghkqDp)"
    R"(0Vqj3kbSCz1XyfCs6_LehBwtxHIyh8Ripy40p24moOAbgxVw3rxT_vlt3UVe4WO3JkJOzlpUf-KTVI2Ptgm-dARxTEt)"
    R"(E-id-4OJr0h-K-VFs3VSndVTIznSxfyrj8ILL6MG_Uv8YAu7VILSB3lOW085-4qE3DzgrTjgyQ",)"
    R"("p":"1r52Xk46c-LsfB5P442p7atdPUrxQSy4mti_tZI3Mgf2EuFVbUoDBvaRQ-SWxkbkmoEzL7JXroSBjSrK3YIQg)"
    R"(YdMgyAEPTPjXv_hI2_1eTSPVZfzL0lffNn03IXqWF5MDFuoUYE0hzb2vhrlN_rKrbfDIwUbTrjjgieRbwC6Cl0",)"
    R"("q":"wLb35x7hmQWZsWJmB_vle87ihgZ19S8lBEROLIsZG4ayZVe9Hi9gDVCOBmUDdaDYVTSNx_8Fyw1YYa9XGrGnD)"
    R"(ew00J28cRUoeBB_jKI1oma0Orv1T9aXIWxKwd4gvxFImOWr3QRL9KEBRzk2RatUBnmDZJTIAfwTs0g68UZHvtc",)"
    R"("dp":"ZK-YwE7diUh0qR1tR7w8WHtolDx3MZ_OTowiFvgfeQ3SiresXjm9gZ5KLhMXvo-uz-KUJWDxS5pFQ_M0evdo)"
    R"(1dKiRTjVw_x4NyqyXPM5nULPkcpU827rnpZzAJKpdhWAgqrXGKAECQH0Xt4taznjnd_zVpAmZZq60WPMBMfKcuE",)"
    R"("dq":"Dq0gfgJ1DdFGXiLvQEZnuKEN0UUmsJBxkjydc3j4ZYdBiMRAy86x0vHCjywcMlYYg4yoC4YZa9hNVcsjqA3F)"
    R"(eiL19rk8g6Qn29Tt0cj8qqyFpz9vNDBUfCAiJVeESOjJDZPYHdHY8v1b-o-Z2X5tvLx-TCekf7oxyeKDUqKWjis",)"
    R"("qi":"VIMpMYbPf47dT1w_zDUXfPimsSegnMOA1zTaX7aGk_8urY6R8-ZW1FxU7AlWAyLWybqq6t16VFd7hQd0y6fl)"
    R"(UK4SlOydB61gwanOsXGOAOv82cHq0E3eL4HrtZkUuKvnPrMnsUUFlfUdybVzxyjz9JF_XyaY14ardLSjf4L_FNY"})";

constexpr char kA1Compact[] =
    "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ."
    "OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4q"
    "KAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_"
    "lDp5XnZAYpQdb76FdIK"
    "LaVmqgfwX7XWRxv2322i-vDxRfqNzo_"
    "tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9Qc"
    "fylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg."
    "48V1_ALb6US04U3b."
    "5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A."
    "XFBoMYUZodetZdvTiFvSkQ";

TEST(JweDecrypt, DecryptsRfc7516AppendixA1RsaOaepA256Gcm) {
  PrivateKey key = MustParseJwkPrivate(kA1Jwk);
  auto result = JweDecryptDetailed(kA1Compact, key);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->plaintext.view(),
            "The true sign of intelligence is not knowledge but imagination.");
  EXPECT_EQ(result->alg, "RSA-OAEP");
  EXPECT_EQ(result->enc, "A256GCM");
  EXPECT_EQ(result->protected_header, R"({"alg":"RSA-OAEP","enc":"A256GCM"})");
  // A trailing newline (as in a file) around a compact JWE is tolerated.
  auto with_newline = JweDecrypt(std::string(kA1Compact) + "\n", key);
  ASSERT_TRUE(with_newline.ok()) << with_newline.status();
}

// RFC 7518 Appendix C: a direct ECDH-ES JWE to Bob with apu "Alice" and apv "Bob" uses the CEK
// VqqN6vgjbSBcIijNcacQGg, so content encrypted under that CEK must decrypt with Bob's key.
TEST(JweDecrypt, UsesApuAndApvFromTheHeaderAsRfc7518AppendixC) {
  PrivateKey bob = MustParseJwkPrivate(
      R"({"kty":"EC","crv":"P-256","x":"weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ",)"
      R"("y":"e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck",)"
      R"("d":"VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw"})");
  const std::string header =
      R"({"alg":"ECDH-ES","enc":"A128GCM","apu":"QWxpY2U","apv":"Qm9i","epk":{"kty":"EC",)"
      R"("crv":"P-256","x":"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0",)"
      R"("y":"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}})";
  const std::string protected_b64 = Base64UrlEncode(header);
  const std::string iv(12, '\x05');
  std::string tag;
  auto ct =
      crypto::AesGcmEncrypt(B64u("VqqN6vgjbSBcIijNcacQGg"), iv, "agreed", protected_b64, &tag);
  ASSERT_TRUE(ct.ok());
  const std::string jwe = absl::StrCat(protected_b64, "..", Base64UrlEncode(iv), ".",
                                       Base64UrlEncode(*ct), ".", Base64UrlEncode(tag));
  auto pt = JweDecrypt(jwe, bob);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(pt->view(), "agreed");
  // Without apu/apv the derived key differs.
  const std::string no_party_info = absl::StrCat(
      Base64UrlEncode(R"({"alg":"ECDH-ES","enc":"A128GCM","epk":{"kty":"EC","crv":"P-256",)"
                      R"("x":"gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0",)"
                      R"("y":"SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"}})"),
      "..", Base64UrlEncode(iv), ".", Base64UrlEncode(*ct), ".", Base64UrlEncode(tag));
  EXPECT_ERROR_HAS(JweDecrypt(no_party_info, bob), "authentication failed");
  std::string bad_apu_header = header;
  bad_apu_header.replace(bad_apu_header.find("QWxpY2U"), 7, "QWxpY2U=");
  const std::string bad_apu = Base64UrlEncode(bad_apu_header) + "..AAAA.AAAA.AAAA";
  EXPECT_ERROR_HAS(JweDecrypt(bad_apu, bob), "JWE header apu: base64: padding not allowed");
}

constexpr char kA2Jwk[] =
    R"({"kty":"RSA",)"
    R"("n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboI)"
    R"(RROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJ)"
    R"(JQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNh)"
    R"(ZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",)"
    R"("e":"AQAB",)"
    R"("d":"VFCWOqXr8nvZNyaaJLXdnNPXZKRaWCjkU5Q2egQQpTBMwhprMzWzpR8Sxq1OPThh_J6MUD8Z35wky9b8eEO0pwN)"
    R"(S8xlh1lOFRRBoNqDIKVOku0aZb-rynq8cxjDTLZQ6Fz7jSjR1Klop-YKaUHc9GsEofQqYruPhzSA-QgajZGPbE_0ZaVD)"
    R"(JHfyd7UUBUKunFMScbflYAAOYJqVIVwaYR5zWEEceUjNnTNo_CVSj-VvXLO5VZfCUAVLgW4dpf1SrtZjSt34YLsRarSb1)"
    R"(27reG_DUwg9Ch-KyvjT1SkHgUWRVGcyly7uvVGRSDwsXypdrNinPA4jlhoNdizK2zF2CWQ",)"
    R"("p":"9gY2w6I6S6L0juEKsbeDAwpd9WMfgqFoeA9vEyEUuk4kLwBKcoe1x4HG68ik918hdDSE9vDQSccA3xXHOAFOPJ8)"
    R"(R9EeIAbTi1VwBYnbTp87X-xcPWlEPkrdoUKW60tgs1aNd_Nnc9LEVVPMS390zbFxt8TN_biaBgelNgbC95sM",)"
    R"("q":"uKlCKvKv_ZJMVcdIs5vVSU_6cPtYI1ljWytExV_skstvRSNi9r66jdd9-yBhVfuG4shsp2j7rGnIio901RBeHo6)"
    R"(TPKWVVykPu1iYhQXw1jIABfw-MVsN-3bQ76WLdt2SDxsHs7q7zPyUyHXmps7ycZ5c72wGkUwNOjYelmkiNS0",)"
    R"("dp":"w0kZbV63cVRvVX6yk3C8cMxo2qCM4Y8nsq1lmMSYhG4EcL6FWbX5h9yuvngs4iLEFk6eALoUS4vIWEwcL4txw9)"
    R"(LsWH_zKI-hwoReoP77cOdSL4AVcraHawlkpyd2TWjE5evgbhWtOxnZee3cXJBkAi64Ik6jZxbvk-RR3pEhnCs",)"
    R"("dq":"o_8V14SezckO6CNLKs_btPdFiO9_kC1DsuUTd2LAfIIVeMZ7jn1Gus_Ff7B7IVx3p5KuBGOVF8L-qifLb6nQnL)"
    R"(ysgHDh132NDioZkhH7mI7hPG-PYE_odApKdnqECHWw0J-F0JWnUd6D2B_1TvF9mXA2Qx-iGYn8OVV1Bsmp6qU",)"
    R"("qi":"eNho5yRBEBxhGBtQRww9QirZsB66TrfFReG_CcteI1aCneT0ELGhYlRlCtUkTRclIfuEPmNsNDPbLoLqqCVznF)"
    R"(bvdB7x-Tl-m0l_eFTj2KiqwGqE9PZB9nNTwMVvH3VRRSLWACvPnSiwP8N5Usy-WRXS-V7TbpxIhvepTfE0NNo"})";

constexpr char kA2Compact[] =
    "eyJhbGciOiJSU0ExXzUiLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0."
    "UGhIOguC7IuEvf_NPVaXsGMoLOmwvc1GyqlIKOK1nN94nHPoltGRhWhw7Zx0-kFm1NJn8LE9XShH59_i8J0PH5ZZyNfGy2"
    "xGdULU7sHNF6Gp2vPLgNZ__deLKxGHZ7PcHALUzoOegEI-8E66jX2E4zyJKx-YxzZIItRzC5hlRirb6Y5Cl_p-"
    "ko3Yvkkys"
    "ZIFNPccxRU7qve1WYPxqbb2Yw8kZqa2rMWI5ng8OtvzlV7elprCbuPhcCdZ6XDP0_F8rkXds2vE4X-"
    "ncOIM8hAYHHi29NX0"
    "mcKiRaD0-D-ljQTP-cFPgwCp6X-nZZd9OHBv-B3oWh2TbqmScqXMR4gp_A."
    "AxY8DCtDaGlsbGljb3RoZQ."
    "KDlTtXchhZTGufMYmOYGS4HffxPSUrfmqCHXaI9wOGY."
    "9hH0vgRfYgPnAHOd8stkvw";

TEST(JweDecrypt, DecryptsRfc7516AppendixA2Rsa15A128CbcHs256) {
  PrivateKey key = MustParseJwkPrivate(kA2Jwk);
  auto pt = JweDecrypt(kA2Compact, key);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(pt->view(), "Live long and prosper.");
}

TEST(JweDecrypt, Rsa15PaddingFailureLooksLikeATagFailure) {
  // RFC 7516 11.5: a bad RSA1_5 key must not be distinguishable from a bad tag.
  PrivateKey other = MustGenerate(KeyType::kRsa);
  EXPECT_ERROR_HAS(JweDecrypt(kA2Compact, other), "authentication failed");
}

// RFC 7516 A.3 uses A128KW with a symmetric key, which JweDecrypt (private keys only) does not
// take; its content part is checked with the primitives.
TEST(JweDecrypt, Rfc7516AppendixA3ContentDecryptsWithKeyWrapAndCbcHmac) {
  auto parsed = ParseJwe(
      "eyJhbGciOiJBMTI4S1ciLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0."
      "6KB707dM9YTIgHtLvtgWQ8mKwboJW3of9locizkDTHzBC2IlrT1oOQ."
      "AxY8DCtDaGlsbGljb3RoZQ."
      "KDlTtXchhZTGufMYmOYGS4HffxPSUrfmqCHXaI9wOGY."
      "U0m_YmjN04DJvceFICbCVQ");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->recipients[0].alg, "A128KW");
  EXPECT_EQ(parsed->enc, "A128CBC-HS256");
  auto cek =
      crypto::AesKeyUnwrap(B64u("GawgguFyGrWKav7AX4VKUg"), parsed->recipients[0].encrypted_key);
  ASSERT_TRUE(cek.ok()) << cek.status();
  auto pt = crypto::AesCbcHmacDecrypt(cek->view(), parsed->iv, parsed->ciphertext,
                                      parsed->ContentAad(), parsed->tag);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(pt->view(), "Live long and prosper.");
}

// ---- RFC 7520 (JOSE cookbook) ----

constexpr char kFrodo[] =
    "You can trust us to stick with you through thick and thin\xe2\x80\x93to the bitter end. And "
    "you can trust us to keep any secret of yours\xe2\x80\x93"
    "closer than you keep it yourself. "
    "But you cannot trust us to let you face trouble alone, and go off without a word. We are "
    "your friends, Frodo.";

TEST(JweDecrypt, DecryptsRfc7520Section54EcdhEsA128KwWithP384) {
  PrivateKey key = MustParseJwkPrivate(
      R"({"kty":"EC","kid":"peregrin.took@tuckborough.example","use":"enc","crv":"P-384",)"
      R"("x":"YU4rRUzdmVqmRtWOs2OpDE_T5fsNIodcG8G5FWPrTPMyxpzsSOGaQLpe2FpxBmu2",)"
      R"("y":"A8-yxCHxkfBz3hKZfI1jUYMjUhsEveZ9THuwFjH2sCNdtksRJU7D5-SkgaFL1ETP",)"
      R"("d":"iTx2pk7wW-GqJkHcEkFQb2EFyYcO7RugmaW3mRrQVAOUiPommT0IdnYK2xDlZh-j"})");
  const char* jwe =
      "eyJhbGciOiJFQ0RILUVTK0ExMjhLVyIsImtpZCI6InBlcmVncmluLnRvb2tAdHVja2Jvcm91Z2guZXhhbXBsZSIsImVw"
      "ayI6eyJrdHkiOiJFQyIsImNydiI6IlAtMzg0IiwieCI6InVCbzRrSFB3Nmtiang1bDB4b3dyZF9vWXpCbWF6LUdLRlp1"
      "NHhBRkZrYllpV2d1dEVLNml1RURzUTZ3TmROZzMiLCJ5Ijoic3AzcDVTR2haVkMyZmFYdW1JLWU5SlUyTW84S3BvWXJG"
      "RHI1eVBOVnRXNFBnRXdaT3lRVEEtSmRhWTh0YjdFMCJ9LCJlbmMiOiJBMTI4R0NNIn0."
      "0DJjBXri_kBcC46IkU5_Jk9BqaQeHdv2."
      "mH-G2zVqgztUtnW_."
      "tkZuOO9h95OgHJmkkrfLBisku8rGf6nzVxhRM3sVOhXgz5NJ76oID7lpnAi_cPWJRCjSpAaUZ5dOR3Spy7QuEkmKx8-"
      "3R"
      "CMhSYMzsXaEwDdXta9Mn5B7cCBoJKB0IgEnj_qfo1hIi-"
      "uEkUpOZ8aLTZGHfpl05jMwbKkTe2yK3mjF6SBAsgicQDVCkcY"
      "9BLluzx1RmC3ORXaM0JaHPB93YcdSDGgpgBWMVrNU1ErkjcMqMoT_wtCex3w03XdLkjXIuEr2hWgeP-"
      "nkUZTPU9EoGSPj6"
      "fAS-bSz87RCPrxZdj_iVyC6QWcqAu07WNhjzJEPc4jVntRJ6K53NgPQ5p99l3Z408OUqj4ioYezbS6vTPlQ."
      "WuGzxmcreYjpHGJoa17EBg";
  auto result = JweDecryptDetailed(jwe, key);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->plaintext.view(), kFrodo);
  EXPECT_EQ(result->alg, "ECDH-ES+A128KW");
  EXPECT_EQ(result->enc, "A128GCM");
}

TEST(JweDecrypt, DecryptsRfc7520Section55DirectEcdhEsWithCbcHmac) {
  PrivateKey key = MustParseJwkPrivate(
      R"({"kty":"EC","kid":"meriadoc.brandybuck@buckland.example","use":"enc","crv":"P-256",)"
      R"("x":"Ze2loSV3wrroKUN_4zhwGhCqo3Xhu1td4QjeQ5wIVR0",)"
      R"("y":"HlLtdXARY_f55A3fnzQbPcm6hgr34Mp8p-nuzQCE0Zw",)"
      R"("d":"r_kHyZ-a06rmxM3yESK84r1otSg-aQcVStkRhA-iCM8"})");
  const char* jwe =
      "eyJhbGciOiJFQ0RILUVTIiwia2lkIjoibWVyaWFkb2MuYnJhbmR5YnVja0BidWNrbGFuZC5leGFtcGxlIiwiZXBrIjp7"
      "Imt0eSI6IkVDIiwiY3J2IjoiUC0yNTYiLCJ4IjoibVBVS1RfYkFXR0hJaGcwVHBqanFWc1AxclhXUXVfdndWT0hIdE5r"
      "ZFlvQSIsInkiOiI4QlFBc0ltR2VBUzQ2ZnlXdzVNaFlmR1RUMElqQnBGdzJTUzM0RHY0SXJzIn0sImVuYyI6IkExMjhD"
      "QkMtSFMyNTYifQ.."
      "yc9N8v5sYyv3iGQT926IUg."
      "BoDlwPnTypYq-ivjmQvAYJLb5Q6l-F3LIgQomlz87yW4OPKbWE1zSTEFjDfhU9IPIOSA9Bml4m7iDFwA-"
      "1ZXvHteLDtw4R"
      "1XRGMEsDIqAYtskTTmzmzNa-_q4F_evAPUmwlO-ZG45Mnq4uhM1fm_D9rBtWolqZSF3xGNNkpOMQKF1Cl8i8wjzRli7-"
      "IX"
      "gyirlKQsbhhqRzkv8IcY6aHl24j03C-AR2le1r7URUhArM79BY8soZU0lzwI-"
      "sD5PZ3l4NDCCei9XkoIAfsXJWmySPoeRb"
      "2Ni5UZL4mYpvKDiwmyzGd65KqVw7MsFfI_K767G9C9Azp73gKZD0DyUn1mn0WW5LmyX_yJ-3AROq8p1WZBfG-"
      "ZyJ6195_J"
      "GG2m9Csg."
      "WCCkNa-x4BeB9hIDIfFuhg";
  auto pt = JweDecrypt(jwe, key);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(pt->view(), kFrodo);
  // One changed character of the epk x coordinate ("...NkdYoA" -> "...NkdloA") puts the point
  // off the curve; it must be refused before any key agreement (invalid-curve attacks).
  std::string off_curve = jwe;
  const size_t pos = off_curve.find("ZFlvQSIs");
  ASSERT_NE(pos, std::string::npos);
  off_curve.replace(pos, 8, "ZGxvQSIs");
  EXPECT_ERROR_HAS(JweDecrypt(off_curve, key), "point is not on the curve");
}

// ---- Go ocicrypt / skopeo interop ----

constexpr char kLayerDigest[] =
    "sha256:57105ec2ef0c885360b9293200a0d40e3449adc966e2776c71e440d1b8dd042d";

// The JWE annotation entries of the first layer of an OCI layout under generated/ocicrypt/images.
std::vector<std::string> JweAnnotations(const std::string& image) {
  const std::string dir = "generated/ocicrypt/images/" + image + "/";
  Json index = MustParse(ReadTestdata(dir + "index.json"));
  const std::string digest = index["manifests"][0]["digest"].get<std::string>();
  Json manifest = MustParse(ReadTestdata(dir + "blobs/sha256/" + digest.substr(7)));
  const std::string value =
      manifest["layers"][0]["annotations"]["org.opencontainers.image.enc.keys.jwe"]
          .get<std::string>();
  std::vector<std::string> out;
  for (absl::string_view entry : absl::StrSplit(value, ',')) {
    auto jwe = Base64Decode(entry);
    EXPECT_TRUE(jwe.ok()) << jwe.status();
    out.push_back(jwe.ok() ? *jwe : "");
  }
  return out;
}

void ExpectOptsDigest(const SecretBytes& plaintext) {
  auto opts = ParseJson(plaintext.view(), "private layer options");
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ((*opts)["digest"], kLayerDigest);
}

TEST(JweInterop, DecryptsSkopeoRsaAnnotation) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/images/skopeo_jwe_rsa/index.json");
  auto key = PrivateKey::Parse(ReadTestdata("generated/ocicrypt/keys/rsa_priv.pem"));
  ASSERT_TRUE(key.ok()) << key.status();
  std::vector<std::string> jwes = JweAnnotations("skopeo_jwe_rsa");
  ASSERT_EQ(jwes.size(), 1u);
  auto parsed = ParseJwe(jwes[0]);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->form, JweSerialization::kFlattened);
  EXPECT_EQ(parsed->recipients[0].alg, "RSA-OAEP");
  auto result = JweDecryptDetailed(jwes[0], *key);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->enc, "A256GCM");
  ExpectOptsDigest(result->plaintext);
}

TEST(JweInterop, DecryptsSkopeoEcP256AnnotationWithPkcs8AndSec1Keys) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/images/skopeo_jwe_ec_p256/index.json");
  std::vector<std::string> jwes = JweAnnotations("skopeo_jwe_ec_p256");
  ASSERT_EQ(jwes.size(), 1u);
  for (const char* name : {"ec_priv.pem", "ec_priv_sec1.der"}) {
    SCOPED_TRACE(name);
    auto key = PrivateKey::Parse(ReadTestdata(std::string("generated/ocicrypt/keys/") + name));
    ASSERT_TRUE(key.ok()) << key.status();
    auto result = JweDecryptDetailed(jwes[0], *key);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->alg, "ECDH-ES+A256KW");
    ExpectOptsDigest(result->plaintext);
  }
}

TEST(JweInterop, DecryptsIndependentEncoderCompactAndFlattened) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/images/pyenc_jwe_compact/index.json");
  auto key = PrivateKey::Parse(ReadTestdata("generated/ocicrypt/keys/rsa_priv.pem"));
  ASSERT_TRUE(key.ok()) << key.status();
  for (const char* image : {"pyenc_jwe_compact", "pyenc_jwe_flattened"}) {
    SCOPED_TRACE(image);
    std::vector<std::string> jwes = JweAnnotations(image);
    ASSERT_EQ(jwes.size(), 1u);
    auto parsed = ParseJwe(jwes[0]);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(parsed->form, std::string(image) == "pyenc_jwe_compact"
                                ? JweSerialization::kCompact
                                : JweSerialization::kFlattened);
    auto pt = JweDecrypt(jwes[0], *key);
    ASSERT_TRUE(pt.ok()) << pt.status();
    ExpectOptsDigest(*pt);
  }
}

TEST(JweInterop, SkopeoAnnotationDoesNotDecryptWithTheWrongKey) {
  COCOON_TESTDATA_OR_SKIP(path, "generated/ocicrypt/images/skopeo_jwe_ec_p256/index.json");
  auto rsa = PrivateKey::Parse(ReadTestdata("generated/ocicrypt/keys/rsa_priv.pem"));
  ASSERT_TRUE(rsa.ok());
  EXPECT_ERROR_HAS(JweDecrypt(JweAnnotations("skopeo_jwe_ec_p256")[0], *rsa),
                   "no recipient uses a key management algorithm for a RSA key (recipient "
                   "algorithms: ECDH-ES+A256KW)");
  PrivateKey p256 = MustGenerate(KeyType::kEcP256);
  EXPECT_ERROR_HAS(JweDecrypt(JweAnnotations("skopeo_jwe_ec_p256")[0], p256),
                   "JWE encrypted_key: AES key unwrap: integrity check failed");
  PrivateKey p384 = MustGenerate(KeyType::kEcP384);
  EXPECT_ERROR_HAS(JweDecrypt(JweAnnotations("skopeo_jwe_ec_p256")[0], p384),
                   "JWE header epk: EC P-256 key does not match the EC P-384 private key");
  PrivateKey other_rsa = MustGenerate(KeyType::kRsa);
  EXPECT_ERROR_HAS(JweDecrypt(JweAnnotations("skopeo_jwe_rsa")[0], other_rsa),
                   "JWE encrypted_key: RSA-OAEP (SHA-1): decryption failed");
}

TEST(JweInterop, EncryptsToImgcryptJwkRecipientsWithTheirAlg) {
  COCOON_TESTDATA_OR_SKIP(path,
                          "imgcrypt/script/tests/test_encryption.sh.extracted/JWKECTESTKEY1.jwk");
  const std::string dir = "imgcrypt/script/tests/test_encryption.sh.extracted/";
  for (const char* name : {"JWKECTESTKEY1.jwk", "JWKTESTKEY3.jwk", "JWKTESTKEY1.jwk"}) {
    SCOPED_TRACE(name);
    auto jwk = ParseJwk(ReadTestdata(dir + name));
    ASSERT_TRUE(jwk.ok()) << jwk.status();
    auto jwe = JweEncrypt("layer options", {{jwk->public_key, jwk->alg}});
    ASSERT_TRUE(jwe.ok()) << jwe.status();
    auto result = JweDecryptDetailed(*jwe, *jwk->private_key);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->plaintext.view(), "layer options");
    EXPECT_EQ(result->alg, jwk->alg.empty() ? "RSA-OAEP" : jwk->alg);
  }
}

// ---- Output shape ----

TEST(JweEncrypt, FlattenedRsaOutputHasTheGoJoseShape) {
  PrivateKey key = MustGenerate(KeyType::kRsa);
  auto jwe = JweEncrypt("hello", {{key.GetPublic(), ""}});
  ASSERT_TRUE(jwe.ok()) << jwe.status();
  Json json = MustParse(*jwe);
  std::vector<std::string> members;
  for (auto it = json.begin(); it != json.end(); ++it) members.push_back(it.key());
  EXPECT_THAT(members, ::testing::UnorderedElementsAre("protected", "encrypted_key", "iv",
                                                       "ciphertext", "tag"));
  EXPECT_THAT(*jwe, ::testing::StartsWith("{\"protected\":"));
  EXPECT_EQ(B64u(json["protected"].get<std::string>()), R"({"alg":"RSA-OAEP","enc":"A256GCM"})");
  EXPECT_EQ(B64u(json["iv"].get<std::string>()).size(), 12u);
  EXPECT_EQ(B64u(json["tag"].get<std::string>()).size(), 16u);
  EXPECT_EQ(B64u(json["encrypted_key"].get<std::string>()).size(), 256u);
}

TEST(JweEncrypt, KbsStyleRsaOaep256AndEcdhHeadersAreExact) {
  PrivateKey rsa = MustGenerate(KeyType::kRsa);
  auto jwe = JweEncrypt("resource", {{rsa.GetPublic(), "RSA-OAEP-256"}});
  ASSERT_TRUE(jwe.ok()) << jwe.status();
  Json json = MustParse(*jwe);
  EXPECT_EQ(B64u(json["protected"].get<std::string>()),
            R"({"alg":"RSA-OAEP-256","enc":"A256GCM"})");

  PrivateKey ec = MustGenerate(KeyType::kEcP256);
  auto ec_jwe = JweEncrypt("resource", {{ec.GetPublic(), "ECDH-ES+A256KW"}});
  ASSERT_TRUE(ec_jwe.ok()) << ec_jwe.status();
  const std::string header = B64u(MustParse(*ec_jwe)["protected"].get<std::string>());
  EXPECT_THAT(
      header,
      ::testing::StartsWith(
          R"({"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{"crv":"P-256","kty":"EC","x":")"));
  Json parsed_header = MustParse(header);
  EXPECT_EQ(B64u(parsed_header["epk"]["x"].get<std::string>()).size(), 32u);
  EXPECT_EQ(B64u(MustParse(*ec_jwe)["encrypted_key"].get<std::string>()).size(), 40u);
}

TEST(ParsedJwe, ContentAadIsTheEncodedProtectedHeader) {
  // The Trustee kbs_types AAD vector: header {"alg":"fakealg","enc":"fakeenc"}.
  auto parsed =
      ParseJwe(R"({"protected":"eyJhbGciOiJmYWtlYWxnIiwiZW5jIjoiZmFrZWVuYyJ9","encrypted_key":"",)"
               R"("iv":"","ciphertext":"","tag":""})");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->protected_header, R"({"alg":"fakealg","enc":"fakeenc"})");
  EXPECT_EQ(parsed->ContentAad(), "eyJhbGciOiJmYWtlYWxnIiwiZW5jIjoiZmFrZWVuYyJ9");
  EXPECT_EQ(parsed->enc, "fakeenc");
}

// ---- Round trips ----

struct RoundTripCase {
  const char* alg;
  KeyType type;
  JweSerialization form;
  const char* enc;
};

class JweRoundTripTest : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(JweRoundTripTest, EncryptsAndDecrypts) {
  const RoundTripCase& c = GetParam();
  PrivateKey key = MustGenerate(c.type);
  constexpr char kPlain[] = "the layer key \x00\x01\x02 and more";
  const std::string plaintext(kPlain, sizeof(kPlain) - 1);
  auto jwe = JweEncrypt(plaintext, {{key.GetPublic(), c.alg}}, c.form, c.enc);
  ASSERT_TRUE(jwe.ok()) << jwe.status();
  auto parsed = ParseJwe(*jwe);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->form,
            c.form == JweSerialization::kAuto ? JweSerialization::kFlattened : c.form);
  auto result = JweDecryptDetailed(*jwe, key);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->plaintext.view(), plaintext);
  EXPECT_EQ(result->alg, c.alg);
  EXPECT_EQ(result->enc, c.enc);
}

std::vector<RoundTripCase> RoundTripCases() {
  std::vector<RoundTripCase> cases;
  for (JweSerialization form :
       {JweSerialization::kFlattened, JweSerialization::kCompact, JweSerialization::kGeneral}) {
    for (const char* alg : {"RSA-OAEP", "RSA-OAEP-256", "RSA1_5"}) {
      cases.push_back({alg, KeyType::kRsa, form, "A256GCM"});
    }
    for (KeyType type : {KeyType::kEcP256, KeyType::kEcP384, KeyType::kEcP521}) {
      for (const char* alg : {"ECDH-ES+A128KW", "ECDH-ES+A192KW", "ECDH-ES+A256KW", "ECDH-ES"}) {
        cases.push_back({alg, type, form, "A256GCM"});
      }
    }
  }
  for (const char* enc :
       {"A128GCM", "A192GCM", "A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512"}) {
    cases.push_back({"RSA-OAEP", KeyType::kRsa, JweSerialization::kFlattened, enc});
    cases.push_back({"ECDH-ES+A256KW", KeyType::kEcP256, JweSerialization::kCompact, enc});
    cases.push_back({"ECDH-ES", KeyType::kEcP384, JweSerialization::kFlattened, enc});
  }
  return cases;
}

std::string RoundTripName(const ::testing::TestParamInfo<RoundTripCase>& info) {
  const char* forms[] = {"Auto", "Flattened", "General", "Compact"};
  std::string name = absl::StrCat(info.param.alg, "_", crypto::KeyTypeName(info.param.type), "_",
                                  forms[static_cast<int>(info.param.form)], "_", info.param.enc);
  for (char& c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(AllAlgsCurvesForms, JweRoundTripTest,
                         ::testing::ValuesIn(RoundTripCases()), RoundTripName);

TEST(JweEncrypt, EmptyPlaintextRoundTrips) {
  PrivateKey key = MustGenerate(KeyType::kEcP256);
  auto jwe = JweEncrypt("", {{key.GetPublic(), ""}});
  ASSERT_TRUE(jwe.ok()) << jwe.status();
  auto pt = JweDecrypt(*jwe, key);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_TRUE(pt->empty());
}

TEST(JweEncrypt, GeneralFormHasPerRecipientHeadersAndEveryRecipientDecrypts) {
  std::vector<PrivateKey> keys;
  keys.push_back(MustGenerate(KeyType::kRsa));
  keys.push_back(MustGenerate(KeyType::kEcP256));
  keys.push_back(MustGenerate(KeyType::kEcP521));
  keys.push_back(MustGenerate(KeyType::kRsa, 1));
  std::vector<JweRecipient> recipients = {{keys[0].GetPublic(), ""},
                                          {keys[1].GetPublic(), ""},
                                          {keys[2].GetPublic(), "ECDH-ES+A128KW"},
                                          {keys[3].GetPublic(), "RSA-OAEP-256"}};
  auto jwe = JweEncrypt("shared secret", recipients);
  ASSERT_TRUE(jwe.ok()) << jwe.status();
  Json json = MustParse(*jwe);
  EXPECT_EQ(B64u(json["protected"].get<std::string>()), R"({"enc":"A256GCM"})");
  EXPECT_FALSE(json.contains("encrypted_key"));
  ASSERT_EQ(json["recipients"].size(), 4u);
  EXPECT_EQ(json["recipients"][0]["header"].dump(), R"({"alg":"RSA-OAEP"})");
  EXPECT_EQ(json["recipients"][1]["header"]["alg"], "ECDH-ES+A256KW");
  EXPECT_EQ(json["recipients"][1]["header"]["epk"]["crv"], "P-256");
  EXPECT_EQ(json["recipients"][2]["header"]["epk"]["crv"], "P-521");
  EXPECT_EQ(json["recipients"][3]["header"]["alg"], "RSA-OAEP-256");
  const char* algs[] = {"RSA-OAEP", "ECDH-ES+A256KW", "ECDH-ES+A128KW", "RSA-OAEP-256"};
  for (size_t i = 0; i < keys.size(); ++i) {
    SCOPED_TRACE(i);
    auto result = JweDecryptDetailed(*jwe, keys[i]);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->plaintext.view(), "shared secret");
    EXPECT_EQ(result->alg, algs[i]);
  }
  PrivateKey stranger = MustGenerate(KeyType::kRsa, 2);
  auto failure = JweDecrypt(*jwe, stranger);
  EXPECT_ERROR_HAS(failure, "no recipient could be decrypted with this key: recipient 0:");
  EXPECT_ERROR_HAS(failure, "recipient 3:");
  PrivateKey ed = MustGenerate(KeyType::kEd25519);
  EXPECT_ERROR_HAS(JweDecrypt(*jwe, ed),
                   "no recipient uses a key management algorithm for a Ed25519 key");
}

TEST(JweDecrypt, IgnoresGoJoseTopLevelEncryptedKeyInGeneralForm) {
  PrivateKey a = MustGenerate(KeyType::kEcP256);
  PrivateKey b = MustGenerate(KeyType::kEcP256, 1);
  auto jwe = JweEncrypt("x", {{a.GetPublic(), ""}, {b.GetPublic(), ""}});
  ASSERT_TRUE(jwe.ok());
  Json json = MustParse(*jwe);
  json["encrypted_key"] = Base64UrlEncode("not the right key at all 0123456789");
  auto pt = JweDecrypt(json.dump(), b);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(pt->view(), "x");
}

TEST(JweDecrypt, HonoursTheAadMemberInTheContentAad) {
  // RFC 7516 5.1 step 14: AAD = ASCII(protected) || '.' || ASCII(aad).
  PrivateKey key = MustGenerate(KeyType::kRsa);
  const std::string cek(32, '\x42');
  const std::string protected_b64 = Base64UrlEncode(R"({"alg":"RSA-OAEP","enc":"A256GCM"})");
  const std::string aad_b64 = Base64UrlEncode("extra authenticated data");
  const std::string iv(12, '\x07');
  std::string tag;
  auto ct = crypto::AesGcmEncrypt(cek, iv, "with aad", protected_b64 + "." + aad_b64, &tag);
  ASSERT_TRUE(ct.ok());
  auto ek = crypto::RsaOaepEncrypt(key.GetPublic(), crypto::OaepHash::kSha1, cek);
  ASSERT_TRUE(ek.ok());
  Json json = {{"protected", protected_b64},
               {"encrypted_key", Base64UrlEncode(*ek)},
               {"aad", aad_b64},
               {"iv", Base64UrlEncode(iv)},
               {"ciphertext", Base64UrlEncode(*ct)},
               {"tag", Base64UrlEncode(tag)}};
  auto pt = JweDecrypt(json.dump(), key);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(pt->view(), "with aad");
  json["aad"] = Base64UrlEncode("other data");
  EXPECT_ERROR_HAS(JweDecrypt(json.dump(), key), "authentication failed");
  json.erase("aad");
  EXPECT_ERROR_HAS(JweDecrypt(json.dump(), key), "authentication failed");
}

TEST(JweDecrypt, MergesSharedUnprotectedAndPerRecipientHeaders) {
  // A flattened JWE whose "alg" lives in the per-recipient header and "enc" in "unprotected".
  PrivateKey key = MustGenerate(KeyType::kRsa);
  const std::string cek(16, '\x11');
  const std::string protected_b64 = Base64UrlEncode(R"({"kid":"k1"})");
  const std::string iv(12, '\x01');
  std::string tag;
  auto ct = crypto::AesGcmEncrypt(cek, iv, "merged", protected_b64, &tag);
  auto ek = crypto::RsaOaepEncrypt(key.GetPublic(), crypto::OaepHash::kSha256, cek);
  ASSERT_TRUE(ct.ok() && ek.ok());
  Json json = {{"protected", protected_b64},          {"unprotected", {{"enc", "A128GCM"}}},
               {"header", {{"alg", "RSA-OAEP-256"}}}, {"encrypted_key", Base64UrlEncode(*ek)},
               {"iv", Base64UrlEncode(iv)},           {"ciphertext", Base64UrlEncode(*ct)},
               {"tag", Base64UrlEncode(tag)}};
  auto pt = JweDecrypt(json.dump(), key);
  ASSERT_TRUE(pt.ok()) << pt.status();
  EXPECT_EQ(pt->view(), "merged");
  json["header"]["enc"] = "A128GCM";
  EXPECT_ERROR_HAS(JweDecrypt(json.dump(), key), "member \"enc\" appears in more than one header");
}

// ---- Tampering ----

// Flips one bit of the decoded value of `member` in a flattened JWE.
std::string FlipBit(const std::string& jwe, const char* member, size_t byte = 0) {
  Json json = MustParse(jwe);
  std::string value = B64u(json[member].get<std::string>());
  EXPECT_LT(byte, value.size());
  value[byte] ^= 0x01;
  json[member] = Base64UrlEncode(value);
  return json.dump();
}

class JweTamperTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(JweTamperTest, EveryFieldIsAuthenticated) {
  PrivateKey key = MustGenerate(GetParam());
  auto jwe = JweEncrypt("tamper me", {{key.GetPublic(), ""}});
  ASSERT_TRUE(jwe.ok()) << jwe.status();
  ASSERT_TRUE(JweDecrypt(*jwe, key).ok());
  const bool rsa = GetParam() == KeyType::kRsa;
  EXPECT_ERROR_HAS(JweDecrypt(FlipBit(*jwe, "encrypted_key", 5), key),
                   rsa ? "JWE encrypted_key: RSA-OAEP (SHA-1): decryption failed"
                       : "JWE encrypted_key: AES key unwrap: integrity check failed");
  EXPECT_ERROR_HAS(JweDecrypt(FlipBit(*jwe, "iv"), key),
                   "JWE content (A256GCM): AES-GCM: authentication failed");
  EXPECT_ERROR_HAS(JweDecrypt(FlipBit(*jwe, "ciphertext", 3), key),
                   "JWE content (A256GCM): AES-GCM: authentication failed");
  EXPECT_ERROR_HAS(JweDecrypt(FlipBit(*jwe, "tag", 15), key),
                   "JWE content (A256GCM): AES-GCM: authentication failed");
  // A protected header with the same meaning but different bytes changes the AAD.
  Json json = MustParse(*jwe);
  Json header = MustParse(B64u(json["protected"].get<std::string>()));
  json["protected"] = Base64UrlEncode(header.dump(1));
  EXPECT_ERROR_HAS(JweDecrypt(json.dump(), key), "authentication failed");
  // A bit flip inside the protected header's JSON text fails one way or another.
  const std::string flipped = FlipBit(*jwe, "protected", 10);
  EXPECT_FALSE(JweDecrypt(flipped, key).ok());
}

INSTANTIATE_TEST_SUITE_P(RsaAndEc, JweTamperTest,
                         ::testing::Values(KeyType::kRsa, KeyType::kEcP256, KeyType::kEcP521),
                         [](const auto& info) {
                           std::string name(crypto::KeyTypeName(info.param));
                           for (char& c : name) {
                             if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

TEST(JweDecrypt, DetectsTamperedEphemeralKey) {
  PrivateKey key = MustGenerate(KeyType::kEcP256);
  auto jwe = JweEncrypt("x", {{key.GetPublic(), ""}});
  ASSERT_TRUE(jwe.ok());
  Json json = MustParse(*jwe);
  Json header = MustParse(B64u(json["protected"].get<std::string>()));
  std::string y = B64u(header["epk"]["y"].get<std::string>());
  y[31] ^= 1;
  header["epk"]["y"] = Base64UrlEncode(y);
  json["protected"] = Base64UrlEncode(header.dump());
  EXPECT_ERROR_HAS(JweDecrypt(json.dump(), key), "JWE header epk");
  EXPECT_ERROR_HAS(JweDecrypt(json.dump(), key), "not on the curve");
}

// ---- Malformed input ----

TEST(JweDecrypt, RejectsMalformedInputWithFieldNames) {
  PrivateKey key = MustGenerate(KeyType::kEcP256);
  EXPECT_ERROR_HAS(JweDecrypt("", key), "JWE: empty input");
  EXPECT_ERROR_HAS(JweDecrypt("   \n", key), "JWE: empty input");
  EXPECT_ERROR_HAS(JweDecrypt("{", key), "JWE JSON serialization");
  EXPECT_ERROR_HAS(JweDecrypt("[]", key), "JWE compact serialization: expected 5");
  EXPECT_ERROR_HAS(JweDecrypt("a.b.c", key), "expected 5 dot-separated parts, got 3");
  EXPECT_ERROR_HAS(JweDecrypt("a.b.c.d.e.f", key), "got 6");
  EXPECT_ERROR_HAS(JweDecrypt(".b.c.d.e", key), "JWE protected: empty");
  EXPECT_ERROR_HAS(JweDecrypt("e30.AAAA.AAAA.AAAA.AAAA", key), "JWE header: missing \"alg\"");
  EXPECT_ERROR_HAS(JweDecrypt("W10.AAAA.AAAA.AAAA.AAAA", key),
                   "JWE protected header: expected a JSON object");
  EXPECT_ERROR_HAS(JweDecrypt("e30!.AAAA.AAAA.AAAA.AAAA", key),
                   "JWE protected: base64: illegal character");
  EXPECT_ERROR_HAS(JweDecrypt("e30.A.AAAA.AAAA.AAAA", key), "JWE encrypted_key: base64");
  const std::string rsa_hdr = Base64UrlEncode(R"({"alg":"RSA-OAEP","enc":"A256GCM"})");
  EXPECT_ERROR_HAS(JweDecrypt(rsa_hdr + ".AAAA.AA=A.AAAA.AAAA", key), "JWE iv: ");
  EXPECT_ERROR_HAS(JweDecrypt(rsa_hdr + ".AA AA.AAAA.AAAA.AAAA", key),
                   "JWE encrypted_key: base64url: whitespace");
  EXPECT_ERROR_HAS(JweDecrypt(R"({"protected":"e30","iv":"","tag":""})", key),
                   "missing member \"ciphertext\"");
  EXPECT_ERROR_HAS(JweDecrypt(R"({"protected":7,"iv":"","ciphertext":"","tag":""})", key),
                   "JWE protected: must be a string");
  EXPECT_ERROR_HAS(JweDecrypt(R"({"recipients":[],"iv":"","ciphertext":"","tag":""})", key),
                   "JWE recipients: must be a non-empty array");
  EXPECT_ERROR_HAS(JweDecrypt(R"({"recipients":[7],"iv":"","ciphertext":"","tag":""})", key),
                   "JWE recipients[0]: must be a JSON object");
  EXPECT_ERROR_HAS(
      JweDecrypt(R"({"recipients":[{"encrypted_key":"!"}],"iv":"","ciphertext":"","tag":""})", key),
      "JWE recipients[0]: JWE encrypted_key: base64");
}

TEST(JweDecrypt, RejectsUnsupportedHeaders) {
  PrivateKey key = MustGenerate(KeyType::kEcP256);
  auto with_header = [](absl::string_view header) {
    return Base64UrlEncode(header) + ".AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA";
  };
  EXPECT_ERROR_HAS(JweDecrypt(with_header(R"({"alg":"ECDH-ES","enc":"A256XYZ"})"), key),
                   "\"enc\" \"A256XYZ\" is not supported");
  EXPECT_ERROR_HAS(JweDecrypt(with_header(R"({"alg":"dir","enc":"A256GCM"})"), key),
                   "key management algorithm \"alg\" \"dir\" is not supported");
  EXPECT_ERROR_HAS(JweDecrypt(with_header(R"({"alg":"ECDH-ES","enc":"A256GCM","zip":"DEF"})"), key),
                   "compression (\"zip\") is not supported");
  EXPECT_ERROR_HAS(
      JweDecrypt(with_header(R"({"alg":"ECDH-ES","enc":"A256GCM","crit":["exp"],"exp":1})"), key),
      "\"crit\" extensions are not supported");
  EXPECT_ERROR_HAS(JweDecrypt(with_header(R"({"alg":"ECDH-ES","enc":7})"), key),
                   "\"enc\" must be a string");
  EXPECT_ERROR_HAS(JweDecrypt(with_header(R"({"alg":"ECDH-ES+A256KW","enc":"A256GCM"})"), key),
                   "missing \"epk\"");
  EXPECT_ERROR_HAS(
      JweDecrypt(with_header(R"({"alg":"ECDH-ES+A256KW","enc":"A256GCM","epk":{"kty":"EC"}})"),
                 key),
      "JWE header epk: member \"crv\"");
}

TEST(JweDecrypt, RejectsWrongIvAndTagSizes) {
  PrivateKey key = MustGenerate(KeyType::kRsa);
  auto jwe = JweEncrypt("x", {{key.GetPublic(), ""}});
  ASSERT_TRUE(jwe.ok());
  Json json = MustParse(*jwe);
  Json short_iv = json;
  short_iv["iv"] = Base64UrlEncode("12345678");
  EXPECT_ERROR_HAS(JweDecrypt(short_iv.dump(), key), "JWE iv: 8 bytes; enc A256GCM needs 12");
  Json short_tag = json;
  short_tag["tag"] = Base64UrlEncode("12345678");
  EXPECT_ERROR_HAS(JweDecrypt(short_tag.dump(), key), "JWE tag: 8 bytes; enc A256GCM needs 16");
}

TEST(JweDecrypt, SurvivesHugeBase64AndRefusesOversizedInput) {
  PrivateKey key = MustGenerate(KeyType::kRsa);
  auto jwe = JweEncrypt("x", {{key.GetPublic(), ""}});
  ASSERT_TRUE(jwe.ok());
  Json json = MustParse(*jwe);
  json["ciphertext"] = std::string(16 << 20, 'A');
  EXPECT_ERROR_HAS(JweDecrypt(json.dump(), key), "authentication failed");
  const std::string oversized = "{\"ciphertext\":\"" + std::string(65 << 20, 'A') + "\"}";
  EXPECT_ERROR_HAS(JweDecrypt(oversized, key), "exceeds the 64 MiB limit");
}

// ---- Encryption errors ----

TEST(JweEncrypt, RejectsBadRecipientsFormsAndEnc) {
  PrivateKey rsa = MustGenerate(KeyType::kRsa);
  PrivateKey ec = MustGenerate(KeyType::kEcP256);
  PrivateKey ed = MustGenerate(KeyType::kEd25519);
  EXPECT_ERROR_HAS(JweEncrypt("x", {}), "no recipients");
  EXPECT_ERROR_HAS(
      JweEncrypt("x", {{rsa.GetPublic(), ""}, {ec.GetPublic(), ""}}, JweSerialization::kCompact),
      "the compact serialization holds exactly one recipient, got 2");
  EXPECT_ERROR_HAS(
      JweEncrypt("x", {{rsa.GetPublic(), ""}, {ec.GetPublic(), ""}}, JweSerialization::kFlattened),
      "the flattened serialization holds exactly one recipient");
  EXPECT_ERROR_HAS(JweEncrypt("x", {{ed.GetPublic(), ""}}),
                   "recipient 0: Ed25519 keys cannot be JWE recipients");
  EXPECT_ERROR_HAS(JweEncrypt("x", {{ec.GetPublic(), "RSA-OAEP"}}),
                   "algorithm RSA-OAEP does not fit a EC P-256 key");
  EXPECT_ERROR_HAS(JweEncrypt("x", {{rsa.GetPublic(), "ECDH-ES+A128KW"}}),
                   "does not fit a RSA key");
  EXPECT_ERROR_HAS(JweEncrypt("x", {{rsa.GetPublic(), "A128KW"}}), "\"A128KW\" is not supported");
  EXPECT_ERROR_HAS(JweEncrypt("x", {{rsa.GetPublic(), ""}}, JweSerialization::kAuto, "A512GCM"),
                   "\"enc\" \"A512GCM\" is not supported");
  EXPECT_ERROR_HAS(JweEncrypt("x", {{ec.GetPublic(), "ECDH-ES"}, {rsa.GetPublic(), ""}}),
                   "direct key agreement ECDH-ES allows only one recipient");
}

TEST(JweEncrypt, DirectEcdhOmitsTheEncryptedKey) {
  PrivateKey ec = MustGenerate(KeyType::kEcP256);
  auto jwe = JweEncrypt("x", {{ec.GetPublic(), "ECDH-ES"}});
  ASSERT_TRUE(jwe.ok()) << jwe.status();
  EXPECT_FALSE(MustParse(*jwe).contains("encrypted_key"));
  auto compact = JweEncrypt("x", {{ec.GetPublic(), "ECDH-ES"}}, JweSerialization::kCompact);
  ASSERT_TRUE(compact.ok());
  std::vector<std::string> parts = absl::StrSplit(*compact, '.');
  ASSERT_EQ(parts.size(), 5u);
  EXPECT_TRUE(parts[1].empty());
}

}  // namespace
}  // namespace cocoon::jose
