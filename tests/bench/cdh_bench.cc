// confidential-data-hub UnWrapKey with offline_fs_kbc: the round trip ctd-decoder makes for
// every encrypted layer (keyprovider gRPC on loopback, annotation packet parse, KEK lookup,
// AES-256-GCM unwrap, reply JSON), and the same request handled without the transport.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "benchmark/benchmark.h"
#include "cdh/annotation_packet.h"
#include "cdh/hub.h"
#include "cdh/offline_fs_kbc.h"
#include "cdh/unwrap_service.h"
#include "crypto/stream_cipher.h"
#include "ocicrypt/keyprovider_client.h"

namespace cocoon::cdh {
namespace {

// A realistic private-options JSON: a 32-byte symkey and an HMAC, base64 as Go writes them.
const std::string& Opts() {
  static const std::string* opts = new std::string(absl::StrCat(
      R"({"cipher":"AES_256_CTR_HMAC_SHA256","hmac":")", Base64Encode(crypto::RandomBytes(32)),
      R"(","cipheroptions":{"symkey":")", Base64Encode(crypto::RandomBytes(32)),
      R"(","cipheroptions":{"nonce":")", Base64Encode(crypto::RandomBytes(16)), R"("}}})"));
  return *opts;
}

struct Fixture {
  Fixture() {
    kek = SecretBytes(crypto::RandomBytes(32));
    AnnotationPacket p;
    p.kid = "kbs:///default/image_key/demo";
    p.wrap_type = "A256GCM";
    p.iv = crypto::RandomBytes(12);
    p.wrapped_data = *WrapWithKek(p.wrap_type, kek, p.iv, SecretBytes(Opts()));
    packet = SerializeAnnotationPacketV1(p);
  }
  std::unique_ptr<OfflineFsKbc> NewKbc() const {
    auto kbc = std::make_unique<OfflineFsKbc>();
    std::vector<std::string> w;
    (void)kbc->AddFile(
        absl::StrCat(R"({"default/image_key/demo":")", Base64Encode(kek.view()), R"("})"), "bench",
        &w);
    return kbc;
  }
  SecretBytes kek;
  std::string packet;
};

void BM_UnwrapKeyGrpcRoundTrip(benchmark::State& state) {
  Fixture f;
  auto dir = MakeTempDir("/tmp/cdh-bench.");
  CdhConfig cfg;
  cfg.socket = "127.0.0.1:0";
  cfg.ttrpc_socket = absl::StrCat("unix://", *dir, "/cdh.sock");
  auto hub = ConfidentialDataHub::Start(cfg, f.NewKbc(), nullptr);
  if (!hub.ok()) {
    state.SkipWithError(std::string(hub.status().message()).c_str());
    return;
  }
  ocicrypt::KeyProviderEntry entry;
  entry.name = "attestation-agent";
  entry.grpc = (*hub)->grpc_target();
  // A client per request, as ctd-decoder (one process per layer) connects afresh every time.
  ocicrypt::DecryptConfig dc;
  dc.parameters["attestation-agent"].push_back("Enabled");
  for (auto _ : state) {
    ocicrypt::KeyProviderClient client(entry);
    auto opts = client.UnwrapKey(dc, f.packet);
    if (!opts.ok()) {
      state.SkipWithError(std::string(opts.status().message()).c_str());
      break;
    }
    benchmark::DoNotOptimize(opts->size());
  }
  hub->reset();
  (void)RemoveAll(*dir);
}
BENCHMARK(BM_UnwrapKeyGrpcRoundTrip)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_UnwrapPacketInProcess(benchmark::State& state) {
  Fixture f;
  auto kbc = f.NewKbc();
  UnwrapKeyHandler handler(kbc.get());
  for (auto _ : state) {
    auto opts = handler.UnwrapPacket(f.packet);
    benchmark::DoNotOptimize(opts.ok());
  }
}
BENCHMARK(BM_UnwrapPacketInProcess)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace cocoon::cdh

BENCHMARK_MAIN();
