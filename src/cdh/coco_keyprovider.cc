#include "cdh/coco_keyprovider.h"

#include <curl/curl.h>

#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/status.h"
#include "cdh/annotation_packet.h"
#include "crypto/asymmetric.h"
#include "crypto/jose/jws.h"
#include "crypto/stream_cipher.h"

namespace cocoon::cdh {
namespace {

constexpr uint8_t kSampleKey[32] = {
    0xd9, 0x9b, 0x77, 0x05, 0xb0, 0xba, 0x7a, 0x16, 0x82, 0x95, 0xb3, 0xa3, 0x36, 0x72, 0x70, 0xb0,
    0xdd, 0x9b, 0x37, 0x1b, 0xf5, 0x14, 0xca, 0x8b, 0x9b, 0xa7, 0xf0, 0xa3, 0x37, 0x11, 0xda, 0xea};

std::string RandomUuid() {
  std::string b = crypto::RandomBytes(16);
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  const std::string h = HexEncode(b);
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-",
                      h.substr(16, 4), "-", h.substr(20));
}

size_t CollectBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* body = static_cast<std::string*>(userdata);
  const size_t n = size * nmemb;
  if (body->size() < 4096) body->append(ptr, std::min(n, 4096 - body->size()));
  return n;
}

class HttpKbsRegistrar : public KbsRegistrar {
 public:
  HttpKbsRegistrar(std::string url, crypto::PrivateKey key, absl::Duration timeout)
      : url_(absl::StripSuffix(url, "/")), key_(std::move(key)), timeout_(timeout) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  absl::Status Register(const ResourceUri& uri, const SecretBytes& kek) override {
    if (!uri.IsRepoTypeTag()) {
      return absl::InvalidArgumentError(
          absl::StrCat("KBS registration needs a kid of the form kbs:///<repo>/<type>/<tag>, got ",
                       uri.ToString()));
    }
    const int64_t now = absl::ToUnixSeconds(absl::Now());
    // "role": "admin" satisfies the default ACL of the current [admin] layout; the older
    // auth_public_key layout ignores it.
    const std::string claims =
        absl::StrFormat(R"({"iat":%d,"nbf":%d,"exp":%d,"role":"admin"})", now, now, now + 2 * 3600);
    crypto::SignatureAlg alg = crypto::SignatureAlg::kEdDsa;
    if (key_.type() == crypto::KeyType::kEcP256) alg = crypto::SignatureAlg::kEs256;
    if (key_.type() == crypto::KeyType::kEcP384) alg = crypto::SignatureAlg::kEs384;
    COCOON_ASSIGN_OR_RETURN_CTX(std::string jwt, jose::JwtSign(claims, key_, alg),
                                "KBS admin token");
    const std::string endpoint = absl::StrCat(url_, "/kbs/v0/resource/", uri.ResourcePath());
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
    if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
    const std::string auth = absl::StrCat("Authorization: Bearer ", jwt);
    curl_slist* headers = curl_slist_append(nullptr, auth.c_str());
    headers = curl_slist_append(headers, "Content-Type: application/octet-stream");
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> hdrs(headers, curl_slist_free_all);
    std::string body;
    curl_easy_setopt(curl.get(), CURLOPT_URL, endpoint.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, reinterpret_cast<const char*>(kek.data()));
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(kek.size()));
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, hdrs.get());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, CollectBody);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(timeout_)));
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    const CURLcode rc = curl_easy_perform(curl.get());
    if (rc != CURLE_OK) {
      return absl::UnavailableError(absl::StrCat("KBS registration of ", uri.ResourcePath(), " at ",
                                                 url_, ": ", curl_easy_strerror(rc)));
    }
    long code = 0;
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code > 299) {
      std::string shown = body.substr(0, 200);
      for (char& c : shown) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
      }
      return absl::FailedPreconditionError(absl::StrCat("KBS at ", url_, " rejected registering ",
                                                        uri.ResourcePath(), ": HTTP ", code,
                                                        shown.empty() ? "" : ": ", shown));
    }
    return absl::OkStatus();
  }

 private:
  std::string url_;
  crypto::PrivateKey key_;
  absl::Duration timeout_;
};

}  // namespace

std::unique_ptr<KbsRegistrar> NewHttpKbsRegistrar(std::string kbs_url, crypto::PrivateKey key,
                                                  absl::Duration timeout) {
  return std::make_unique<HttpKbsRegistrar>(std::move(kbs_url), std::move(key), timeout);
}

SecretBytes SampleKek() {
  return SecretBytes(absl::string_view(reinterpret_cast<const char*>(kSampleKey), 32));
}

absl::StatusOr<WrapParams> ParseWrapParams(absl::string_view params) {
  WrapParams out;
  for (absl::string_view pair : absl::StrSplit(params, "::")) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) continue;
    const absl::string_view k = pair.substr(0, eq);
    const absl::string_view v = pair.substr(eq + 1);
    if (k == "sample") {
      if (v == "true") {
        out.sample = true;
      } else if (v == "false") {
        out.sample = false;
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("sample=", v.substr(0, 16), ": must be true or false"));
      }
    } else if (k == "keypath") {
      out.keypath = std::string(v);
    } else if (k == "keyid") {
      out.keyid = std::string(v);
    } else if (k == "algorithm") {
      out.algorithm = std::string(v);
    }
  }
  return out;
}

absl::StatusOr<std::string> CocoKeyProviderHandler::Wrap(const WrapParams& params,
                                                         const SecretBytes& optsdata) {
  AnnotationPacket packet;
  packet.wrap_type = params.algorithm.empty() ? std::string(kWrapTypeA256Gcm) : params.algorithm;
  COCOON_ASSIGN_OR_RETURN_CTX(size_t iv_size, IvSizeFor(packet.wrap_type), "algorithm");
  SecretBytes kek;
  if (params.sample) {
    kek = SampleKek();
    packet.kid = params.keyid.empty() ? std::string(kSampleKid) : params.keyid;
  } else {
    if (!params.keypath.empty()) {
      COCOON_ASSIGN_OR_RETURN_CTX(std::string raw, ReadFile(params.keypath, 4096), "keypath");
      kek = SecretBytes(raw);
      SecureZero(raw.data(), raw.size());
      if (kek.size() != kKekSize) {
        return absl::InvalidArgumentError(
            absl::StrCat("keypath ", params.keypath, ": the file holds ", kek.size(),
                         " bytes; the key encryption key must be exactly 32 raw bytes"));
      }
    } else {
      kek = SecretBytes(crypto::RandomBytes(kKekSize));
    }
    packet.kid = params.keyid.empty() ? absl::StrCat("kbs:///default/image-kek/", RandomUuid())
                                      : params.keyid;
  }
  COCOON_ASSIGN_OR_RETURN_CTX(ResourceUri uri, ParseResourceUri(packet.kid), "keyid");
  packet.iv = crypto::RandomBytes(iv_size);
  const bool register_key = options_.registrar != nullptr && !params.sample;
  if (!params.sample && params.keypath.empty() && !params.keyid.empty()) {
    // Held across the registration, so a concurrent wrap of another layer with the same keyid
    // never uses a key the KBS has not accepted yet.
    absl::MutexLock lock(&mu_);
    auto it = generated_.find(params.keyid);
    if (it != generated_.end()) {
      kek = it->second.Clone();
    } else {
      if (register_key) COCOON_RETURN_IF_ERROR(options_.registrar->Register(uri, kek));
      generated_.emplace(params.keyid, kek.Clone());
    }
    COCOON_ASSIGN_OR_RETURN(packet.wrapped_data,
                            WrapWithKek(packet.wrap_type, kek, packet.iv, optsdata));
    return SerializeAnnotationPacketV1(packet);
  }
  COCOON_ASSIGN_OR_RETURN(packet.wrapped_data,
                          WrapWithKek(packet.wrap_type, kek, packet.iv, optsdata));
  if (register_key) COCOON_RETURN_IF_ERROR(options_.registrar->Register(uri, kek));
  return SerializeAnnotationPacketV1(packet);
}

absl::StatusOr<std::string> CocoKeyProviderHandler::WrapKey(
    const ocicrypt::KeyProviderInput& input) {
  if (input.op != ocicrypt::kOpKeyWrap) {
    return absl::InvalidArgumentError(
        absl::StrCat("WrapKey: op must be \"keywrap\", got \"", input.op.substr(0, 32), "\""));
  }
  if (!input.keywrap.optsdata.has_value() || input.keywrap.optsdata->empty()) {
    return absl::InvalidArgumentError("WrapKey: keywrapparams.optsdata is missing");
  }
  if (!input.keywrap.ec.has_value()) {
    return absl::InvalidArgumentError("WrapKey: keywrapparams.ec is missing");
  }
  auto it = input.keywrap.ec->parameters.find(options_.provider_name);
  if (it == input.keywrap.ec->parameters.end() || it->second.empty() ||
      !it->second[0].has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("WrapKey: ec.Parameters has no \"", options_.provider_name, "\" entry"));
  }
  COCOON_ASSIGN_OR_RETURN(WrapParams params, ParseWrapParams(*it->second[0]));
  return Wrap(params, *input.keywrap.optsdata);
}

absl::StatusOr<SecretBytes> CocoKeyProviderHandler::UnwrapKey(const ocicrypt::KeyProviderInput&) {
  return absl::UnimplementedError(
      "coco-keyprovider only wraps keys; UnWrapKey is served by confidential-data-hub");
}

}  // namespace cocoon::cdh
