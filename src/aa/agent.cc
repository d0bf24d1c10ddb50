#include "aa/agent.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/secret_bytes.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "crypto/stream_cipher.h"
#include "kbs/client.h"
#include "rpc/attestation-agent.pb.h"
#include "rpc/ttrpc_server.h"

namespace cocoon::aa {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// PEM of the TEE key as upstream sends it: PKCS#8 for EC, PKCS#1 for RSA.
absl::StatusOr<SecretBytes> TeeKeyPem(const crypto::PrivateKey& key) {
  if (key.type() != crypto::KeyType::kRsa) return key.ToPkcs8Pem();
  BIO* bio = BIO_new(BIO_s_secmem());
  if (bio == nullptr) return absl::InternalError("BIO_new failed");
  if (PEM_write_bio_PrivateKey_traditional(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
      1) {
    BIO_free(bio);
    return absl::InternalError("cannot encode the RSA TEE key");
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  SecretBytes out(absl::string_view(data, static_cast<size_t>(n)));
  BIO_free(bio);
  return out;
}

absl::Status AppendEventLog(const std::string& path, absl::string_view record) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) {
    // Best effort, like `mkdir -p` of one level: the usual parent (/run/attestation-agent).
    (void)mkdir(path.substr(0, slash).c_str(), 0700);
  }
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat("eventlog ", path, ": ", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < record.size()) {
    const ssize_t w = write(fd, record.data() + done, record.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      const int e = errno;
      close(fd);
      return absl::UnavailableError(absl::StrCat("eventlog ", path, ": ", std::strerror(e)));
    }
    done += static_cast<size_t>(w);
  }
  fsync(fd);
  close(fd);
  return absl::OkStatus();
}

// Upstream's error text: "[ERROR:attestation-agent] <what>: <cause>".
absl::Status AaError(const absl::Status& s, absl::string_view what) {
  if (s.code() == absl::StatusCode::kInvalidArgument ||
      s.code() == absl::StatusCode::kUnimplemented) {
    return absl::Status(s.code(),
                        absl::StrCat("[ERROR:attestation-agent] ", what, ": ", s.message()));
  }
  return absl::InternalError(absl::StrCat("[ERROR:attestation-agent] ", what, ": ", s.message()));
}

template <typename Msg>
absl::StatusOr<Msg> ParseRequest(absl::string_view bytes, absl::string_view name) {
  Msg m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(absl::StrCat("request is not a ", name, " message"));
  }
  return m;
}

}  // namespace

std::string AaelTaggedEvent(absl::string_view domain, absl::string_view operation,
                            absl::string_view content) {
  const std::string text = absl::StrCat(domain, " ", operation, " ", content);
  std::string out;
  PutU32(&out, 0x4141454C);  // "AAEL"
  PutU32(&out, static_cast<uint32_t>(text.size()));
  out += text;
  return out;
}

AttestationAgent::AttestationAgent(const AaConfig& config, std::unique_ptr<Attester> attester)
    : config_(config), attester_(std::move(attester)) {}

AttestationAgent::~AttestationAgent() = default;

absl::StatusOr<std::unique_ptr<AttestationAgent>> AttestationAgent::Create(const AaConfig& config,
                                                                           std::string* warning) {
  COCOON_ASSIGN_OR_RETURN(std::unique_ptr<Attester> attester,
                          CreateAttester(config.attester, warning));
  return Create(config, std::move(attester));
}

absl::StatusOr<std::unique_ptr<AttestationAgent>> AttestationAgent::Create(
    const AaConfig& config, std::unique_ptr<Attester> attester) {
  if (attester == nullptr) return absl::InvalidArgumentError("attestation agent: no attester");
  std::unique_ptr<AttestationAgent> agent(new AttestationAgent(config, std::move(attester)));
  if (config.kbs) {
    kbs::KbsClientOptions opts;
    opts.url = config.kbs->url;
    opts.cert_pem = config.kbs->cert;
    COCOON_ASSIGN_OR_RETURN(agent->kbs_, kbs::KbsClient::Create(std::move(opts)));
  }
  return agent;
}

absl::StatusOr<std::string> AttestationAgent::GetEvidence(absl::string_view runtime_data) {
  std::lock_guard<std::mutex> lock(evidence_mu_);
  return attester_->GetEvidence(runtime_data);
}

absl::StatusOr<std::string> AttestationAgent::GetToken(absl::string_view token_type) {
  if (token_type != "kbs") {
    return absl::InvalidArgumentError(absl::StrCat("Unsupported token type \"", token_type,
                                                   "\" (this agent issues \"kbs\" tokens)"));
  }
  if (kbs_ == nullptr) {
    return absl::FailedPreconditionError(
        "no KBS configured: set token_configs.kbs.url in the attestation-agent config");
  }
  std::lock_guard<std::mutex> lock(token_mu_);
  if (tee_key_ == nullptr) {
    crypto::KeyType type = crypto::KeyType::kEcP256;
    if (config_.kbs->tee_key_algorithm == TeeKeyAlgorithm::kEcP521) type = crypto::KeyType::kEcP521;
    if (config_.kbs->tee_key_algorithm == TeeKeyAlgorithm::kRsaOaep256) {
      type = crypto::KeyType::kRsa;
    }
    COCOON_ASSIGN_OR_RETURN(crypto::PrivateKey key, crypto::PrivateKey::Generate(type));
    tee_key_ = std::make_unique<crypto::PrivateKey>(std::move(key));
  }
  kbs::Attester attester{attester_->tee(),
                         [this](absl::string_view rd) { return GetEvidence(rd); }};
  std::optional<std::string> init_data;
  if (!init_data_toml_.empty()) init_data = init_data_toml_;
  COCOON_ASSIGN_OR_RETURN(std::string token, kbs_->Token(attester, *tee_key_, init_data));
  COCOON_ASSIGN_OR_RETURN(SecretBytes pem, TeeKeyPem(*tee_key_));
  Json out = Json::object();
  out["token"] = std::move(token);
  out["tee_keypair"] = std::string(pem.view());
  std::string text = out.dump();
  std::string& k = out["tee_keypair"].get_ref<std::string&>();
  SecureZero(k.data(), k.size());
  return text;
}

absl::StatusOr<MeasurementResult> AttestationAgent::ExtendRuntimeMeasurement(
    absl::string_view domain, absl::string_view operation, absl::string_view content,
    std::optional<uint64_t> register_index) {
  if (!config_.enable_eventlog) return MeasurementResult::kNotEnabled;
  if (!attester_->SupportsRuntimeMeasurement()) {
    return absl::UnimplementedError(
        absl::StrCat("ExtendRuntimeMeasurement: the ", attester_->tee(),
                     " TEE has no runtime measurement register (supported on az-tdx-vtpm)"));
  }
  if (absl::StrContains(content, "\n") || absl::StrContains(domain, "\n") ||
      absl::StrContains(operation, "\n")) {
    return absl::InvalidArgumentError("ExtendRuntimeMeasurement: the event must be one line");
  }
  const uint64_t pcr = register_index.value_or(static_cast<uint64_t>(config_.init_pcr));
  if (pcr > 23) {
    return absl::InvalidArgumentError(
        absl::StrCat("ExtendRuntimeMeasurement: register ", pcr, " is not a PCR (0..23)"));
  }
  if (attester_->tee() == kTeeAzTdxVtpm && pcr >= 17 && pcr <= 22) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ExtendRuntimeMeasurement: PCR ", pcr,
        " can only be extended from locality 3 or 4 on a TPM; use PCR 23 (or 8..15), through "
        "RegisterIndex or eventlog_config.init_pcr"));
  }
  const std::string tagged = AaelTaggedEvent(domain, operation, content);
  const std::string digest = crypto::Sha256(tagged);
  // TCG_PCR_EVENT2: register, EV_EVENT_TAG, one SHA-256 digest, event size, event.
  std::string record;
  PutU32(&record, static_cast<uint32_t>(config_.init_pcr));
  PutU32(&record, 0x6);
  PutU32(&record, 1);
  record.push_back(0x0B);
  record.push_back(0x00);
  record += digest;
  PutU32(&record, static_cast<uint32_t>(tagged.size()));
  record += tagged;
  std::lock_guard<std::mutex> lock(evidence_mu_);
  COCOON_RETURN_IF_ERROR(attester_->ExtendRuntimeMeasurement(digest, static_cast<int>(pcr)));
  COCOON_RETURN_IF_ERROR(AppendEventLog(config_.eventlog_path, record));
  return MeasurementResult::kOk;
}

void AttestationAgent::set_init_data_toml(std::string toml) { init_data_toml_ = std::move(toml); }

absl::Status AttestationAgent::BindInitData(absl::string_view digest) {
  std::lock_guard<std::mutex> lock(evidence_mu_);
  return attester_->BindInitData(digest);
}

void RegisterAttestationAgentService(AttestationAgent* agent, rpc::TtrpcServer* server,
                                     AgentEventFn on_event) {
  for (auto& [method, handler] : AttestationAgentHandlers(agent, std::move(on_event))) {
    if (method == "BindInitData") continue;  // not on ttrpc, as upstream's ttrpc-aa
    server->Register(kAttestationAgentService, method, std::move(handler));
  }
}

std::map<std::string, AgentHandler> AttestationAgentHandlers(AttestationAgent* agent,
                                                             AgentEventFn on_event) {
  std::map<std::string, AgentHandler> handlers;
  struct Table {
    std::map<std::string, AgentHandler>* out;
    void Register(absl::string_view, absl::string_view method, AgentHandler h) {
      (*out)[std::string(method)] = std::move(h);
    }
  } table{&handlers};
  const std::string svc(kAttestationAgentService);
  auto report = [on_event](absl::string_view what, const absl::Status& s) {
    if (on_event) on_event(what, s);
  };
  table.Register(
      svc, "GetEvidence", [agent, report](absl::string_view req) -> absl::StatusOr<std::string> {
        COCOON_ASSIGN_OR_RETURN(auto in, ParseRequest<attestation_agent::GetEvidenceRequest>(
                                             req, "GetEvidenceRequest"));
        absl::StatusOr<std::string> evidence = agent->GetEvidence(in.runtimedata());
        report(absl::StrCat("GetEvidence (", agent->tee(), ", ", in.runtimedata().size(),
                            " bytes of runtime data)"),
               evidence.status());
        if (!evidence.ok()) return AaError(evidence.status(), "get evidence failed");
        attestation_agent::GetEvidenceResponse out;
        out.set_evidence(*std::move(evidence));
        return out.SerializeAsString();
      });
  table.Register(
      svc, "GetAdditionalEvidence", [](absl::string_view req) -> absl::StatusOr<std::string> {
        COCOON_RETURN_IF_ERROR(ParseRequest<attestation_agent::GetAdditionalEvidenceRequest>(
                                   req, "GetAdditionalEvidenceRequest")
                                   .status());
        // No device attesters: empty evidence, as upstream answers then.
        return attestation_agent::GetEvidenceResponse().SerializeAsString();
      });
  table.Register(
      svc, "GetToken", [agent, report](absl::string_view req) -> absl::StatusOr<std::string> {
        COCOON_ASSIGN_OR_RETURN(
            auto in, ParseRequest<attestation_agent::GetTokenRequest>(req, "GetTokenRequest"));
        absl::StatusOr<std::string> token = agent->GetToken(in.tokentype());
        report(absl::StrCat("GetToken (", in.tokentype().substr(0, 64), ")"), token.status());
        if (!token.ok()) return AaError(token.status(), "get token failed");
        attestation_agent::GetTokenResponse out;
        out.set_token(*token);
        SecureZero(token->data(), token->size());
        std::string bytes = out.SerializeAsString();
        SecureZero(out.mutable_token()->data(), out.token().size());
        return bytes;
      });
  table.Register(svc, "GetTeeType", [agent](absl::string_view req) -> absl::StatusOr<std::string> {
    COCOON_RETURN_IF_ERROR(
        ParseRequest<attestation_agent::GetTeeTypeRequest>(req, "GetTeeTypeRequest").status());
    attestation_agent::GetTeeTypeResponse out;
    out.set_tee(agent->tee());
    return out.SerializeAsString();
  });
  table.Register(svc, "GetAdditionalTees",
                 [](absl::string_view req) -> absl::StatusOr<std::string> {
                   COCOON_RETURN_IF_ERROR(ParseRequest<attestation_agent::GetAdditionalTeesRequest>(
                                              req, "GetAdditionalTeesRequest")
                                              .status());
                   return attestation_agent::GetAdditionalTeesResponse().SerializeAsString();
                 });
  table.Register(svc, "ExtendRuntimeMeasurement",
                 [agent, report](absl::string_view req) -> absl::StatusOr<std::string> {
                   COCOON_ASSIGN_OR_RETURN(
                       auto in, ParseRequest<attestation_agent::ExtendRuntimeMeasurementRequest>(
                                    req, "ExtendRuntimeMeasurementRequest"));
                   std::optional<uint64_t> reg;
                   if (in.has_registerindex()) reg = in.registerindex();
                   absl::StatusOr<MeasurementResult> r = agent->ExtendRuntimeMeasurement(
                       in.domain(), in.operation(), in.content(), reg);
                   report(absl::StrCat("ExtendRuntimeMeasurement (", in.domain().substr(0, 64), " ",
                                       in.operation().substr(0, 64), ")"),
                          r.status());
                   if (!r.ok()) return AaError(r.status(), "extend runtime measurement failed");
                   attestation_agent::ExtendRuntimeMeasurementResponse out;
                   out.set_result(static_cast<attestation_agent::RuntimeMeasurementResult>(*r));
                   return out.SerializeAsString();
                 });
  table.Register(
      svc, "BindInitData", [agent, report](absl::string_view req) -> absl::StatusOr<std::string> {
        COCOON_ASSIGN_OR_RETURN(auto in, ParseRequest<attestation_agent::BindInitDataRequest>(
                                             req, "BindInitDataRequest"));
        absl::Status s = agent->BindInitData(in.digest());
        report("BindInitData", s);
        if (!s.ok()) return AaError(s, "bind init data failed");
        return attestation_agent::BindInitDataResponse().SerializeAsString();
      });
  return handlers;
}

}  // namespace cocoon::aa
