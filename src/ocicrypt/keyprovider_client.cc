#include "ocicrypt/keyprovider_client.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <chrono>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/status.h"
#include "ocicrypt/keyprovider_cmd.h"
#include "rpc/keyprovider.grpc.pb.h"

namespace cocoon::ocicrypt {
namespace {

constexpr absl::string_view kUnsupported =
    "Unsupported keyprovider invocation. Supported invocation methods are grpc and cmd";
constexpr char kSystemCaBundle[] = "/etc/ssl/certs/ca-certificates.crt";
constexpr uint64_t kMaxPemFileSize = 1u << 20;

// A string that is wiped when it goes out of scope (key files).
struct WipedString {
  std::string value;
  ~WipedString() { WipeString(&value); }
};

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> MakeTlsCredentials(
    const KeyProviderGrpcTls& tls) {
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("grpc-tls: cert-file and key-file must be given together");
  }
  std::string roots;
  if (!tls.root_ca_file.empty()) {
    COCOON_ASSIGN_OR_RETURN_CTX(roots, ReadFile(tls.root_ca_file, kMaxPemFileSize),
                                "grpc-tls root-ca-file");
  } else if (auto system = ReadFile(kSystemCaBundle, 16 * kMaxPemFileSize); system.ok()) {
    roots = std::move(*system);  // Go uses the system pool; otherwise gRPC's own roots
  }
  std::string cert_chain;
  WipedString key;
  if (!tls.cert_file.empty()) {
    COCOON_ASSIGN_OR_RETURN_CTX(cert_chain, ReadFile(tls.cert_file, kMaxPemFileSize),
                                "grpc-tls cert-file");
    COCOON_ASSIGN_OR_RETURN_CTX(key.value, ReadFile(tls.key_file, kMaxPemFileSize),
                                "grpc-tls key-file");
  }
  if (!tls.insecure_skip_verify) {
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = roots;
    opts.pem_cert_chain = cert_chain;
    opts.pem_private_key = key.value;
    auto creds = grpc::SslCredentials(opts);
    WipeString(&opts.pem_private_key);
    return creds;
  }
  // insecure-skip-verify: TLS without checking the server's certificate or name.
  grpc::experimental::TlsChannelCredentialsOptions opts;
  opts.set_verify_server_certs(false);
  opts.set_check_call_host(false);
  opts.set_certificate_verifier(std::make_shared<grpc::experimental::NoOpCertificateVerifier>());
  if (!cert_chain.empty()) {
    std::vector<grpc::experimental::IdentityKeyCertPair> pairs;
    pairs.push_back({key.value, cert_chain});
    opts.set_certificate_provider(
        std::make_shared<grpc::experimental::StaticDataCertificateProvider>(pairs));
    opts.watch_identity_key_cert_pairs();
    WipeString(&pairs[0].private_key);
  }
  auto creds = grpc::experimental::TlsCredentials(opts);
  if (creds == nullptr) return absl::InternalError("grpc-tls: cannot create TLS credentials");
  return creds;
}

absl::Status FromGrpc(const grpc::Status& s, absl::string_view context) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(context, ": ", s.error_message()));
}

}  // namespace

KeyProviderClient::KeyProviderClient(KeyProviderEntry entry, KeyProviderClientOptions options)
    : entry_(std::move(entry)), options_(options) {}

absl::StatusOr<std::string> KeyProviderClient::CallGrpc(absl::string_view method,
                                                        const std::string& request) const {
  std::shared_ptr<grpc::ChannelCredentials> creds;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(options_.max_output_size));
  args.SetMaxSendMessageSize(static_cast<int>(kMaxKeyProviderMessageSize));
  if (entry_.grpc_tls.has_value()) {
    COCOON_ASSIGN_OR_RETURN(creds, MakeTlsCredentials(*entry_.grpc_tls));
    if (!entry_.grpc_tls->server_name.empty()) {
      args.SetSslTargetNameOverride(entry_.grpc_tls->server_name);
    }
  } else {
    creds = grpc::InsecureChannelCredentials();
  }
  auto channel = grpc::CreateCustomChannel(entry_.grpc, creds, args);
  auto stub = keyprovider::KeyProviderService::NewStub(channel);

  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(options_.timeout));
  keyprovider::keyProviderKeyWrapProtocolInput req;
  req.set_keyproviderkeywrapprotocolinput(request);
  keyprovider::keyProviderKeyWrapProtocolOutput resp;
  grpc::Status st;
  if (method == "WrapKey") {
    st = stub->WrapKey(&ctx, req, &resp);
  } else {
    st = stub->UnWrapKey(&ctx, req, &resp);
  }
  WipeString(req.mutable_keyproviderkeywrapprotocolinput());
  if (!st.ok()) {
    return FromGrpc(st, absl::StrCat("gRPC ", method, " on ", entry_.grpc));
  }
  return std::move(*resp.mutable_keyproviderkeywrapprotocoloutput());
}

absl::StatusOr<std::string> KeyProviderClient::Call(absl::string_view grpc_method,
                                                    const std::string& request) const {
  if (entry_.cmd.has_value()) {
    CommandLimits limits;
    limits.timeout = options_.timeout;
    limits.max_stdout = options_.max_output_size;
    return RunKeyProviderCommand(*entry_.cmd, request, limits);
  }
  if (!entry_.grpc.empty()) return CallGrpc(grpc_method, request);
  return absl::FailedPreconditionError(kUnsupported);
}

absl::StatusOr<std::string> KeyProviderClient::WrapKey(const EncryptConfig& ec,
                                                       const SecretBytes& optsdata) const {
  COCOON_ASSIGN_OR_RETURN(std::optional<std::string> annotation, WrapKeyAllowEmpty(ec, optsdata));
  if (!annotation.has_value() || annotation->empty()) {
    return absl::NotFoundError(
        absl::StrCat("keyprovider ", entry_.name, ": provider wrapped nothing (empty annotation)"));
  }
  return std::move(*annotation);
}

absl::StatusOr<std::optional<std::string>> KeyProviderClient::WrapKeyAllowEmpty(
    const EncryptConfig& ec, const SecretBytes& optsdata) const {
  const std::string context = absl::StrCat("keyprovider ", entry_.name, " WrapKey");
  std::string request = SerializeKeyProviderInput(MakeKeyWrapInput(ec, optsdata));
  absl::StatusOr<std::string> reply;
  if (entry_.cmd.has_value()) {
    // The provider's stderr must not carry the options into an error message.
    std::string b64 = Base64Encode(optsdata.view());
    const absl::string_view redact[] = {optsdata.view(), b64};
    CommandLimits limits;
    limits.timeout = options_.timeout;
    limits.max_stdout = options_.max_output_size;
    reply = RunKeyProviderCommand(*entry_.cmd, request, limits, redact);
    WipeString(&b64);
  } else {
    reply = Call("WrapKey", request);
  }
  WipeString(&request);
  if (!reply.ok()) return Annotate(reply.status(), context);
  auto output = ParseKeyProviderOutput(*reply);
  WipeString(&*reply);
  if (!output.ok()) {
    return Annotate(output.status(),
                    absl::StrCat(context, ": Error while unmarshalling keyprovider output"));
  }
  return std::move(output->annotation);
}

absl::StatusOr<SecretBytes> KeyProviderClient::UnwrapKey(const DecryptConfig& dc,
                                                         absl::string_view annotation) const {
  const std::string context = absl::StrCat("keyprovider ", entry_.name, " UnWrapKey");
  std::string request = SerializeKeyProviderInput(MakeKeyUnwrapInput(dc, annotation));
  absl::StatusOr<std::string> reply = Call("UnWrapKey", request);
  WipeString(&request);
  if (!reply.ok()) return Annotate(reply.status(), context);
  auto output = ParseKeyProviderOutput(*reply);
  WipeString(&*reply);
  if (!output.ok()) {
    return Annotate(output.status(),
                    absl::StrCat(context, ": Error while unmarshalling keyprovider output"));
  }
  if (!output->optsdata.has_value() || output->optsdata->empty()) {
    return absl::NotFoundError(absl::StrCat(context, ": the reply has no optsdata"));
  }
  return std::move(*output->optsdata);
}

namespace {

class KeyProviderKeyWrapper : public KeyWrapper {
 public:
  KeyProviderKeyWrapper(KeyProviderEntry entry, KeyProviderClientOptions options)
      : client_(std::move(entry), options) {}

  std::string AnnotationId() const override { return absl::StrCat("provider.", client_.name()); }

  bool HasRecipients(const EncryptConfig& ec) const override {
    return ec.parameters.find(client_.name()) != ec.parameters.end();
  }

  absl::StatusOr<std::string> Wrap(const EncryptConfig& ec, const SecretBytes& optsdata) override {
    COCOON_ASSIGN_OR_RETURN(std::optional<std::string> annotation,
                            client_.WrapKeyAllowEmpty(ec, optsdata));
    return annotation.value_or(std::string());  // empty: the provider declined
  }

  bool NoPossibleKeys(const DecryptConfig&) const override { return false; }

  absl::StatusOr<SecretBytes> Unwrap(const DecryptConfig& dc, absl::string_view entry) override {
    return client_.UnwrapKey(dc, entry);
  }

 private:
  KeyProviderClient client_;
};

}  // namespace

std::unique_ptr<KeyWrapper> NewKeyProviderKeyWrapper(KeyProviderEntry entry,
                                                     KeyProviderClientOptions options) {
  return std::make_unique<KeyProviderKeyWrapper>(std::move(entry), options);
}

}  // namespace cocoon::ocicrypt
