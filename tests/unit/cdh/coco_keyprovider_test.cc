#include "cdh/coco_keyprovider.h"

#include <httplib.h>

#include <chrono>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "cdh/annotation_packet.h"
#include "cdh/offline_fs_kbc.h"
#include "cdh/unwrap_service.h"
#include "crypto/asymmetric.h"
#include "crypto/jose/jws.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"
#include "ocicrypt/keyprovider_handler.h"
#include "ocicrypt/keyprovider_protocol.h"

namespace cocoon::cdh {
namespace {

constexpr char kOpts[] = R"({"symkey":"c3ltIGtleQ==","digest":"sha256:ab","cipheroptions":{}})";

ocicrypt::KeyProviderInput WrapInput(absl::string_view params) {
  ocicrypt::EncryptConfig ec;
  ec.parameters["attestation-agent"].push_back(std::string(params));
  return ocicrypt::MakeKeyWrapInput(ec, SecretBytes(std::string(kOpts)));
}

// Unwraps `packet` as the confidential-data-hub would, with `kek` stored under the packet's kid.
absl::StatusOr<SecretBytes> CdhUnwrap(absl::string_view packet, const SecretBytes& kek) {
  auto p = ParseAnnotationPacket(packet);
  if (!p.ok()) return p.status();
  auto uri = ParseResourceUri(p->kid);
  if (!uri.ok()) return uri.status();
  OfflineFsKbc kbc;
  std::vector<std::string> w;
  auto s = kbc.AddFile(
      absl::StrCat("{\"", uri->ResourcePath(), "\":\"", Base64Encode(kek.view()), "\"}"), "t", &w);
  if (!s.ok()) return s;
  return UnwrapKeyHandler(&kbc).UnwrapPacket(packet);
}

TEST(CocoKeyProviderTest, ParsesParams) {
  auto p = ParseWrapParams("keypath=/k::keyid=kbs:///default/image_key/app::algorithm=A256CTR::x");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->keypath, "/k");
  EXPECT_EQ(p->keyid, "kbs:///default/image_key/app");
  EXPECT_EQ(p->algorithm, "A256CTR");
  EXPECT_FALSE(p->sample);
  EXPECT_TRUE(ParseWrapParams("sample=true")->sample);
  EXPECT_FALSE(ParseWrapParams("sample=yes").ok());
  EXPECT_TRUE(ParseWrapParams("Enabled").ok());
}

TEST(CocoKeyProviderTest, KeypathRoundTripThroughCdh) {
  auto dir = MakeTempDir("/tmp/coco-kp-test.");
  ASSERT_TRUE(dir.ok());
  const SecretBytes kek(crypto::RandomBytes(32));
  ASSERT_TRUE(WriteFileAtomic(*dir + "/kek", kek.view(), 0600).ok());
  CocoKeyProviderHandler handler({});
  for (const char* alg : {"", "::algorithm=A256GCM", "::algorithm=A256CTR"}) {
    auto packet = handler.WrapKey(WrapInput(
        absl::StrCat("keypath=", *dir, "/kek::keyid=kbs:///default/image_key/demo", alg)));
    ASSERT_TRUE(packet.ok()) << packet.status();
    EXPECT_TRUE(
        absl::StartsWith(*packet, R"({"kid":"kbs:///default/image_key/demo","wrapped_data":")"))
        << *packet;
    EXPECT_TRUE(absl::StrContains(*packet, absl::string_view(alg).empty() ? "A256GCM" : alg + 12));
    auto opts = CdhUnwrap(*packet, kek);
    ASSERT_TRUE(opts.ok()) << opts.status();
    EXPECT_EQ(opts->view(), kOpts);
  }
  ASSERT_TRUE(WriteFileAtomic(*dir + "/short", "0123456789", 0600).ok());
  auto bad = handler.WrapKey(WrapInput(absl::StrCat("keypath=", *dir, "/short")));
  EXPECT_NE(bad.status().message().find("exactly 32 raw bytes"), absl::string_view::npos);
  (void)RemoveAll(*dir);
}

TEST(CocoKeyProviderTest, SampleAndRandomKeys) {
  CocoKeyProviderHandler handler({});
  auto sample = handler.WrapKey(WrapInput("sample=true"));
  ASSERT_TRUE(sample.ok()) << sample.status();
  EXPECT_TRUE(absl::StrContains(*sample, kSampleKid));
  EXPECT_TRUE(CdhUnwrap(*sample, SampleKek()).ok());
  auto random = handler.WrapKey(WrapInput("keyid=kbs:///default/image_key/r"));
  ASSERT_TRUE(random.ok());
  auto no_kid = handler.WrapKey(WrapInput("Enabled"));
  ASSERT_TRUE(no_kid.ok());
  EXPECT_TRUE(absl::StrContains(*no_kid, "\"kid\":\"kbs:///default/image-kek/")) << *no_kid;
}

// A multi-layer image wrapped with one keyid and no keypath: every layer must use the key the
// KBS holds for that keyid, and the key is registered once.
class CountingRegistrar : public KbsRegistrar {
 public:
  absl::Status Register(const ResourceUri&, const SecretBytes& key) override {
    ++calls;
    last = key.Clone();
    return absl::OkStatus();
  }
  int calls = 0;
  SecretBytes last;
};

TEST(CocoKeyProviderTest, GeneratedKeyIsSharedByLayersWithTheSameKeyid) {
  CountingRegistrar registrar;
  CocoKeyProviderHandler handler({.registrar = &registrar});
  auto first = handler.WrapKey(WrapInput("keyid=kbs:///default/image_key/multi"));
  auto second = handler.WrapKey(WrapInput("keyid=kbs:///default/image_key/multi"));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(registrar.calls, 1);
  EXPECT_TRUE(CdhUnwrap(*first, registrar.last).ok());
  EXPECT_TRUE(CdhUnwrap(*second, registrar.last).ok());
  auto other = handler.WrapKey(WrapInput("keyid=kbs:///default/image_key/other"));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(registrar.calls, 2);
  EXPECT_FALSE(CdhUnwrap(*first, registrar.last).ok());
}

TEST(CocoKeyProviderTest, Errors) {
  CocoKeyProviderHandler handler({});
  EXPECT_NE(handler.WrapKey(WrapInput("algorithm=A128KW"))
                .status()
                .message()
                .find("unsupported wrap_type"),
            absl::string_view::npos);
  EXPECT_NE(handler.WrapKey(WrapInput("keyid=/default/k/1")).status().message().find("keyid"),
            absl::string_view::npos);
  ocicrypt::KeyProviderInput none = ocicrypt::MakeKeyWrapInput({}, SecretBytes(std::string("x")));
  EXPECT_NE(handler.WrapKey(none).status().message().find("no \"attestation-agent\" entry"),
            absl::string_view::npos);
  none.keywrap.optsdata.reset();
  EXPECT_NE(handler.WrapKey(none).status().message().find("optsdata is missing"),
            absl::string_view::npos);
  EXPECT_EQ(handler.UnwrapKey(none).status().code(), absl::StatusCode::kUnimplemented);
  // Through the JSON dispatcher, as gRPC and --cmd use it.
  auto reply = ocicrypt::HandleKeyProviderRequest(handler, ocicrypt::KeyProviderCall::kByOp,
                                                  R"({"op":"keywrap","keywrapparams":{"ec":)");
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInvalidArgument);
}

// A loopback stand-in for the KBS admin API.
class StubKbs {
 public:
  explicit StubKbs(int status) : status_(status) {
    server_.Post(R"(/kbs/v0/resource/(.*))",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   absl::MutexLock lock(&mu_);
                   path_ = req.path;
                   auth_ = req.get_header_value("Authorization");
                   type_ = req.get_header_value("Content-Type");
                   body_ = req.body;
                   res.status = status_;
                   res.set_content(status_ == 200 ? "" : "token rejected", "text/plain");
                 });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // cpp-httplib 0.11 has no wait_until_ready().
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~StubKbs() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

  absl::Mutex mu_;
  std::string path_, auth_, type_, body_;

 private:
  int status_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

TEST(CocoKeyProviderTest, RegistersKeyInKbsAndChecksReply) {
  auto admin = crypto::PrivateKey::Generate(crypto::KeyType::kEd25519);
  ASSERT_TRUE(admin.ok());
  const crypto::PublicKey admin_pub = admin->GetPublic();
  StubKbs kbs(200);
  auto registrar = NewHttpKbsRegistrar(kbs.url(), std::move(*admin));
  CocoKeyProviderHandler handler({"attestation-agent", registrar.get()});
  auto packet = handler.WrapKey(WrapInput("keyid=kbs:///default/image_key/reg"));
  ASSERT_TRUE(packet.ok()) << packet.status();
  std::string body, auth;
  {
    absl::MutexLock lock(&kbs.mu_);
    EXPECT_EQ(kbs.path_, "/kbs/v0/resource/default/image_key/reg");
    EXPECT_EQ(kbs.type_, "application/octet-stream");
    body = kbs.body_;
    auth = kbs.auth_;
  }
  ASSERT_EQ(body.size(), 32u);
  ASSERT_TRUE(absl::StartsWith(auth, "Bearer "));
  auto claims = jose::JwtVerify(auth.substr(7), admin_pub, {crypto::SignatureAlg::kEdDsa});
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_TRUE(absl::StrContains(*claims, "\"iat\""));
  // The registered key unwraps the packet.
  EXPECT_TRUE(CdhUnwrap(*packet, SecretBytes(body)).ok());
  // Registration needs repo/type/tag.
  EXPECT_FALSE(handler.WrapKey(WrapInput("keyid=kbs:///a/b")).ok());
}

TEST(CocoKeyProviderTest, RejectedRegistrationFailsTheWrap) {
  auto admin = crypto::PrivateKey::Generate(crypto::KeyType::kEd25519);
  ASSERT_TRUE(admin.ok());
  StubKbs kbs(401);
  auto registrar = NewHttpKbsRegistrar(kbs.url(), std::move(*admin));
  CocoKeyProviderHandler handler({"attestation-agent", registrar.get()});
  auto packet = handler.WrapKey(WrapInput("keyid=kbs:///default/image_key/reg"));
  ASSERT_FALSE(packet.ok());
  EXPECT_NE(packet.status().message().find("HTTP 401: token rejected"), absl::string_view::npos)
      << packet.status();
  auto down = NewHttpKbsRegistrar("http://127.0.0.1:1",
                                  *crypto::PrivateKey::Generate(crypto::KeyType::kEd25519));
  CocoKeyProviderHandler h2({"attestation-agent", down.get()});
  EXPECT_EQ(h2.WrapKey(WrapInput("keyid=kbs:///default/image_key/reg")).status().code(),
            absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cocoon::cdh
