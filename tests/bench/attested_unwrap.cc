// attested_unwrap: latency of the confidential-data-hub's UnWrapKey with cc_kbc, from the
// keyprovider request arriving at the CDH handler to the unwrapped key returned, against a running
// kbs and attestation-agent (started by attested_unwrap_bench.sh). Runs the production path
// in-process: HandleKeyProviderRequest -> UnwrapKeyHandler -> CcKbc -> (AA GetEvidence over ttrpc,
// KBS /auth /attest /resource over HTTP) -> JWE decrypt -> AES-GCM unwrap.
//
//   attested_unwrap --kbs URL --aa unix:///path --kek FILE --kid kbs:///r/t/g [--iterations N]
//                   [--label NAME]
//
// Prints, for a cold token (attestation on every call) and a cached token: min / median / p90 /
// max of the whole UnWrapKey, and the median split: evidence (the AA round trip, i.e. the TPM and
// IMDS work for az-tdx-vtpm), KBS server time for /auth + /attest + /resource (verification and
// policy, from the KBS's own request-duration metrics), network (client time of the HTTP calls
// minus the server time) and the rest (CDH-side crypto, JSON).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file_util.h"
#include "base/secret_bytes.h"
#include "cdh/annotation_packet.h"
#include "cdh/cc_kbc.h"
#include "cdh/unwrap_service.h"
#include "crypto/stream_cipher.h"
#include "kbs/client.h"
#include "ocicrypt/keyprovider_handler.h"
#include "ocicrypt/keyprovider_protocol.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Sample {
  double total_ms = 0, evidence_ms = 0, http_ms = 0, server_ms = 0;
  int attestations = 0;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Sum of kbs_request_duration_seconds_sum over auth, attest and resource, in milliseconds.
double ServerMs(cocoon::kbs::KbsClient* metrics) {
  auto r = metrics->Request("GET", "/metrics", "", "", "");
  if (!r.ok()) return 0;
  double total = 0;
  for (absl::string_view line : absl::StrSplit(r->body, '\n')) {
    for (absl::string_view ep : {"auth", "attest", "resource"}) {
      const std::string prefix =
          absl::StrCat("kbs_request_duration_seconds_sum{endpoint=\"", ep, "\"} ");
      if (absl::StartsWith(line, prefix)) {
        double v = 0;
        if (absl::SimpleAtod(line.substr(prefix.size()), &v)) total += v;
      }
    }
  }
  return total * 1000;
}

void Report(const char* label, const char* mode, const std::vector<Sample>& samples) {
  std::vector<double> total, evidence, server, network, rest;
  for (const Sample& s : samples) {
    total.push_back(s.total_ms);
    evidence.push_back(s.evidence_ms);
    server.push_back(s.server_ms);
    network.push_back(std::max(0.0, s.http_ms - s.server_ms));
    rest.push_back(std::max(0.0, s.total_ms - s.evidence_ms - s.http_ms));
  }
  std::printf(
      "%-12s %-6s n=%zu  UnWrapKey ms: min %.2f  median %.2f  p90 %.2f  max %.2f  | median split: "
      "evidence(AA/TPM) %.2f  KBS server(verify+policy) %.2f  network %.2f  CDH rest %.2f\n",
      label, mode, samples.size(), Percentile(total, 0), Percentile(total, 0.5),
      Percentile(total, 0.9), Percentile(total, 1), Percentile(evidence, 0.5),
      Percentile(server, 0.5), Percentile(network, 0.5), Percentile(rest, 0.5));
}

}  // namespace

int main(int argc, char** argv) {
  std::string kbs_url, aa, kek_file, kid, label = "attested";
  int iterations = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--kbs") {
      kbs_url = value;
    } else if (flag == "--aa") {
      aa = value;
    } else if (flag == "--kek") {
      kek_file = value;
    } else if (flag == "--kid") {
      kid = value;
    } else if (flag == "--iterations") {
      iterations = std::max(1, std::atoi(value.c_str()));
    } else if (flag == "--label") {
      label = value;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (kbs_url.empty() || aa.empty() || kek_file.empty() || kid.empty()) {
    std::fprintf(stderr,
                 "usage: attested_unwrap --kbs URL --aa unix:///path --kek FILE --kid KID "
                 "[--iterations N] [--label NAME]\n");
    return 2;
  }
  auto kek_bytes = cocoon::ReadFile(kek_file, 64);
  if (!kek_bytes.ok()) {
    std::fprintf(stderr, "%s\n", kek_bytes.status().ToString().c_str());
    return 1;
  }
  cocoon::SecretBytes kek(*kek_bytes);
  cocoon::cdh::AnnotationPacket p;
  p.kid = kid;
  p.wrap_type = "A256GCM";
  p.iv = cocoon::crypto::RandomBytes(12);
  const std::string opts = R"({"cipher":"AES_256_CTR_HMAC_SHA256","key":"bench","iv":"x"})";
  auto wrapped = cocoon::cdh::WrapWithKek(p.wrap_type, kek, p.iv, cocoon::SecretBytes(opts));
  if (!wrapped.ok()) return 1;
  p.wrapped_data = *wrapped;
  cocoon::ocicrypt::DecryptConfig dc;
  dc.parameters["attestation-agent"].push_back("Enabled");
  const std::string request = cocoon::ocicrypt::SerializeKeyProviderInput(
      cocoon::ocicrypt::MakeKeyUnwrapInput(dc, cocoon::cdh::SerializeAnnotationPacketV1(p)));

  cocoon::cdh::RegisterCcKbc();
  cocoon::cdh::KbcConfig config;
  config.name = "cc_kbc";
  config.url = kbs_url;
  config.aa_socket = aa;
  std::vector<std::string> warnings;
  auto kbc = cocoon::cdh::NewKbc(config, &warnings);
  if (!kbc.ok()) {
    std::fprintf(stderr, "%s\n", kbc.status().ToString().c_str());
    return 1;
  }
  auto* cc = static_cast<cocoon::cdh::CcKbc*>(kbc->get());
  cocoon::cdh::UnwrapKeyHandler handler(kbc->get());
  cocoon::kbs::KbsClientOptions mo;
  mo.url = kbs_url;
  auto metrics = cocoon::kbs::KbsClient::Create(mo);
  if (!metrics.ok()) return 1;

  auto one = [&](bool cold, Sample* s) -> bool {
    if (cold) cc->InvalidateToken();
    const double server_before = ServerMs(metrics->get());
    const auto t0 = Clock::now();
    auto reply = cocoon::ocicrypt::HandleKeyProviderRequest(
        handler, cocoon::ocicrypt::KeyProviderCall::kUnwrapKey, request,
        cocoon::ocicrypt::ByteFieldForm::kIntArray);
    s->total_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!reply.ok()) {
      std::fprintf(stderr, "UnWrapKey failed: %s\n", reply.status().ToString().c_str());
      return false;
    }
    const cocoon::kbs::KbsCallTimings t = cc->last_timings();
    s->evidence_ms = t.evidence_ms;
    s->http_ms = t.auth_ms + t.attest_ms + t.resource_ms;
    s->attestations = t.attestations;
    s->server_ms = ServerMs(metrics->get()) - server_before;
    return true;
  };

  Sample warm;
  if (!one(true, &warm)) return 1;  // connections, first collateral check
  std::vector<Sample> cold, cached;
  for (int i = 0; i < iterations; ++i) {
    Sample s;
    if (!one(true, &s)) return 1;
    cold.push_back(s);
  }
  for (int i = 0; i < iterations; ++i) {
    Sample s;
    if (!one(false, &s)) return 1;
    cached.push_back(s);
  }
  Report(label.c_str(), "cold", cold);
  Report(label.c_str(), "cached", cached);
  return 0;
}
