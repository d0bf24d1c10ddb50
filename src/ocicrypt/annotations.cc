#include "ocicrypt/annotations.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/encoding.h"
#include "base/status.h"

namespace cocoon::ocicrypt {

std::string ProviderSchemeId(absl::string_view provider_name) {
  return absl::StrCat(kSchemeProviderPrefix, provider_name);
}

std::string KeyAnnotationName(absl::string_view scheme) {
  return absl::StrCat(kAnnotationPrefix, scheme);
}

absl::StatusOr<std::vector<std::string>> SplitKeyAnnotation(absl::string_view value) {
  std::vector<std::string> out;
  size_t index = 0;
  for (absl::string_view entry : absl::StrSplit(value, ',')) {
    if (entry.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("key annotation entry ", index, " is empty"));
    }
    auto decoded = Base64Decode(entry);
    if (!decoded.ok()) {
      return Annotate(decoded.status(), absl::StrCat("key annotation entry ", index));
    }
    out.push_back(std::move(decoded).value());
    ++index;
  }
  return out;
}

std::string JoinKeyAnnotation(const std::vector<std::string>& raw_entries) {
  return absl::StrJoin(raw_entries, ",", [](std::string* out, const std::string& e) {
    out->append(Base64Encode(e));
  });
}

std::string EncodePubOpts(absl::string_view pubopts_json) { return Base64Encode(pubopts_json); }

std::string EncodePubOpts(const PublicOptions& opts) {
  return Base64Encode(SerializePublicOptions(opts));
}

absl::StatusOr<std::string> DecodePubOpts(absl::string_view annotation_value) {
  auto json = Base64Decode(annotation_value);
  if (!json.ok()) return Annotate(json.status(), kPubOptsAnnotation);
  return json;
}

absl::StatusOr<PublicOptions> DecodePubOptsAnnotation(absl::string_view annotation_value) {
  COCOON_ASSIGN_OR_RETURN(std::string json, DecodePubOpts(annotation_value));
  auto opts = ParsePublicOptions(json);
  if (!opts.ok()) return Annotate(opts.status(), kPubOptsAnnotation);
  return opts;
}

bool HasKeyAnnotations(const std::map<std::string, std::string>& annotations) {
  for (const auto& [k, v] : annotations) {
    if (absl::StartsWith(k, kAnnotationPrefix) && k.size() > kAnnotationPrefix.size()) return true;
  }
  return false;
}

absl::StatusOr<LayerKeyInfo> InspectLayerAnnotations(
    const std::map<std::string, std::string>& annotations) {
  LayerKeyInfo info;
  for (const auto& [k, v] : annotations) {
    if (!absl::StartsWith(k, kAnnotationPrefix) || k.size() == kAnnotationPrefix.size()) continue;
    std::string scheme = k.substr(kAnnotationPrefix.size());
    info.wrapped_keys[scheme] = v;
    info.schemes.push_back(std::move(scheme));
  }
  if (info.schemes.empty()) {
    return absl::NotFoundError(
        absl::StrCat("layer is not encrypted: no ", kAnnotationPrefix, "* annotation"));
  }
  auto it = annotations.find(std::string(kPubOptsAnnotation));
  if (it == annotations.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing pubopts annotation ", kPubOptsAnnotation,
                     " on an encrypted layer (schemes: ", absl::StrJoin(info.schemes, ", "), ")"));
  }
  COCOON_ASSIGN_OR_RETURN(info.pubopts, DecodePubOptsAnnotation(it->second));
  return info;
}

std::map<std::string, std::string> WithoutEncryptionAnnotations(
    const std::map<std::string, std::string>& annotations) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : annotations) {
    if (!absl::StartsWith(k, kEncAnnotationPrefix)) out.emplace(k, v);
  }
  return out;
}

}  // namespace cocoon::ocicrypt
