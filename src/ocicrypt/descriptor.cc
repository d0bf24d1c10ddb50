#include "ocicrypt/descriptor.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status.h"
#include "ocicrypt/descriptor_json.h"

namespace cocoon::ocicrypt {
namespace {

bool IsLowerAlnum(char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c); }

// algorithm ::= component (separator component)*, component ::= [a-z0-9]+, separator ::= [+._-]
bool ValidAlgorithm(absl::string_view alg) {
  if (alg.empty()) return false;
  bool prev_sep = true;
  for (char c : alg) {
    if (IsLowerAlnum(c)) {
      prev_sep = false;
    } else if (c == '+' || c == '.' || c == '_' || c == '-') {
      if (prev_sep) return false;
      prev_sep = true;
    } else {
      return false;
    }
  }
  return !prev_sep;
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateDigest(absl::string_view digest) {
  const size_t colon = digest.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid digest \"",
                                                   absl::CHexEscape(digest.substr(0, 200)),
                                                   "\": expected <algorithm>:<encoded>"));
  }
  const absl::string_view alg = digest.substr(0, colon);
  const absl::string_view enc = digest.substr(colon + 1);
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest \"", absl::CHexEscape(digest.substr(0, 200)), "\": ", why));
  };
  if (!ValidAlgorithm(alg)) return bad("malformed algorithm");
  if (enc.empty()) return bad("empty encoded part");
  for (char c : enc) {
    if (!absl::ascii_isalnum(c) && c != '=' && c != '_' && c != '-') {
      return bad("invalid character in encoded part");
    }
  }
  if (alg == "sha256" && (enc.size() != 64 || !IsLowerHex(enc))) {
    return bad("sha256 needs 64 lower-case hex digits");
  }
  if (alg == "sha512" && (enc.size() != 128 || !IsLowerHex(enc))) {
    return bad("sha512 needs 128 lower-case hex digits");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::pair<std::string, std::string>> SplitVerifiableDigest(
    absl::string_view digest) {
  COCOON_RETURN_IF_ERROR(ValidateDigest(digest));
  const size_t colon = digest.find(':');
  std::string alg(digest.substr(0, colon));
  if (alg != "sha256" && alg != "sha512") {
    return absl::UnimplementedError(
        absl::StrCat("unsupported digest algorithm \"", alg, "\" in ", digest));
  }
  return std::make_pair(std::move(alg), std::string(digest.substr(colon + 1)));
}

std::string SerializeDescriptor(const Descriptor& d) {
  return internal::DumpGoStyle(internal::DescriptorToJson(d));
}

absl::StatusOr<Descriptor> ParseDescriptor(absl::string_view json, absl::string_view what) {
  COCOON_ASSIGN_OR_RETURN(OrderedJson j, internal::ParseOrderedJson(json, what));
  return internal::DescriptorFromJson(j, what);
}

namespace internal {
namespace {

absl::Status TypeError(absl::string_view path, absl::string_view want, const OrderedJson& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": expected ", want, ", got ", got.type_name()));
}

absl::StatusOr<std::string> OptString(const OrderedJson& obj, absl::string_view key,
                                      absl::string_view path) {
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return TypeError(absl::StrCat(path, ".", key), "a string", *it);
  return it->get<std::string>();
}

absl::StatusOr<std::vector<std::string>> OptStringArray(const OrderedJson& obj,
                                                        absl::string_view key,
                                                        absl::string_view path) {
  std::vector<std::string> out;
  auto it = obj.find(std::string(key));
  if (it == obj.end() || it->is_null()) return out;
  const std::string p = absl::StrCat(path, ".", key);
  if (!it->is_array()) return TypeError(p, "an array of strings", *it);
  if (it->size() > kMaxDescriptorsPerList) {
    return absl::InvalidArgumentError(
        absl::StrCat(p, ": more than ", kMaxDescriptorsPerList, " entries"));
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& e = (*it)[i];
    if (!e.is_string()) return TypeError(absl::StrCat(p, "[", i, "]"), "a string", e);
    out.push_back(e.get<std::string>());
  }
  return out;
}

// Members not in `known`, as a JSON object text (empty if none).
std::string ExtraMembers(const OrderedJson& obj, std::initializer_list<absl::string_view> known) {
  OrderedJson extra = OrderedJson::object();
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool is_known = false;
    for (absl::string_view k : known) is_known = is_known || it.key() == k;
    if (!is_known) extra[it.key()] = it.value();
  }
  return extra.empty() ? std::string() : DumpGoStyle(extra);
}

void AppendExtra(OrderedJson& obj, const std::string& extra_json) {
  if (extra_json.empty()) return;
  OrderedJson extra = OrderedJson::parse(extra_json, nullptr, /*allow_exceptions=*/false);
  if (!extra.is_object()) return;
  for (auto it = extra.begin(); it != extra.end(); ++it) {
    if (!obj.contains(it.key())) obj[it.key()] = it.value();
  }
}

absl::StatusOr<Platform> PlatformFromJson(const OrderedJson& j, absl::string_view path) {
  if (!j.is_object()) return TypeError(path, "an object", j);
  Platform p;
  COCOON_ASSIGN_OR_RETURN(p.architecture, OptString(j, "architecture", path));
  COCOON_ASSIGN_OR_RETURN(p.os, OptString(j, "os", path));
  COCOON_ASSIGN_OR_RETURN(p.os_version, OptString(j, "os.version", path));
  COCOON_ASSIGN_OR_RETURN(p.os_features, OptStringArray(j, "os.features", path));
  COCOON_ASSIGN_OR_RETURN(p.variant, OptString(j, "variant", path));
  p.extra_json = ExtraMembers(j, {"architecture", "os", "os.version", "os.features", "variant"});
  return p;
}

OrderedJson PlatformToJson(const Platform& p) {
  OrderedJson j = OrderedJson::object();
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
  if (!p.variant.empty()) j["variant"] = p.variant;
  AppendExtra(j, p.extra_json);
  return j;
}

void DumpTo(std::string* out, const OrderedJson& j) {
  switch (j.type()) {
    case OrderedJson::value_t::object: {
      out->push_back('{');
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out->push_back(',');
        first = false;
        AppendGoJsonString(out, it.key());
        out->push_back(':');
        DumpTo(out, it.value());
      }
      out->push_back('}');
      break;
    }
    case OrderedJson::value_t::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& e : j) {
        if (!first) out->push_back(',');
        first = false;
        DumpTo(out, e);
      }
      out->push_back(']');
      break;
    }
    case OrderedJson::value_t::string:
      AppendGoJsonString(out, j.get_ref<const std::string&>());
      break;
    default:
      out->append(j.dump());
  }
}

}  // namespace

absl::StatusOr<OrderedJson> ParseOrderedJson(absl::string_view text, absl::string_view what) {
  // The shared parser checks nesting depth and produces a located error; the ordered tree is
  // parsed only from input known to be valid.
  COCOON_RETURN_IF_ERROR(ParseJson(text, what).status());
  return OrderedJson::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
}

std::string DumpGoStyle(const OrderedJson& j) {
  std::string out;
  DumpTo(&out, j);
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> StringMapFromJson(const OrderedJson& j,
                                                                     absl::string_view path) {
  std::map<std::string, std::string> out;
  if (j.is_null()) return out;
  if (!j.is_object()) return TypeError(path, "an object of strings", j);
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it->is_string()) {
      return TypeError(absl::StrCat(path, "[\"", absl::CHexEscape(it.key()), "\"]"), "a string",
                       *it);
    }
    out[it.key()] = it->get<std::string>();
  }
  return out;
}

OrderedJson StringMapToJson(const std::map<std::string, std::string>& m) {
  OrderedJson j = OrderedJson::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

absl::StatusOr<Descriptor> DescriptorFromJson(const OrderedJson& j, absl::string_view path) {
  if (!j.is_object()) return TypeError(path, "a descriptor object", j);
  Descriptor d;
  auto mt = j.find("mediaType");
  if (mt == j.end() || !mt->is_string()) {
    if (mt == j.end()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".mediaType: missing"));
    }
    return TypeError(absl::StrCat(path, ".mediaType"), "a string", *mt);
  }
  d.media_type = mt->get<std::string>();
  auto dg = j.find("digest");
  if (dg == j.end()) return absl::InvalidArgumentError(absl::StrCat(path, ".digest: missing"));
  if (!dg->is_string()) return TypeError(absl::StrCat(path, ".digest"), "a string", *dg);
  d.digest = dg->get<std::string>();
  COCOON_RETURN_IF_ERROR_CTX(ValidateDigest(d.digest), absl::StrCat(path, ".digest"));
  auto sz = j.find("size");
  if (sz == j.end()) return absl::InvalidArgumentError(absl::StrCat(path, ".size: missing"));
  if (sz->is_number_unsigned()) {
    const uint64_t v = sz->get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".size: ", v, " is too large"));
    }
    d.size = static_cast<int64_t>(v);
  } else if (sz->is_number_integer()) {
    d.size = sz->get<int64_t>();
    if (d.size < 0) {
      return absl::InvalidArgumentError(absl::StrCat(path, ".size: negative (", d.size, ")"));
    }
  } else {
    return TypeError(absl::StrCat(path, ".size"), "a non-negative integer", *sz);
  }
  COCOON_ASSIGN_OR_RETURN(d.urls, OptStringArray(j, "urls", path));
  if (auto a = j.find("annotations"); a != j.end()) {
    COCOON_ASSIGN_OR_RETURN(d.annotations,
                            StringMapFromJson(*a, absl::StrCat(path, ".annotations")));
  }
  if (auto p = j.find("platform"); p != j.end() && !p->is_null()) {
    COCOON_ASSIGN_OR_RETURN(d.platform, PlatformFromJson(*p, absl::StrCat(path, ".platform")));
  }
  COCOON_ASSIGN_OR_RETURN(d.artifact_type, OptString(j, "artifactType", path));
  d.extra_json = ExtraMembers(
      j, {"mediaType", "digest", "size", "urls", "annotations", "platform", "artifactType"});
  return d;
}

OrderedJson DescriptorToJson(const Descriptor& d) {
  OrderedJson j = OrderedJson::object();
  j["mediaType"] = d.media_type;
  j["digest"] = d.digest;
  j["size"] = d.size;
  if (!d.urls.empty()) j["urls"] = d.urls;
  if (!d.annotations.empty()) j["annotations"] = StringMapToJson(d.annotations);
  if (d.platform.has_value()) j["platform"] = PlatformToJson(*d.platform);
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  AppendExtra(j, d.extra_json);
  return j;
}

}  // namespace internal
}  // namespace cocoon::ocicrypt
