#include "cdh/annotation_packet.h"

#include "base/encoding.h"
#include "cdh/offline_fs_kbc.h"
#include "cdh/unwrap_service.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"
#include "ocicrypt/keyprovider_protocol.h"
#include "testing/testdata.h"

namespace cocoon::cdh {
namespace {

SecretBytes HardcodedKey() {
  return SecretBytes(
      *HexDecode("d99b7705b0ba7a168295b3a3367270b0dd9b371bf514ca8b9ba7f0a33711daea"));
}

constexpr char kSampleOpts[] =
    R"({"symkey":"1jL2jJV0Oyz2nmPkLtqulW6cKcpIUN5FpILcVnP5Uqs=","digest":"sha256:18be1897f9402f27c8c0eba7c86e0c00f5656db62961b5949d55f9565c42c6e7","cipheroptions":{"nonce":"r10F9oaCu+nWFXfod3l83g=="}})";

TEST(AnnotationPacketTest, UpstreamSampleVectorDecrypts) {
  COCOON_TESTDATA_OR_SKIP(path, "guest-components/ocicrypt-rs/data/sample_kbc_annotation.json");
  auto packet = ParseAnnotationPacket(
      testing::ReadTestdata("guest-components/ocicrypt-rs/data/sample_kbc_annotation.json"));
  ASSERT_TRUE(packet.ok()) << packet.status();
  EXPECT_EQ(packet->version, "0.1.0");
  EXPECT_EQ(packet->provider, "kbs");
  auto kid = ValidateKbsPacket(*packet);
  ASSERT_TRUE(kid.ok()) << kid.status();
  EXPECT_EQ(kid->ResourcePath(), "default/key/1");
  auto plain = UnwrapWithKek(packet->wrap_type, HardcodedKey(), packet->iv, packet->wrapped_data);
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->view(), kSampleOpts);
}

TEST(AnnotationPacketTest, UnwrapHandlerWithOfflineKbc) {
  COCOON_TESTDATA_OR_SKIP(path, "guest-components/ocicrypt-rs/data/sample_kbc_annotation.json");
  const std::string packet =
      testing::ReadTestdata("guest-components/ocicrypt-rs/data/sample_kbc_annotation.json");
  OfflineFsKbc kbc;
  std::vector<std::string> w;
  ASSERT_TRUE(
      kbc.AddFile(absl::StrCat(R"({"default/key/1":")", Base64Encode(HardcodedKey().view()), "\"}"),
                  "t", &w)
          .ok());
  UnwrapKeyHandler handler(&kbc);
  auto input = ocicrypt::MakeKeyUnwrapInput({}, packet);
  auto opts = handler.UnwrapKey(input);
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->view(), kSampleOpts);

  // The same packet with another kid: the KBC miss names the kid.
  std::string other = packet;
  other.replace(other.find("default/key/1"), 13, "default/key/2");
  auto miss = handler.UnwrapKey(ocicrypt::MakeKeyUnwrapInput({}, other));
  EXPECT_EQ(miss.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(miss.status().message().find("kid kbs:///default/key/2"), absl::string_view::npos);
  // A wrong key in the KBC: authentication error naming the kid.
  ASSERT_TRUE(
      kbc.AddFile(absl::StrCat(R"({"default/key/1":")", Base64Encode(std::string(32, 'x')), "\"}"),
                  "t2", &w)
          .ok());
  auto bad = handler.UnwrapKey(input);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(bad.status().message().find("kbs:///default/key/1"), absl::string_view::npos);
  EXPECT_EQ(handler.WrapKey(input).status().code(), absl::StatusCode::kUnimplemented);
}

TEST(AnnotationPacketTest, V1FixtureParsesAsV2) {
  COCOON_TESTDATA_OR_SKIP(path,
                          "guest-components/confidential-data-hub/hub/src/image/test/v1.json");
  auto packet = ParseAnnotationPacket(
      testing::ReadTestdata("guest-components/confidential-data-hub/hub/src/image/test/v1.json"));
  ASSERT_TRUE(packet.ok()) << packet.status();
  auto kid = ValidateKbsPacket(*packet);
  ASSERT_TRUE(kid.ok()) << kid.status();
  EXPECT_EQ(kid->segments.size(), 6u);
}

TEST(AnnotationPacketTest, RoundTripsBothWrapTypes) {
  const SecretBytes kek(crypto::RandomBytes(32));
  const SecretBytes opts{std::string(kSampleOpts)};
  for (absl::string_view type : {kWrapTypeA256Gcm, kWrapTypeA256Ctr}) {
    AnnotationPacket p;
    p.kid = "kbs:///default/image_key/demo";
    p.wrap_type = std::string(type);
    p.iv = crypto::RandomBytes(*IvSizeFor(type));
    auto wrapped = WrapWithKek(type, kek, p.iv, opts);
    ASSERT_TRUE(wrapped.ok()) << wrapped.status();
    p.wrapped_data = *wrapped;
    const std::string json = SerializeAnnotationPacketV1(p);
    EXPECT_EQ(json.find("\"kid\":\"kbs:///default/image_key/demo\",\"wrapped_data\":\""), 1u);
    auto back = ParseAnnotationPacket(json);
    ASSERT_TRUE(back.ok()) << back.status();
    ASSERT_TRUE(ValidateKbsPacket(*back).ok());
    auto plain = UnwrapWithKek(back->wrap_type, kek, back->iv, back->wrapped_data);
    ASSERT_TRUE(plain.ok()) << plain.status();
    EXPECT_EQ(plain->view(), opts.view());
  }
}

TEST(AnnotationPacketTest, PreciseErrors) {
  auto msg = [](absl::string_view json) {
    auto p = ParseAnnotationPacket(json);
    if (!p.ok()) return std::string(p.status().message());
    auto v = ValidateKbsPacket(*p);
    return v.ok() ? std::string("ok") : std::string(v.status().message());
  };
  const std::string iv12 = Base64Encode(std::string(12, '\1'));
  EXPECT_NE(msg("[1]").find("must be a JSON object"), std::string::npos);
  EXPECT_NE(msg(R"({"wrapped_data":"AAAA"})").find("kid: missing"), std::string::npos);
  EXPECT_NE(msg(R"({"kid":"kbs:///a/b/c","wrapped_data":"..."})")
                .find("wrapped_data: not standard base64"),
            std::string::npos);
  EXPECT_NE(msg(absl::StrCat(R"({"kid":"kbs:///a/b/c","wrapped_data":"AAAA","iv":")", iv12,
                             R"(","wrap_type":"A128KW"})"))
                .find("unsupported wrap_type \"A128KW\""),
            std::string::npos);
  EXPECT_NE(msg(R"({"kid":"kbs:///a/b/c","wrapped_data":"AAAA","iv":"AAAA","wrap_type":"A256GCM"})")
                .find("iv: 3 bytes; A256GCM needs 12"),
            std::string::npos);
  EXPECT_NE(msg(absl::StrCat(R"({"kid":"http://x/a/b/c","wrapped_data":"AAAA","iv":")", iv12,
                             R"(","wrap_type":"A256GCM"})"))
                .find("kid: resource URI"),
            std::string::npos);
  EXPECT_NE(
      msg(absl::StrCat(R"({"kid":"kbs:///a/b/c","provider":"aliyun","wrapped_data":"AAAA","iv":")",
                       iv12, R"(","wrap_type":"A256GCM"})"))
          .find("provider: \"aliyun\" is not supported"),
      std::string::npos);
  EXPECT_NE(
      msg(absl::StrCat(R"({"version":"0.2.0","kid":"kbs:///a/b/c","wrapped_data":"AAAA","iv":")",
                       iv12, R"(","wrap_type":"A256GCM"})"))
          .find("version"),
      std::string::npos);
  EXPECT_FALSE(ParseAnnotationPacket(std::string(2u << 20, ' ')).ok());
  auto short_gcm =
      UnwrapWithKek("A256GCM", SecretBytes(std::string(32, 'k')), std::string(12, 'i'), "short");
  EXPECT_NE(short_gcm.status().message().find("shorter than the 16-byte GCM tag"),
            absl::string_view::npos);
  auto short_key = UnwrapWithKek("A256GCM", SecretBytes(std::string(16, 'k')), std::string(12, 'i'),
                                 std::string(40, 'x'), "kbs:///a/b/c");
  EXPECT_NE(short_key.status().message().find("16 bytes; A256GCM needs a 32-byte key"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace cocoon::cdh
