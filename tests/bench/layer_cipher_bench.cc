// Throughput of the ocicrypt layer cipher on a 512 MiB layer: decryption from memory and from a
// file (page cache warm), each single-threaded and with the MAC on a second thread, the
// verify-before-release mode, and encryption.
//
//   build/oci-rel/tests/bench/layer_cipher_bench
//
// The ciphertext file goes to $TMPDIR (else /tmp) and is deleted at exit.
//
// Single-threaded cases report bytes/s over the CPU time of the benchmark thread, so that the
// figure means "per core" even on a shared, loaded machine; the two-thread case (the MAC runs on
// a second thread the CPU timer does not see) reports over wall-clock time.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "benchmark/benchmark.h"
#include "ocicrypt/io.h"
#include "ocicrypt/layer_cipher.h"

namespace cocoon::ocicrypt {
namespace {

constexpr size_t kLayerSize = size_t{512} << 20;

struct Fixture {
  std::string plaintext;
  std::string ciphertext;
  LayerEncryptResult enc;
  std::string file;

  Fixture() {
    plaintext.resize(kLayerSize);
    for (size_t i = 0; i < kLayerSize; ++i) plaintext[i] = static_cast<char>((i * 131) >> 3);
    ViewSource src(plaintext);
    StringSink sink;
    auto res = EncryptLayerStream(src, sink, "sha256:bench");
    if (!res.ok()) std::abort();
    enc = std::move(res).value();
    ciphertext = sink.Release();
    const char* tmp = std::getenv("TMPDIR");
    file =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/cocoon-layer-bench-XXXXXX";
    const int fd = ::mkstemp(file.data());
    if (fd < 0) std::abort();
    FdSink out(fd, FdOwnership::kOwned, file);
    if (!out.Write(ciphertext).ok() || !out.Close().ok()) std::abort();
  }
  ~Fixture() { ::unlink(file.c_str()); }
};

Fixture& Data() {
  static Fixture f;  // destroyed at exit, which removes the ciphertext file
  return f;
}

void BM_DecryptMemory(benchmark::State& state) {
  Fixture& f = Data();
  LayerDecryptOptions opts;
  opts.parallel_mac = state.range(0) != 0;
  for (auto _ : state) {
    ViewSource src(f.ciphertext);
    DiscardSink sink;
    if (!DecryptLayerStream(src, sink, f.enc.private_options, f.enc.public_options, opts).ok()) {
      state.SkipWithError("decrypt failed");
    }
    benchmark::DoNotOptimize(sink.bytes());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kLayerSize));
}
BENCHMARK(BM_DecryptMemory)->ArgName("parallel_mac")->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecryptMemory)
    ->ArgName("parallel_mac")
    ->Arg(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_DecryptFile(benchmark::State& state) {
  Fixture& f = Data();
  LayerDecryptOptions opts;
  opts.parallel_mac = state.range(0) == 1;
  if (state.range(0) == 2) opts.mode = ReleaseMode::kVerifyBeforeRelease;
  for (auto _ : state) {
    auto src = FdSource::Open(f.file);
    if (!src.ok()) {
      state.SkipWithError("open failed");
      break;
    }
    DiscardSink sink;
    if (!DecryptLayerStream(**src, sink, f.enc.private_options, f.enc.public_options, opts).ok()) {
      state.SkipWithError("decrypt failed");
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kLayerSize));
}
// 0: streaming, one thread; 1: streaming, MAC on a second thread; 2: verify before release.
BENCHMARK(BM_DecryptFile)->ArgName("mode")->Arg(0)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecryptFile)->ArgName("mode")->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_EncryptMemory(benchmark::State& state) {
  Fixture& f = Data();
  for (auto _ : state) {
    ViewSource src(f.plaintext);
    DiscardSink sink;
    auto res = EncryptLayerStream(src, sink, "sha256:bench");
    if (!res.ok()) state.SkipWithError("encrypt failed");
    benchmark::DoNotOptimize(res);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kLayerSize));
}
BENCHMARK(BM_EncryptMemory)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cocoon::ocicrypt

BENCHMARK_MAIN();
