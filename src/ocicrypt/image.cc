#include "ocicrypt/image.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status.h"
#include "ocicrypt/descriptor_json.h"
#include "ocicrypt/media_types.h"

namespace cocoon::ocicrypt {
namespace {

using internal::DescriptorFromJson;
using internal::DescriptorToJson;

absl::Status Err(absl::string_view what, absl::string_view path, absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(what, ": ", path, ": ", msg));
}

absl::StatusOr<OrderedJson> ParseTopObject(absl::string_view bytes, absl::string_view what) {
  COCOON_ASSIGN_OR_RETURN(OrderedJson j, internal::ParseOrderedJson(bytes, what));
  if (!j.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": expected a JSON object, got ", j.type_name()));
  }
  auto sv = j.find("schemaVersion");
  if (sv == j.end()) return Err(what, "schemaVersion", "missing");
  if (!sv->is_number_integer() || sv->get<int64_t>() != 2) {
    return Err(what, "schemaVersion", absl::StrCat("unsupported value ", sv->dump(), "; need 2"));
  }
  return j;
}

// Common optional members of manifests and indexes.
template <typename T>
absl::Status ParseCommon(const OrderedJson& j, absl::string_view what, T* out) {
  if (auto a = j.find("annotations"); a != j.end()) {
    auto m = internal::StringMapFromJson(*a, "annotations");
    if (!m.ok()) return Annotate(m.status(), what);
    out->annotations = std::move(m).value();
  }
  if (auto s = j.find("subject"); s != j.end() && !s->is_null()) {
    auto d = DescriptorFromJson(*s, "subject");
    if (!d.ok()) return Annotate(d.status(), what);
    out->subject = std::move(d).value();
  }
  if (auto at = j.find("artifactType"); at != j.end() && !at->is_null()) {
    if (!at->is_string()) return Err(what, "artifactType", "expected a string");
    out->artifact_type = at->get<std::string>();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Descriptor>> ParseDescriptorList(const OrderedJson& j,
                                                            absl::string_view key,
                                                            absl::string_view what) {
  auto it = j.find(std::string(key));
  if (it == j.end()) return Err(what, key, "missing");
  if (!it->is_array())
    return Err(what, key, absl::StrCat("expected an array, got ", it->type_name()));
  if (it->size() > kMaxDescriptorsPerList) {
    return Err(
        what, key,
        absl::StrCat(it->size(), " entries, more than the limit of ", kMaxDescriptorsPerList));
  }
  std::vector<Descriptor> out;
  out.reserve(it->size());
  for (size_t i = 0; i < it->size(); ++i) {
    auto d = DescriptorFromJson((*it)[i], absl::StrCat(key, "[", i, "]"));
    if (!d.ok()) return Annotate(d.status(), what);
    out.push_back(std::move(d).value());
  }
  return out;
}

absl::StatusOr<OrderedJson> StartFrom(const std::string& raw) {
  if (raw.empty()) {
    OrderedJson j = OrderedJson::object();
    j["schemaVersion"] = 2;
    return j;
  }
  return internal::ParseOrderedJson(raw, "original document");
}

// A document that had no mediaType member keeps having none unless its type changed.
template <typename T>
void SetMediaType(OrderedJson& j, const T& doc, absl::string_view implicit_type) {
  if (doc.media_type.empty() ||
      (!doc.has_media_type_member && !doc.raw.empty() && doc.media_type == implicit_type)) {
    j.erase("mediaType");
    return;
  }
  j["mediaType"] = doc.media_type;
}

template <typename T>
void SetCommonTail(OrderedJson& j, const T& doc) {
  if (doc.subject.has_value()) {
    j["subject"] = DescriptorToJson(*doc.subject);
  } else {
    j.erase("subject");
  }
  if (!doc.annotations.empty()) {
    j["annotations"] = internal::StringMapToJson(doc.annotations);
  } else {
    j.erase("annotations");
  }
}

OrderedJson DescriptorArray(const std::vector<Descriptor>& list) {
  OrderedJson a = OrderedJson::array();
  for (const auto& d : list) a.push_back(DescriptorToJson(d));
  return a;
}

}  // namespace

absl::StatusOr<Manifest> ParseManifest(absl::string_view bytes, absl::string_view what) {
  COCOON_ASSIGN_OR_RETURN(OrderedJson j, ParseTopObject(bytes, what));
  Manifest m;
  if (auto mt = j.find("mediaType"); mt != j.end() && !mt->is_null()) {
    if (!mt->is_string()) return Err(what, "mediaType", "expected a string");
    m.media_type = mt->get<std::string>();
    m.has_media_type_member = true;
    if (IsIndexMediaType(m.media_type)) {
      return Err(what, "mediaType", absl::StrCat(m.media_type, " is an index, not a manifest"));
    }
    if (!IsManifestMediaType(m.media_type)) {
      return Err(what, "mediaType", absl::StrCat("unsupported manifest media type ", m.media_type));
    }
  } else {
    if (j.contains("manifests")) {
      return Err(what, "manifests", "document has no mediaType and looks like an index");
    }
    m.media_type = std::string(kMediaTypeOciManifest);
  }
  auto cfg = j.find("config");
  if (cfg == j.end()) return Err(what, "config", "missing");
  {
    auto d = DescriptorFromJson(*cfg, "config");
    if (!d.ok()) return Annotate(d.status(), what);
    m.config = std::move(d).value();
  }
  COCOON_ASSIGN_OR_RETURN(m.layers, ParseDescriptorList(j, "layers", what));
  COCOON_RETURN_IF_ERROR(ParseCommon(j, what, &m));
  m.raw = std::string(bytes);
  return m;
}

absl::StatusOr<std::string> SerializeManifest(const Manifest& m) {
  COCOON_ASSIGN_OR_RETURN(OrderedJson j, StartFrom(m.raw));
  j["schemaVersion"] = m.schema_version;
  SetMediaType(j, m, kMediaTypeOciManifest);
  if (!m.artifact_type.empty()) {
    j["artifactType"] = m.artifact_type;
  } else {
    j.erase("artifactType");
  }
  j["config"] = DescriptorToJson(m.config);
  j["layers"] = DescriptorArray(m.layers);
  SetCommonTail(j, m);
  return internal::DumpGoStyle(j);
}

absl::StatusOr<Index> ParseIndex(absl::string_view bytes, absl::string_view what) {
  COCOON_ASSIGN_OR_RETURN(OrderedJson j, ParseTopObject(bytes, what));
  Index idx;
  if (auto mt = j.find("mediaType"); mt != j.end() && !mt->is_null()) {
    if (!mt->is_string()) return Err(what, "mediaType", "expected a string");
    idx.media_type = mt->get<std::string>();
    idx.has_media_type_member = true;
    if (!IsIndexMediaType(idx.media_type)) {
      return Err(what, "mediaType", absl::StrCat("unsupported index media type ", idx.media_type));
    }
  } else {
    idx.media_type = std::string(kMediaTypeOciIndex);
  }
  COCOON_ASSIGN_OR_RETURN(idx.manifests, ParseDescriptorList(j, "manifests", what));
  COCOON_RETURN_IF_ERROR(ParseCommon(j, what, &idx));
  idx.raw = std::string(bytes);
  return idx;
}

absl::StatusOr<std::string> SerializeIndex(const Index& index) {
  COCOON_ASSIGN_OR_RETURN(OrderedJson j, StartFrom(index.raw));
  j["schemaVersion"] = index.schema_version;
  SetMediaType(j, index, kMediaTypeOciIndex);
  if (!index.artifact_type.empty()) {
    j["artifactType"] = index.artifact_type;
  } else {
    j.erase("artifactType");
  }
  j["manifests"] = DescriptorArray(index.manifests);
  SetCommonTail(j, index);
  return internal::DumpGoStyle(j);
}

absl::Status ConvertToOciManifest(Manifest* m) {
  if (m->media_type == kMediaTypeOciManifest) return absl::OkStatus();
  if (m->media_type != kMediaTypeDockerManifest) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot convert manifest of type ", m->media_type, " to OCI"));
  }
  m->media_type = std::string(kMediaTypeOciManifest);
  m->has_media_type_member = true;
  if (m->config.media_type == kMediaTypeDockerConfig) {
    m->config.media_type = std::string(kMediaTypeOciConfig);
  }
  for (Descriptor& l : m->layers) {
    if (l.media_type == kMediaTypeDockerLayerGzip) {
      l.media_type = std::string(kMediaTypeOciLayerGzip);
    } else if (l.media_type == kMediaTypeDockerLayer) {
      l.media_type = std::string(kMediaTypeOciLayer);
    } else if (l.media_type == kMediaTypeDockerForeignLayerGzip) {
      l.media_type = std::string(kMediaTypeOciLayerNonDistributableGzip);
    }
  }
  return absl::OkStatus();
}

}  // namespace cocoon::ocicrypt
