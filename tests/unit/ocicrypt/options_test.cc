#include "ocicrypt/options.h"

#include "base/encoding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ocicrypt/annotations.h"
#include "ocicrypt/layer_cipher.h"
#include "ocicrypt/media_types.h"

namespace cocoon::ocicrypt {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// --- Options JSON ------------------------------------------------------------------------------

TEST(OptionsTest, SerializersSortCipherOptionKeysAndUseGoEscaping) {
  PrivateOptions priv;
  priv.symkey = SecretBytes(std::string("\x01\x02\x03", 3));
  priv.digest = "a<b>&c\"";
  priv.cipher_options["zeta"] = "z";
  priv.cipher_options["alpha"] = std::string("\xff", 1);
  EXPECT_EQ(SerializePrivateOptions(priv).view(),
            "{\"symkey\":\"AQID\",\"digest\":\"a\\u003cb\\u003e\\u0026c\\\"\","
            "\"cipheroptions\":{\"alpha\":\"/w==\",\"zeta\":\"eg==\"}}");
  PublicOptions pub;
  pub.cipher = std::string(kCipherAes256CtrHmacSha256);
  EXPECT_EQ(SerializePublicOptions(pub),
            "{\"cipher\":\"AES_256_CTR_HMAC_SHA256\",\"hmac\":\"\",\"cipheroptions\":{}}");
}

TEST(OptionsTest, ParseMatchesKeysCaseInsensitivelyAndIgnoresUnknownOnes) {
  auto priv = ParsePrivateOptions(
      R"({"SymKey":"AQID","DIGEST":"sha256:x","CipherOptions":{"nonce":"AAEC"},"extra":[1,2]})");
  ASSERT_TRUE(priv.ok()) << priv.status();
  EXPECT_EQ(priv->symkey.view(), std::string("\x01\x02\x03", 3));
  EXPECT_EQ(priv->digest, "sha256:x");
  EXPECT_EQ(priv->cipher_options.at("nonce"), std::string("\x00\x01\x02", 3));
  auto pub = ParsePublicOptions(R"({"Cipher":"AES_256_CTR_HMAC_SHA256","HMAC":"AQID"})");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->cipher, kCipherAes256CtrHmacSha256);
  EXPECT_EQ(pub->hmac, std::string("\x01\x02\x03", 3));
  EXPECT_TRUE(pub->cipher_options.empty());
}

TEST(OptionsTest, ExactKeyWinsOverCaseInsensitiveMatch) {
  auto pub = ParsePublicOptions(R"({"CIPHER":"upper","cipher":"exact"})");
  ASSERT_TRUE(pub.ok());
  EXPECT_EQ(pub->cipher, "exact");
}

TEST(OptionsTest, NullAndMissingMembersAreEmpty) {
  auto priv = ParsePrivateOptions(R"({"symkey":null,"cipheroptions":{"nonce":null}})");
  ASSERT_TRUE(priv.ok());
  EXPECT_TRUE(priv->symkey.empty());
  EXPECT_EQ(priv->cipher_options.at("nonce"), "");
  auto pub = ParsePublicOptions("null");
  ASSERT_TRUE(pub.ok());
  EXPECT_TRUE(pub->cipher.empty());
  auto empty = ParsePublicOptions("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->hmac.empty());
}

TEST(OptionsTest, MissingCipherParsesButDecryptSaysNoCipherType) {
  // What Go does with a layer lacking the pubopts annotation: an empty struct, then this error.
  auto pub = ParsePublicOptions("{}");
  ASSERT_TRUE(pub.ok());
  PrivateOptions priv;
  priv.symkey = SecretBytes(std::string(32, 'k'));
  StringSource src("");
  StringSink sink;
  EXPECT_THAT(DecryptLayerStream(src, sink, priv, *pub).message(),
              HasSubstr("no cipher type provided"));
}

TEST(OptionsTest, ParseRejectsBadBase64NamingTheField) {
  auto priv = ParsePrivateOptions(R"({"symkey":"AQI"})");
  EXPECT_THAT(priv.status().message(), HasSubstr("symkey"));
  EXPECT_THAT(priv.status().message(), HasSubstr("base64"));
  auto pub = ParsePublicOptions(R"({"hmac":"not base64!"})");
  EXPECT_THAT(pub.status().message(), HasSubstr("hmac: base64"));
  auto nonce = ParsePrivateOptions(R"({"cipheroptions":{"nonce":"A-_B"}})");
  EXPECT_THAT(nonce.status().message(), HasSubstr("cipheroptions.nonce: base64"));
}

TEST(OptionsTest, ParseRejectsWrongTypesNamingTheField) {
  EXPECT_THAT(ParsePrivateOptions(R"({"digest":5})").status().message(),
              HasSubstr("digest: expected a string, got number"));
  EXPECT_THAT(ParsePrivateOptions(R"({"symkey":[1,2]})").status().message(),
              HasSubstr("symkey: expected a base64 string, got array"));
  EXPECT_THAT(ParsePublicOptions(R"({"cipheroptions":"x"})").status().message(),
              HasSubstr("cipheroptions: expected an object, got string"));
  EXPECT_THAT(ParsePublicOptions(R"({"cipheroptions":{"nonce":1}})").status().message(),
              HasSubstr("cipheroptions.nonce: expected a base64 string"));
  EXPECT_THAT(ParsePublicOptions(R"({"cipher":true})").status().message(),
              HasSubstr("cipher: expected a string"));
  EXPECT_THAT(ParsePublicOptions("[]").status().message(),
              HasSubstr("expected a JSON object, got array"));
  EXPECT_THAT(ParsePublicOptions("{").status().message(), HasSubstr("invalid JSON"));
}

TEST(OptionsTest, ParseErrorsNeverEchoTheKey) {
  const std::string key_b64 = Base64Encode(std::string(32, 'S'));
  auto priv = ParsePrivateOptions("{\"symkey\":\"" + key_b64 + "\",\"digest\":[]}");
  ASSERT_FALSE(priv.ok());
  EXPECT_THAT(std::string(priv.status().message()), ::testing::Not(HasSubstr(key_b64)));
}

TEST(OptionsTest, PrivateOptionsRoundTrip) {
  PrivateOptions priv;
  priv.symkey = SecretBytes(std::string(32, '\x7f'));
  priv.digest = "sha256:" + std::string(64, 'a');
  priv.cipher_options["nonce"] = std::string(16, '\0');
  SecretBytes json = SerializePrivateOptions(priv);
  auto back = ParsePrivateOptions(json.view());
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->symkey == priv.symkey);
  EXPECT_EQ(back->digest, priv.digest);
  EXPECT_EQ(back->cipher_options, priv.cipher_options);
}

// --- Annotations -------------------------------------------------------------------------------

TEST(AnnotationsTest, JoinAndSplitRoundTrip) {
  const std::vector<std::string> raw = {"first", std::string("\x00\xff", 2), "third entry"};
  const std::string joined = JoinKeyAnnotation(raw);
  EXPECT_EQ(joined, "Zmlyc3Q=,AP8=,dGhpcmQgZW50cnk=");
  auto split = SplitKeyAnnotation(joined);
  ASSERT_TRUE(split.ok());
  EXPECT_EQ(*split, raw);
}

TEST(AnnotationsTest, SplitNamesTheBadEntry) {
  EXPECT_THAT(SplitKeyAnnotation("Zmlyc3Q=,A*8=").status().message(),
              HasSubstr("key annotation entry 1: base64"));
  EXPECT_THAT(SplitKeyAnnotation("Zmlyc3Q=,,AP8=").status().message(),
              HasSubstr("key annotation entry 1 is empty"));
  EXPECT_THAT(SplitKeyAnnotation("").status().message(), HasSubstr("entry 0 is empty"));
  EXPECT_THAT(SplitKeyAnnotation("Zmlyc3Q").status().message(),
              HasSubstr("entry 0: base64"));  // padding required, as in Go's StdEncoding
}

TEST(AnnotationsTest, PubOptsEncodeDecode) {
  PublicOptions pub;
  pub.cipher = std::string(kCipherAes256CtrHmacSha256);
  pub.hmac = std::string(32, '\x01');
  const std::string value = EncodePubOpts(pub);
  EXPECT_EQ(value, EncodePubOpts(SerializePublicOptions(pub)));
  EXPECT_EQ(*DecodePubOpts(value), SerializePublicOptions(pub));
  auto back = DecodePubOptsAnnotation(value);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->hmac, pub.hmac);
  EXPECT_THAT(DecodePubOpts("%%%").status().message(),
              HasSubstr("org.opencontainers.image.enc.pubopts: base64"));
  EXPECT_THAT(DecodePubOptsAnnotation(Base64Encode("[1]")).status().message(),
              HasSubstr("expected a JSON object"));
}

TEST(AnnotationsTest, InspectListsSchemesAndDecodesPubOpts) {
  PublicOptions pub;
  pub.cipher = std::string(kCipherAes256CtrHmacSha256);
  std::map<std::string, std::string> ann = {
      {KeyAnnotationName(kSchemeJwe), "YQ=="},
      {KeyAnnotationName(ProviderSchemeId("attestation-agent")), "Yg=="},
      {std::string(kPubOptsAnnotation), EncodePubOpts(pub)},
      {"org.example.other", "kept"},
  };
  auto info = InspectLayerAnnotations(ann);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_THAT(info->schemes, ElementsAre("jwe", "provider.attestation-agent"));
  EXPECT_EQ(info->wrapped_keys.at("jwe"), "YQ==");
  EXPECT_EQ(info->pubopts.cipher, kCipherAes256CtrHmacSha256);
  EXPECT_TRUE(HasKeyAnnotations(ann));
  auto plain = WithoutEncryptionAnnotations(ann);
  EXPECT_EQ(plain.size(), 1u);
  EXPECT_EQ(plain.at("org.example.other"), "kept");
}

TEST(AnnotationsTest, InspectReportsUnencryptedAndMissingPubOpts) {
  auto none = InspectLayerAnnotations({{"org.example", "x"}});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("layer is not encrypted"));
  EXPECT_FALSE(HasKeyAnnotations({{std::string(kPubOptsAnnotation), "x"}}));
  auto missing = InspectLayerAnnotations({{KeyAnnotationName(kSchemePgp), "YQ=="}});
  EXPECT_THAT(missing.status().message(), HasSubstr("missing pubopts annotation"));
  EXPECT_THAT(missing.status().message(), HasSubstr("pgp"));
}

// --- Media types -------------------------------------------------------------------------------

TEST(MediaTypesTest, EncryptedMediaTypeMapsLikeImgcryptAndSkopeo) {
  EXPECT_EQ(*EncryptedMediaType(kMediaTypeDockerLayerGzip), kMediaTypeOciLayerGzipEnc);
  EXPECT_EQ(*EncryptedMediaType(kMediaTypeDockerLayer), kMediaTypeOciLayerEnc);
  EXPECT_EQ(*EncryptedMediaType(kMediaTypeOciLayer), kMediaTypeOciLayerEnc);
  EXPECT_EQ(*EncryptedMediaType(kMediaTypeOciLayerGzip), kMediaTypeOciLayerGzipEnc);
  EXPECT_EQ(*EncryptedMediaType(kMediaTypeOciLayerZstd), kMediaTypeOciLayerZstdEnc);
  EXPECT_EQ(*EncryptedMediaType(kMediaTypeOciLayerNonDistributableGzip),
            kMediaTypeOciLayerNonDistributableGzipEnc);
  EXPECT_EQ(*EncryptedMediaType(kMediaTypeWasmLayer), kMediaTypeWasmLayerEnc);
  EXPECT_EQ(*EncryptedMediaType(kMediaTypeOciLayerGzipEnc), kMediaTypeOciLayerGzipEnc);
  EXPECT_THAT(EncryptedMediaType(kMediaTypeDockerForeignLayerGzip).status().message(),
              HasSubstr("unsupported layer media type"));
  EXPECT_THAT(EncryptedMediaType("application/vnd.in-toto+json").status().message(),
              HasSubstr("unsupported layer media type"));
}

TEST(MediaTypesTest, DecryptedMediaTypeStripsTheSuffixIncludingDockerVariants) {
  EXPECT_EQ(*DecryptedMediaType(kMediaTypeOciLayerGzipEnc), kMediaTypeOciLayerGzip);
  EXPECT_EQ(*DecryptedMediaType(kMediaTypeOciLayerZstdEnc), kMediaTypeOciLayerZstd);
  EXPECT_EQ(*DecryptedMediaType(kMediaTypeDockerLayerGzipEnc), kMediaTypeDockerLayerGzip);
  EXPECT_EQ(*DecryptedMediaType(kMediaTypeOciLayerNonDistributableEnc),
            kMediaTypeOciLayerNonDistributable);
  EXPECT_THAT(DecryptedMediaType(kMediaTypeOciLayerGzip).status().message(),
              HasSubstr("not an encrypted layer media type"));
}

TEST(MediaTypesTest, Classification) {
  EXPECT_TRUE(IsEncryptedMediaType(kMediaTypeWasmLayerEnc));
  EXPECT_FALSE(IsEncryptedMediaType(kMediaTypeOciLayer));
  EXPECT_TRUE(IsLayerMediaType(kMediaTypeDockerLayerGzipEnc));
  EXPECT_TRUE(IsLayerMediaType(kMediaTypeOciLayerNonDistributableZstd));
  EXPECT_FALSE(IsLayerMediaType(kMediaTypeOciConfig));
  EXPECT_TRUE(IsManifestMediaType(kMediaTypeDockerManifest));
  EXPECT_FALSE(IsManifestMediaType(kMediaTypeOciIndex));
  EXPECT_TRUE(IsIndexMediaType(kMediaTypeDockerManifestList));
}

}  // namespace
}  // namespace cocoon::ocicrypt
