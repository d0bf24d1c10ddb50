#include "ocicrypt/image_crypt.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/status.h"
#include "ocicrypt/annotations.h"
#include "ocicrypt/image.h"
#include "ocicrypt/media_types.h"
#include "ocicrypt/options.h"

namespace cocoon::ocicrypt {
namespace {

constexpr int kMaxIndexDepth = 4;
constexpr uint64_t kProgressStep = 4ull << 20;

enum class Direction { kEncrypt, kDecrypt };

// Reports progress while passing bytes through.
class ProgressSource : public ByteSource {
 public:
  ProgressSource(ByteSource& inner, const ProgressFn& fn, std::string digest, uint64_t total)
      : inner_(inner), fn_(fn) {
    event_.digest = std::move(digest);
    event_.total = total;
  }
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    auto r = inner_.Read(buf, n);
    if (r.ok() && fn_) {
      event_.done += *r;
      if (*r == 0 || event_.done - last_ >= kProgressStep) {
        last_ = event_.done;
        event_.finished = *r == 0;
        fn_(event_);
      }
    }
    return r;
  }

 private:
  ByteSource& inner_;
  const ProgressFn& fn_;
  ProgressEvent event_;
  uint64_t last_ = 0;
};

bool IsKeyAnnotation(absl::string_view key) {
  return absl::StartsWith(key, kAnnotationPrefix) || key == kPubOptsAnnotation;
}

std::string PlatformString(const Platform& p) {
  std::string s = absl::StrCat(p.os, "/", p.architecture);
  if (!p.variant.empty()) absl::StrAppend(&s, "/", p.variant);
  return s;
}

bool PlatformSelected(const LayerSelection& sel, const Descriptor& d) {
  if (sel.platforms.empty()) return true;
  if (!d.platform.has_value()) return false;
  const std::string have = PlatformString(*d.platform);
  for (const auto& want : sel.platforms) {
    // "linux/arm64" also selects "linux/arm64/v8".
    if (have == want || absl::StartsWith(have, want + "/")) return true;
  }
  return false;
}

absl::StatusOr<std::vector<bool>> SelectLayers(const LayerSelection& sel, size_t count) {
  std::vector<bool> out(count, sel.layers.empty());
  for (int idx : sel.layers) {
    const long pos = idx < 0 ? static_cast<long>(count) + idx : idx;
    if (pos < 0 || pos >= static_cast<long>(count)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "layer index ", idx, " is out of range for an image with ", count, " layers"));
    }
    out[static_cast<size_t>(pos)] = true;
  }
  return out;
}

class ImageWalker {
 public:
  ImageWalker(Direction dir, const OciLayout& src, OciLayoutWriter& dst,
              const KeyWrapperSet& wrappers, const EncryptConfig* ec, const DecryptConfig* dc,
              const ImageCryptOptions& opts)
      : dir_(dir), src_(src), dst_(dst), wrappers_(wrappers), ec_(ec), dc_(dc), opts_(opts) {}

  absl::StatusOr<Descriptor> Walk(const Descriptor& d, int depth) {
    if (IsIndexMediaType(d.media_type)) return WalkIndex(d, depth);
    if (IsManifestMediaType(d.media_type)) return WalkManifest(d);
    return absl::InvalidArgumentError(absl::StrCat(d.digest, ": media type \"", d.media_type,
                                                   "\" is neither an image index nor a manifest"));
  }

  ImageCryptStats stats;

 private:
  absl::StatusOr<Descriptor> WalkIndex(const Descriptor& d, int depth) {
    if (depth >= kMaxIndexDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("index ", d.digest, ": indexes nested deeper than ", kMaxIndexDepth));
    }
    COCOON_ASSIGN_OR_RETURN(std::string bytes, src_.ReadBlob(d));
    COCOON_ASSIGN_OR_RETURN_CTX(Index index, ParseIndex(bytes), absl::StrCat("index ", d.digest));
    bool changed = false;
    for (Descriptor& child : index.manifests) {
      const bool is_image =
          IsIndexMediaType(child.media_type) || IsManifestMediaType(child.media_type);
      if (!is_image || !PlatformSelected(opts_.selection, child)) {
        COCOON_RETURN_IF_ERROR(CopyIfPresent(child));
        continue;
      }
      COCOON_ASSIGN_OR_RETURN(Descriptor out, Walk(child, depth + 1));
      if (out.digest != child.digest) changed = true;
      child = std::move(out);
    }
    if (!changed) {
      COCOON_RETURN_IF_ERROR(dst_.CopyBlobFrom(src_, d));
      return d;
    }
    COCOON_ASSIGN_OR_RETURN(std::string out_bytes, SerializeIndex(index));
    COCOON_ASSIGN_OR_RETURN(Descriptor out, dst_.WriteBlob(d.media_type, out_bytes));
    CarryDescriptorFields(d, &out);
    return out;
  }

  absl::StatusOr<Descriptor> WalkManifest(const Descriptor& d) {
    const std::string where = absl::StrCat("manifest ", d.digest);
    COCOON_ASSIGN_OR_RETURN(std::string bytes, src_.ReadBlob(d));
    COCOON_ASSIGN_OR_RETURN_CTX(Manifest manifest, ParseManifest(bytes), where);
    ++stats.manifests;
    COCOON_RETURN_IF_ERROR_CTX(dst_.CopyBlobFrom(src_, manifest.config), where);
    COCOON_ASSIGN_OR_RETURN_CTX(std::vector<bool> selected,
                                SelectLayers(opts_.selection, manifest.layers.size()), where);
    bool changed = false;
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
      Descriptor& layer = manifest.layers[i];
      absl::StatusOr<std::optional<Descriptor>> out = std::optional<Descriptor>();
      if (selected[i]) {
        out = dir_ == Direction::kEncrypt ? EncryptOne(layer) : DecryptOne(layer);
      }
      if (!out.ok()) return Annotate(out.status(), absl::StrCat("layer ", layer.digest));
      if (out->has_value()) {
        layer = std::move(**out);
        changed = true;
      } else {
        COCOON_RETURN_IF_ERROR(CopyIfPresent(layer));
        ++stats.layers_copied;
      }
    }
    if (!changed) {
      COCOON_RETURN_IF_ERROR(dst_.CopyBlobFrom(src_, d));
      return d;
    }
    if (dir_ == Direction::kEncrypt) {
      // Encrypted layer media types exist only for OCI manifests (skopeo and imgcrypt convert
      // Docker schema 2 manifests the same way).
      COCOON_RETURN_IF_ERROR_CTX(ConvertToOciManifest(&manifest), where);
    }
    COCOON_ASSIGN_OR_RETURN(std::string out_bytes, SerializeManifest(manifest));
    COCOON_ASSIGN_OR_RETURN(Descriptor out, dst_.WriteBlob(manifest.media_type, out_bytes));
    CarryDescriptorFields(d, &out);
    return out;
  }

  // Blobs referenced by URL only (foreign layers) may be absent from the layout.
  absl::Status CopyIfPresent(const Descriptor& d) {
    absl::Status st = dst_.CopyBlobFrom(src_, d);
    if (absl::IsNotFound(st) && !d.urls.empty()) return absl::OkStatus();
    return st;
  }

  absl::StatusOr<std::optional<Descriptor>> EncryptOne(const Descriptor& layer) {
    if (IsEncryptedMediaType(layer.media_type)) return AddRecipients(layer);
    if (!IsLayerMediaType(layer.media_type)) return std::optional<Descriptor>();
    COCOON_ASSIGN_OR_RETURN(std::string enc_type, EncryptedMediaType(layer.media_type));
    COCOON_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> blob, src_.OpenBlob(layer));
    ProgressSource source(*blob, opts_.progress, layer.digest, static_cast<uint64_t>(layer.size));
    COCOON_ASSIGN_OR_RETURN(std::unique_ptr<OciLayoutWriter::BlobWriter> writer, dst_.NewBlob());
    COCOON_ASSIGN_OR_RETURN(LayerEncryptResult enc,
                            EncryptLayerStream(source, writer->sink(), layer.digest));
    COCOON_ASSIGN_OR_RETURN(Descriptor out, writer->Finish(enc_type));
    const SecretBytes optsdata = SerializePrivateOptions(enc.private_options);
    std::map<std::string, std::string> annotations;
    for (const auto& [k, v] : layer.annotations) {
      if (!IsKeyAnnotation(k)) annotations[k] = v;
    }
    COCOON_RETURN_IF_ERROR(WrapInto(optsdata, &annotations));
    annotations[std::string(kPubOptsAnnotation)] =
        EncodePubOpts(SerializePublicOptions(enc.public_options));
    out.annotations = std::move(annotations);
    out.platform = layer.platform;
    out.urls.clear();
    ++stats.layers_encrypted;
    return std::optional<Descriptor>(std::move(out));
  }

  // Wraps `optsdata` with every scheme that has recipients, appending to existing entries.
  absl::Status WrapInto(const SecretBytes& optsdata, std::map<std::string, std::string>* ann) {
    bool wrapped = false;
    for (const auto& w : wrappers_.all()) {
      if (!w->HasRecipients(*ec_)) continue;
      COCOON_ASSIGN_OR_RETURN_CTX(std::string entry, w->Wrap(*ec_, optsdata),
                                  absl::StrCat("wrapping the layer key with ", w->AnnotationId()));
      if (entry.empty()) continue;  // a keyprovider may decline
      const std::string key = absl::StrCat(kAnnotationPrefix, w->AnnotationId());
      std::vector<std::string> entries;
      if (auto it = ann->find(key); it != ann->end()) {
        COCOON_ASSIGN_OR_RETURN(entries, SplitKeyAnnotation(it->second));
      }
      entries.push_back(std::move(entry));
      (*ann)[key] = JoinKeyAnnotation(entries);
      wrapped = true;
    }
    if (!wrapped) {
      return absl::InvalidArgumentError(
          "no wrapped keys produced by encryption: no recipient was given for any key-wrap scheme");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<Descriptor>> AddRecipients(const Descriptor& layer) {
    COCOON_ASSIGN_OR_RETURN_CTX(
        SecretBytes optsdata, UnwrapLayerOptions(wrappers_, ec_->decrypt_config, layer.annotations),
        "adding recipients to an encrypted layer needs a key that can already decrypt it");
    Descriptor out = layer;
    COCOON_RETURN_IF_ERROR(WrapInto(optsdata, &out.annotations));
    COCOON_RETURN_IF_ERROR(CopyIfPresent(layer));
    ++stats.layers_rewrapped;
    return std::optional<Descriptor>(std::move(out));
  }

  absl::StatusOr<std::optional<Descriptor>> DecryptOne(const Descriptor& layer) {
    if (!IsEncryptedMediaType(layer.media_type)) return std::optional<Descriptor>();
    COCOON_ASSIGN_OR_RETURN(std::string plain_type, DecryptedMediaType(layer.media_type));
    // The layer HMAC authenticates every ciphertext byte, so the digest pass is skipped.
    COCOON_ASSIGN_OR_RETURN(std::unique_ptr<ByteSource> blob, src_.OpenBlobSizeChecked(layer));
    ProgressSource source(*blob, opts_.progress, layer.digest, static_cast<uint64_t>(layer.size));
    COCOON_ASSIGN_OR_RETURN(std::unique_ptr<OciLayoutWriter::BlobWriter> writer, dst_.NewBlob());
    LayerDecryptOptions dopts;
    dopts.mode = opts_.release_mode;
    // The MAC and the output digest run on a second core while this one reads, decrypts and
    // writes: both halves then cost about the same (two SHA-256 passes against AES plus I/O).
    dopts.parallel_mac = true;
    if (dopts.mode == ReleaseMode::kStreaming) dopts.plaintext_hasher = writer->OffloadDigest();
    COCOON_RETURN_IF_ERROR(DecryptLayer(wrappers_, *dc_, layer, source, writer->sink(), dopts));
    COCOON_ASSIGN_OR_RETURN(Descriptor out, writer->Finish(plain_type));
    for (const auto& [k, v] : layer.annotations) {
      if (!IsKeyAnnotation(k)) out.annotations[k] = v;
    }
    out.platform = layer.platform;
    ++stats.layers_decrypted;
    return std::optional<Descriptor>(std::move(out));
  }

  static void CarryDescriptorFields(const Descriptor& from, Descriptor* to) {
    to->platform = from.platform;
    to->annotations = from.annotations;
    to->artifact_type = from.artifact_type;
  }

  Direction dir_;
  const OciLayout& src_;
  OciLayoutWriter& dst_;
  const KeyWrapperSet& wrappers_;
  const EncryptConfig* ec_;
  const DecryptConfig* dc_;
  const ImageCryptOptions& opts_;
};

}  // namespace

void KeyWrapperSet::Add(std::unique_ptr<KeyWrapper> wrapper) {
  wrappers_.push_back(std::move(wrapper));
}

KeyWrapper* KeyWrapperSet::Find(absl::string_view annotation_id) const {
  for (const auto& w : wrappers_) {
    if (w->AnnotationId() == annotation_id) return w.get();
  }
  return nullptr;
}

absl::StatusOr<SecretBytes> UnwrapLayerOptions(
    const KeyWrapperSet& wrappers, const DecryptConfig& dc,
    const std::map<std::string, std::string>& annotations) {
  std::vector<std::string> errors;
  std::vector<std::string> unknown;
  bool any_scheme_had_keys = false;
  bool any_key_annotation = false;
  for (const auto& [key, value] : annotations) {
    if (!absl::StartsWith(key, kAnnotationPrefix)) continue;
    any_key_annotation = true;
    const std::string id = key.substr(kAnnotationPrefix.size());
    KeyWrapper* w = wrappers.Find(id);
    if (w == nullptr) {
      unknown.push_back(id);
      continue;
    }
    if (w->NoPossibleKeys(dc)) continue;
    any_scheme_had_keys = true;
    COCOON_ASSIGN_OR_RETURN_CTX(std::vector<std::string> entries, SplitKeyAnnotation(value),
                                absl::StrCat("annotation ", key));
    for (size_t i = 0; i < entries.size(); ++i) {
      auto r = w->Unwrap(dc, entries[i]);
      if (r.ok()) return std::move(*r);
      errors.push_back(absl::StrCat(id, " entry #", i + 1, ": ", r.status().message()));
    }
  }
  if (!any_key_annotation) {
    return absl::InvalidArgumentError(absl::StrCat("layer has no ", kAnnotationPrefix,
                                                   "* annotation: it is not encrypted or its "
                                                   "annotations were stripped"));
  }
  std::string detail;
  if (!unknown.empty()) {
    detail = absl::StrCat(
        " (schemes present but not configured here: ", absl::StrJoin(unknown, ", "), ")");
  }
  if (!any_scheme_had_keys) {
    return absl::FailedPreconditionError(
        absl::StrCat("missing private key needed for decryption", detail));
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "no suitable key unwrapper found or none of the private keys could be used for decryption",
      detail, ": ", absl::StrJoin(errors, "; ")));
}

absl::Status DecryptLayer(const KeyWrapperSet& wrappers, const DecryptConfig& dc,
                          const Descriptor& layer, ByteSource& ciphertext, ByteSink& plaintext,
                          const LayerDecryptOptions& opts) {
  auto pub_it = layer.annotations.find(std::string(kPubOptsAnnotation));
  if (pub_it == layer.annotations.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("missing ", kPubOptsAnnotation, " annotation (the layer HMAC and cipher)"));
  }
  COCOON_ASSIGN_OR_RETURN(std::string pub_json, DecodePubOpts(pub_it->second));
  COCOON_ASSIGN_OR_RETURN(PublicOptions pub, ParsePublicOptions(pub_json));
  COCOON_ASSIGN_OR_RETURN(SecretBytes optsdata,
                          UnwrapLayerOptions(wrappers, dc, layer.annotations));
  COCOON_ASSIGN_OR_RETURN_CTX(PrivateOptions priv, ParsePrivateOptions(optsdata.view()),
                              "unwrapped private layer options");
  return DecryptLayerStream(ciphertext, plaintext, priv, pub, opts);
}

absl::StatusOr<ImageCryptResult> EncryptImage(const OciLayout& src, const Descriptor& top,
                                              OciLayoutWriter& dst, const KeyWrapperSet& wrappers,
                                              const EncryptConfig& ec,
                                              const ImageCryptOptions& opts) {
  ImageWalker walker(Direction::kEncrypt, src, dst, wrappers, &ec, nullptr, opts);
  COCOON_ASSIGN_OR_RETURN(Descriptor out, walker.Walk(top, 0));
  if (walker.stats.layers_encrypted + walker.stats.layers_rewrapped == 0) {
    return absl::InvalidArgumentError("no layer was selected for encryption");
  }
  return ImageCryptResult{std::move(out), walker.stats};
}

absl::StatusOr<ImageCryptResult> DecryptImage(const OciLayout& src, const Descriptor& top,
                                              OciLayoutWriter& dst, const KeyWrapperSet& wrappers,
                                              const DecryptConfig& dc,
                                              const ImageCryptOptions& opts) {
  ImageWalker walker(Direction::kDecrypt, src, dst, wrappers, nullptr, &dc, opts);
  COCOON_ASSIGN_OR_RETURN(Descriptor out, walker.Walk(top, 0));
  return ImageCryptResult{std::move(out), walker.stats};
}

}  // namespace cocoon::ocicrypt
