#include "cli/image_cmd.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "cli/image_ref.h"
#include "ocicrypt/annotations.h"
#include "ocicrypt/image.h"
#include "ocicrypt/image_crypt.h"
#include "ocicrypt/keyprovider_client.h"
#include "ocicrypt/keyprovider_config.h"
#include "ocicrypt/media_types.h"
#include "ocicrypt/oci_layout.h"

namespace cocoon::cli {
namespace {

using ocicrypt::DecryptConfig;
using ocicrypt::Descriptor;
using ocicrypt::EncryptConfig;
using ocicrypt::KeyWrapperSet;

constexpr uint64_t kMaxKeyFileSize = 1 << 20;
constexpr uint64_t kProgressMinSize = 4ull << 20;

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "cocoon: error: %s\n", std::string(status.message()).c_str());
  return 1;
}

absl::StatusOr<KeyWrapperSet> BuildWrappers() {
  KeyWrapperSet set;
  set.Add(ocicrypt::NewJweKeyWrapper());
  // Every provider in OCICRYPT_KEYPROVIDER_CONFIG registers its `provider.<name>` scheme, as Go
  // ocicrypt does at start-up.
  COCOON_ASSIGN_OR_RETURN(ocicrypt::KeyProviderConfig config,
                          ocicrypt::LoadKeyProviderConfigFromEnv());
  for (auto& [name, entry] : config.providers) {
    set.Add(ocicrypt::NewKeyProviderKeyWrapper(entry));
  }
  return set;
}

absl::Status RequireProvider(const KeyWrapperSet& wrappers, absl::string_view name) {
  if (wrappers.Find(absl::StrCat("provider.", name)) != nullptr) return absl::OkStatus();
  const char* env = std::getenv("OCICRYPT_KEYPROVIDER_CONFIG");
  return absl::InvalidArgumentError(
      absl::StrCat("keyprovider \"", name, "\" is not configured: ",
                   env == nullptr ? std::string("OCICRYPT_KEYPROVIDER_CONFIG is not set")
                                  : absl::StrCat("it is not listed in ", env)));
}

// provider:NAME[:PARAMS] → (NAME, PARAMS or "Enabled"), as Go ocicrypt splits it.
std::pair<std::string, std::string> SplitProvider(absl::string_view value) {
  const size_t colon = value.find(':');
  if (colon == absl::string_view::npos) return {std::string(value), "Enabled"};
  return {std::string(value.substr(0, colon)), std::string(value.substr(colon + 1))};
}

absl::Status AddEncryptionKey(absl::string_view spec, const KeyWrapperSet& wrappers,
                              EncryptConfig* ec) {
  const size_t colon = spec.find(':');
  if (colon == absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("encryption key \"", spec,
                     "\": invalid recipient format, expected jwe:FILE or "
                     "provider:NAME[:PARAMS]"));
  }
  const absl::string_view scheme = spec.substr(0, colon);
  const absl::string_view value = spec.substr(colon + 1);
  if (scheme == "jwe") {
    COCOON_ASSIGN_OR_RETURN_CTX(std::string data, ReadFile(std::string(value), kMaxKeyFileSize),
                                "encryption key");
    ec->parameters[std::string(ocicrypt::kParamPubKeys)].push_back(std::move(data));
    return absl::OkStatus();
  }
  if (scheme == "provider") {
    auto [name, params] = SplitProvider(value);
    COCOON_RETURN_IF_ERROR(RequireProvider(wrappers, name));
    ec->parameters[name].push_back(params);
    return absl::OkStatus();
  }
  if (scheme == "pgp" || scheme == "pkcs7" || scheme == "pkcs11") {
    return absl::UnimplementedError(
        absl::StrCat("encryption key \"", spec, "\": the ", scheme,
                     " scheme is not supported by cocoon (supported: jwe, provider)"));
  }
  return absl::InvalidArgumentError(absl::StrCat("encryption key \"", spec,
                                                 "\": provided protocol \"", scheme,
                                                 "\" not recognized (supported: jwe, provider)"));
}

// Password forms after FILE: "pass=PW", "file=PATH", "fd=N", or the password itself.
absl::StatusOr<std::string> ReadPassword(absl::string_view spec) {
  if (absl::StartsWith(spec, "pass=")) return std::string(spec.substr(5));
  if (absl::StartsWith(spec, "file=")) {
    COCOON_ASSIGN_OR_RETURN(std::string pw, ReadFile(std::string(spec.substr(5)), 4096));
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    return pw;
  }
  if (absl::StartsWith(spec, "fd=")) {
    int fd;
    if (!absl::SimpleAtoi(spec.substr(3), &fd) || fd < 0) {
      return absl::InvalidArgumentError(absl::StrCat("bad file descriptor in \"", spec, "\""));
    }
    char buf[64];
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0) return ErrnoStatus(errno, "cannot read password from", spec);
    std::string pw(buf, static_cast<size_t>(n));
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
    return pw;
  }
  return std::string(spec);
}

absl::Status AddDecryptionKey(absl::string_view spec, const KeyWrapperSet& wrappers,
                              DecryptConfig* dc) {
  if (absl::StartsWith(spec, "provider:")) {
    auto [name, params] = SplitProvider(spec.substr(9));
    COCOON_RETURN_IF_ERROR(RequireProvider(wrappers, name));
    dc->parameters[name].push_back(params);
    return absl::OkStatus();
  }
  std::string path(spec);
  std::optional<std::string> password;
  std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  if (parts.size() == 2 && ::access(path.c_str(), F_OK) != 0) {
    path = std::string(parts[0]);
    COCOON_ASSIGN_OR_RETURN_CTX(password, ReadPassword(parts[1]),
                                absl::StrCat("decryption key ", path));
  }
  COCOON_ASSIGN_OR_RETURN_CTX(std::string data, ReadFile(path, kMaxKeyFileSize), "decryption key");
  dc->parameters[std::string(ocicrypt::kParamPrivKeys)].push_back(std::move(data));
  dc->parameters[std::string(ocicrypt::kParamPrivKeysPasswords)].push_back(std::move(password));
  return absl::OkStatus();
}

// One progress line per large layer: rewritten in place on a terminal, printed once when done
// otherwise (so logs stay readable).
class ProgressPrinter {
 public:
  ProgressPrinter(absl::string_view verb, bool quiet)
      : verb_(verb), quiet_(quiet), tty_(::isatty(STDERR_FILENO) == 1) {}

  void operator()(const ocicrypt::ProgressEvent& e) {
    if (quiet_ || e.total < kProgressMinSize) return;
    const auto now = std::chrono::steady_clock::now();
    if (e.digest != current_) {
      current_ = e.digest;
      start_ = now;
    }
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double mib = static_cast<double>(e.done) / (1 << 20);
    const double total_mib = static_cast<double>(e.total) / (1 << 20);
    const std::string line = absl::StrFormat(
        "%s layer %s: %.0f/%.0f MiB%s", verb_, e.digest.substr(0, 19), mib, total_mib,
        secs > 0.05 ? absl::StrFormat(" (%.0f MiB/s)", mib / secs) : std::string());
    if (tty_) {
      std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), e.finished ? "\n" : "");
    } else if (e.finished) {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }

 private:
  std::string verb_;
  bool quiet_;
  bool tty_;
  std::string current_;
  std::chrono::steady_clock::time_point start_;
};

absl::StatusOr<ocicrypt::ImageCryptResult> Crypt(const ImageCmdArgs& args, bool encrypt) {
  COCOON_ASSIGN_OR_RETURN(ImageRef src_ref, ParseImageRef(args.src));
  COCOON_ASSIGN_OR_RETURN(ImageRef dst_ref, ParseImageRef(args.dst));
  COCOON_ASSIGN_OR_RETURN(KeyWrapperSet wrappers, BuildWrappers());
  EncryptConfig ec;
  DecryptConfig& dc = ec.decrypt_config;
  if (encrypt) {
    if (args.encryption_keys.empty()) {
      return absl::InvalidArgumentError("at least one --encryption-key is required");
    }
    for (const auto& k : args.encryption_keys) {
      COCOON_RETURN_IF_ERROR(AddEncryptionKey(k, wrappers, &ec));
    }
  } else if (args.decryption_keys.empty()) {
    return absl::InvalidArgumentError("at least one --decryption-key is required");
  }
  for (const auto& k : args.decryption_keys) {
    COCOON_RETURN_IF_ERROR(AddDecryptionKey(k, wrappers, &dc));
  }
  COCOON_ASSIGN_OR_RETURN_CTX(ocicrypt::OciLayout src, ocicrypt::OciLayout::Open(src_ref.path),
                              "source");
  COCOON_ASSIGN_OR_RETURN_CTX(Descriptor top, src.Resolve(src_ref.tag), "source");
  COCOON_ASSIGN_OR_RETURN_CTX(std::unique_ptr<ocicrypt::OciLayoutWriter> dst,
                              ocicrypt::OciLayoutWriter::Create(dst_ref.path), "destination");
  ProgressPrinter printer(encrypt ? "encrypting" : "decrypting", args.quiet);
  ocicrypt::ImageCryptOptions opts;
  opts.selection.layers = args.layers;
  opts.selection.platforms = args.platforms;
  opts.progress = [&printer](const ocicrypt::ProgressEvent& e) { printer(e); };
  opts.release_mode = args.verify_before_release ? ocicrypt::ReleaseMode::kVerifyBeforeRelease
                                                 : ocicrypt::ReleaseMode::kStreaming;
  absl::StatusOr<ocicrypt::ImageCryptResult> result =
      encrypt ? ocicrypt::EncryptImage(src, top, *dst, wrappers, ec, opts)
              : ocicrypt::DecryptImage(src, top, *dst, wrappers, dc, opts);
  if (!result.ok()) return result.status();  // the writer's destructor removes partial output
  COCOON_RETURN_IF_ERROR_CTX(dst->Commit({result->top}, dst_ref.tag), "destination");
  return result;
}

int RunCrypt(const ImageCmdArgs& args, bool encrypt) {
  auto result = Crypt(args, encrypt);
  if (!result.ok()) return Fail(result.status());
  if (!args.quiet) {
    const auto& s = result->stats;
    std::fprintf(stderr, "%s: %s %d layer(s)%s, copied %d, %d manifest(s); wrote %s\n",
                 encrypt ? "encrypted" : "decrypted", encrypt ? "encrypted" : "decrypted",
                 encrypt ? s.layers_encrypted : s.layers_decrypted,
                 s.layers_rewrapped > 0
                     ? absl::StrCat(", added recipients to ", s.layers_rewrapped).c_str()
                     : "",
                 s.layers_copied, s.manifests, result->top.digest.c_str());
  }
  return 0;
}

// Describes what a key annotation entry says about its recipients without decrypting it.
Json DescribeEntry(absl::string_view scheme, absl::string_view entry) {
  Json out = Json::object();
  auto parsed = ParseJson(entry, "entry");
  if (!parsed.ok() || !parsed->is_object()) {
    // A compact JWE: the header is the first segment.
    out["format"] = "opaque";
    return out;
  }
  if (scheme == "jwe") {
    out["format"] = parsed->contains("recipients") ? "jwe-general" : "jwe-flattened";
    Json algs = Json::array();
    if (parsed->contains("recipients") && (*parsed)["recipients"].is_array()) {
      for (const auto& r : (*parsed)["recipients"]) {
        if (r.is_object() && r.contains("header") && r["header"].is_object() &&
            r["header"].contains("alg")) {
          algs.push_back(r["header"]["alg"]);
        }
      }
    }
    out["recipient_algs"] = algs;
  } else if (parsed->contains("kid")) {
    out["format"] = "annotation-packet";
    out["kid"] = (*parsed)["kid"];
    if (parsed->contains("wrap_type")) out["wrap_type"] = (*parsed)["wrap_type"];
  }
  return out;
}

absl::StatusOr<Json> InspectManifest(const ocicrypt::OciLayout& layout, const Descriptor& d) {
  COCOON_ASSIGN_OR_RETURN(std::string bytes, layout.ReadBlob(d));
  COCOON_ASSIGN_OR_RETURN_CTX(ocicrypt::Manifest m, ocicrypt::ParseManifest(bytes),
                              absl::StrCat("manifest ", d.digest));
  Json out = {{"digest", d.digest}, {"mediaType", m.media_type}, {"config", m.config.digest}};
  if (d.platform.has_value()) {
    out["platform"] = absl::StrCat(d.platform->os, "/", d.platform->architecture,
                                   d.platform->variant.empty() ? "" : "/", d.platform->variant);
  }
  Json layers = Json::array();
  for (size_t i = 0; i < m.layers.size(); ++i) {
    const Descriptor& l = m.layers[i];
    Json lj = {{"index", i},
               {"digest", l.digest},
               {"size", l.size},
               {"mediaType", l.media_type},
               {"encrypted", ocicrypt::IsEncryptedMediaType(l.media_type)}};
    Json schemes = Json::object();
    for (const auto& [k, v] : l.annotations) {
      if (!absl::StartsWith(k, ocicrypt::kAnnotationPrefix)) continue;
      const std::string scheme = k.substr(ocicrypt::kAnnotationPrefix.size());
      Json entries = Json::array();
      auto split = ocicrypt::SplitKeyAnnotation(v);
      if (!split.ok()) {
        entries.push_back({{"error", std::string(split.status().message())}});
      } else {
        for (const auto& e : *split) entries.push_back(DescribeEntry(scheme, e));
      }
      schemes[scheme] = entries;
    }
    if (!schemes.empty()) lj["schemes"] = schemes;
    layers.push_back(lj);
  }
  out["layers"] = layers;
  return out;
}

absl::StatusOr<Json> Inspect(const ImageCmdArgs& args) {
  COCOON_ASSIGN_OR_RETURN(ImageRef ref, ParseImageRef(args.src));
  COCOON_ASSIGN_OR_RETURN(ocicrypt::OciLayout layout, ocicrypt::OciLayout::Open(ref.path));
  COCOON_ASSIGN_OR_RETURN(Descriptor top, layout.Resolve(ref.tag));
  Json out = {{"reference", args.src}, {"digest", top.digest}, {"mediaType", top.media_type}};
  Json manifests = Json::array();
  if (ocicrypt::IsIndexMediaType(top.media_type)) {
    COCOON_ASSIGN_OR_RETURN(std::string bytes, layout.ReadBlob(top));
    COCOON_ASSIGN_OR_RETURN_CTX(ocicrypt::Index index, ocicrypt::ParseIndex(bytes),
                                absl::StrCat("index ", top.digest));
    for (const auto& child : index.manifests) {
      if (!ocicrypt::IsManifestMediaType(child.media_type)) continue;
      COCOON_ASSIGN_OR_RETURN(Json m, InspectManifest(layout, child));
      manifests.push_back(std::move(m));
    }
  } else {
    COCOON_ASSIGN_OR_RETURN(Json m, InspectManifest(layout, top));
    manifests.push_back(std::move(m));
  }
  out["manifests"] = manifests;
  return out;
}

void PrintInspectText(const Json& j) {
  std::printf("%s  %s\n", j["reference"].get<std::string>().c_str(),
              j["digest"].get<std::string>().c_str());
  for (const auto& m : j["manifests"]) {
    std::printf("manifest %s%s\n", m["digest"].get<std::string>().c_str(),
                m.contains("platform")
                    ? absl::StrCat(" (", m["platform"].get<std::string>(), ")").c_str()
                    : "");
    for (const auto& l : m["layers"]) {
      std::string enc = "plain";
      if (l.contains("schemes")) {
        std::vector<std::string> parts;
        for (auto it = l["schemes"].begin(); it != l["schemes"].end(); ++it) {
          std::string part = absl::StrCat(it.key(), "×", it.value().size());
          for (const auto& e : it.value()) {
            if (e.contains("kid")) absl::StrAppend(&part, " kid=", e["kid"].dump());
          }
          parts.push_back(part);
        }
        enc = absl::StrJoin(parts, ", ");
      } else if (l["encrypted"].get<bool>()) {
        enc = "encrypted (no key annotations)";
      }
      std::printf("  [%zu] %s %10lld  %s  %s\n", l["index"].get<size_t>(),
                  l["digest"].get<std::string>().substr(0, 19).c_str(),
                  static_cast<long long>(l["size"].get<int64_t>()),
                  l["mediaType"].get<std::string>().c_str(), enc.c_str());
    }
  }
}

}  // namespace

int RunImageEncrypt(const ImageCmdArgs& args) { return RunCrypt(args, /*encrypt=*/true); }
int RunImageDecrypt(const ImageCmdArgs& args) { return RunCrypt(args, /*encrypt=*/false); }

int RunImageInspect(const ImageCmdArgs& args) {
  auto j = Inspect(args);
  if (!j.ok()) return Fail(j.status());
  if (args.json) {
    std::printf("%s\n", j->dump(2).c_str());
  } else {
    PrintInspectText(*j);
  }
  return 0;
}

void RegisterImageCommands(CLI::App& app, int* exit_code) {
  auto* image = app.add_subcommand("image", "Encrypt, decrypt and inspect OCI images");
  image->require_subcommand(1);
  auto args = std::make_shared<ImageCmdArgs>();

  auto add_selection = [args](CLI::App* cmd) {
    cmd->add_option("--layer", args->layers,
                    "Layer index to process (0 = bottom, -1 = top); repeatable; default all");
    cmd->add_option("--platform", args->platforms,
                    "Platform os/arch[/variant] to process in a multi-platform image; repeatable");
    cmd->add_flag("-q,--quiet", args->quiet, "No progress or summary on stderr");
  };

  auto* enc = image->add_subcommand("encrypt", "Encrypt an image's layers for recipients");
  enc->add_option("src", args->src, "Source image, oci:PATH[:TAG]")->required();
  enc->add_option("dst", args->dst, "Destination image, oci:PATH[:TAG]")->required();
  enc->add_option("--encryption-key,--recipient", args->encryption_keys,
                  "Recipient: jwe:PUBLIC-KEY-FILE (PEM, DER or JWK) or provider:NAME[:PARAMS]; "
                  "repeatable")
      ->required();
  enc->add_option("--decryption-key,--key", args->decryption_keys,
                  "Private key able to decrypt already encrypted layers (to add recipients)");
  add_selection(enc);
  enc->callback([args, exit_code] { *exit_code = RunImageEncrypt(*args); });

  auto* dec = image->add_subcommand("decrypt", "Decrypt an image's layers");
  dec->add_option("src", args->src, "Source image, oci:PATH[:TAG]")->required();
  dec->add_option("dst", args->dst, "Destination image, oci:PATH[:TAG]")->required();
  dec->add_option("--decryption-key,--key", args->decryption_keys,
                  "Private key FILE[:pass=PW|:file=PATH|:fd=N] or provider:NAME[:PARAMS]; "
                  "repeatable")
      ->required();
  dec->add_flag("--verify-before-release", args->verify_before_release,
                "Check each layer's HMAC before writing any of its plaintext");
  add_selection(dec);
  dec->callback([args, exit_code] { *exit_code = RunImageDecrypt(*args); });

  auto* insp =
      image->add_subcommand("inspect", "Show an image's layers and how they are encrypted");
  insp->add_option("src", args->src, "Image, oci:PATH[:TAG]")->required();
  insp->add_flag("--json", args->json, "Print JSON");
  insp->callback([args, exit_code] { *exit_code = RunImageInspect(*args); });
}

}  // namespace cocoon::cli
