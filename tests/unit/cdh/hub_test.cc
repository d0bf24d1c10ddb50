#include "cdh/hub.h"

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "cdh/annotation_packet.h"
#include "cdh/api.pb.h"
#include "cdh/offline_fs_kbc.h"
#include "crypto/stream_cipher.h"
#include "gtest/gtest.h"
#include "ocicrypt/keyprovider_client.h"
#include "ocicrypt/keyprovider_protocol.h"
#include "rpc/keyprovider.pb.h"
#include "rpc/ttrpc_client.h"

namespace cocoon::cdh {
namespace {

constexpr char kOpts[] = R"({"symkey":"AAAA","digest":"sha256:00","cipheroptions":{}})";

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("/tmp/cdh-hub-test.");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    kek_ = SecretBytes(crypto::RandomBytes(32));
    auto kbc = std::make_unique<OfflineFsKbc>();
    std::vector<std::string> w;
    ASSERT_TRUE(
        kbc->AddFile(absl::StrCat(R"({"default/image_key/demo":")", Base64Encode(kek_.view()),
                                  R"(","default/file/x":"aGVsbG8="})"),
                     "t", &w)
            .ok());
    CdhConfig cfg;
    cfg.socket = "127.0.0.1:0";
    cfg.ttrpc_socket = absl::StrCat("unix://", dir_, "/cdh.sock");
    auto hub = ConfidentialDataHub::Start(
        cfg, std::move(kbc), [this](absl::string_view e, const absl::Status& s) {
          events_.push_back(absl::StrCat(e, s.ok() ? " ok" : " failed"));
        });
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = std::move(*hub);
  }
  void TearDown() override {
    hub_.reset();
    (void)RemoveAll(dir_);
  }

  std::string Packet(absl::string_view kid) {
    AnnotationPacket p;
    p.kid = std::string(kid);
    p.wrap_type = "A256GCM";
    p.iv = crypto::RandomBytes(12);
    p.wrapped_data = *WrapWithKek(p.wrap_type, kek_, p.iv, SecretBytes(std::string(kOpts)));
    return SerializeAnnotationPacketV1(p);
  }

  std::string dir_;
  SecretBytes kek_;
  std::vector<std::string> events_;
  std::unique_ptr<ConfidentialDataHub> hub_;
};

TEST_F(HubTest, GrpcUnwrapKeyWithGoClient) {
  ocicrypt::KeyProviderEntry entry;
  entry.name = "attestation-agent";
  entry.grpc = hub_->grpc_target();
  ocicrypt::KeyProviderClient client(entry);
  ocicrypt::DecryptConfig dc;
  dc.parameters["attestation-agent"].push_back("Enabled");
  auto opts = client.UnwrapKey(dc, Packet("kbs:///default/image_key/demo"));
  ASSERT_TRUE(opts.ok()) << opts.status();
  EXPECT_EQ(opts->view(), kOpts);

  // The reply uses serde's integer-array form.
  auto raw =
      client.Call("UnWrapKey", ocicrypt::SerializeKeyProviderInput(ocicrypt::MakeKeyUnwrapInput(
                                   dc, Packet("kbs:///default/image_key/demo"))));
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(raw->find(R"({"keyunwrapresults":{"optsdata":[123,34,)"), 0u) << raw->substr(0, 60);

  auto missing = client.UnwrapKey(dc, Packet("kbs:///default/image_key/absent"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("kid kbs:///default/image_key/absent"),
            absl::string_view::npos);
  EXPECT_NE(missing.status().message().find("resource not found"), absl::string_view::npos);
  ASSERT_EQ(events_.size(), 3u);
  EXPECT_EQ(events_[0], "UnWrapKey kid kbs:///default/image_key/demo ok");
  EXPECT_EQ(events_[2], "UnWrapKey kid kbs:///default/image_key/absent failed");
}

TEST_F(HubTest, GrpcRejectsMalformedRequests) {
  ocicrypt::KeyProviderEntry entry;
  entry.name = "attestation-agent";
  entry.grpc = hub_->grpc_target();
  ocicrypt::KeyProviderClient client(entry);
  auto r = client.Call("UnWrapKey", "{not json");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  r = client.Call("UnWrapKey", R"({"op":"keyunwrap","keyunwrapparams":{"annotation":null}})");
  EXPECT_NE(r.status().message().find("annotation is missing"), absl::string_view::npos);
  r = client.Call("WrapKey", ocicrypt::SerializeKeyProviderInput(
                                 ocicrypt::MakeKeyWrapInput({}, SecretBytes(std::string("x")))));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  auto bad = client.UnwrapKey(
      {},
      R"({"kid":"kbs:///a/b/c","wrapped_data":"AAAA","iv":"AAAAAAAAAAAAAAAA","wrap_type":"A512XYZ"})");
  EXPECT_NE(bad.status().message().find("unsupported wrap_type"), absl::string_view::npos);
  EXPECT_FALSE(client.Call("UnWrapKey", std::string(17u << 20, 'x')).ok());
}

TEST_F(HubTest, TtrpcGetResourceAndUnwrapKey) {
  auto conn = rpc::TtrpcClient::Connect(absl::StrCat("unix://", dir_, "/cdh.sock"));
  ASSERT_TRUE(conn.ok()) << conn.status();
  api::GetResourceRequest req;
  req.set_resourcepath("kbs:///default/file/x");
  auto resp = (*conn)->Call(kGetResourceService, "GetResource", req.SerializeAsString());
  ASSERT_TRUE(resp.ok()) << resp.status();
  api::GetResourceResponse out;
  ASSERT_TRUE(out.ParseFromString(*resp));
  EXPECT_EQ(out.resource(), "hello");

  req.set_resourcepath("kbs:///default/file/nope");
  resp = (*conn)->Call(kGetResourceService, "GetResource", req.SerializeAsString());
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kNotFound);
  req.set_resourcepath("file:///etc/passwd");
  resp = (*conn)->Call(kGetResourceService, "GetResource", req.SerializeAsString());
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kInvalidArgument);
  resp = (*conn)->Call(kGetResourceService, "GetResource", "\xff\xff\xff");
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kInvalidArgument);

  keyprovider::keyProviderKeyWrapProtocolInput in;
  in.set_keyproviderkeywrapprotocolinput(ocicrypt::SerializeKeyProviderInput(
      ocicrypt::MakeKeyUnwrapInput({}, Packet("kbs:///default/image_key/demo"))));
  resp = (*conn)->Call(kKeyProviderService, "UnWrapKey", in.SerializeAsString());
  ASSERT_TRUE(resp.ok()) << resp.status();
  keyprovider::keyProviderKeyWrapProtocolOutput kout;
  ASSERT_TRUE(kout.ParseFromString(*resp));
  auto parsed = ocicrypt::ParseKeyProviderOutput(kout.keyproviderkeywrapprotocoloutput());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->optsdata->view(), kOpts);
}

TEST(HubStartTest, UnixSocketServesTtrpcOnly) {
  auto dir = MakeTempDir("/tmp/cdh-hub-test.");
  ASSERT_TRUE(dir.ok());
  CdhConfig cfg;
  cfg.socket = absl::StrCat("unix://", *dir, "/sub/cdh.sock");
  auto hub = ConfidentialDataHub::Start(cfg, std::make_unique<OfflineFsKbc>());
  ASSERT_TRUE(hub.ok()) << hub.status();
  EXPECT_EQ((*hub)->grpc_target(), "");
  EXPECT_EQ((*hub)->ttrpc_path(), *dir + "/sub/cdh.sock");
  hub->reset();
  cfg.socket = "256.1.1.1:99999";
  EXPECT_FALSE(ConfidentialDataHub::Start(cfg, std::make_unique<OfflineFsKbc>()).ok());
  (void)RemoveAll(*dir);
}

}  // namespace
}  // namespace cocoon::cdh
