#include "cdh/offline_fs_kbc.h"

#include <sys/stat.h>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <mutex>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::cdh {

OfflineFsKbcOptions OfflineFsKbcOptionsFromConfig(const KbcConfig& config) {
  OfflineFsKbcOptions opts;
  opts.files = {config.offline_fs_keys_file, config.offline_fs_resources_file};
  if (const char* extra = std::getenv(std::string(kOfflineFsExtraFilesEnv).c_str());
      extra != nullptr) {
    for (absl::string_view p : absl::StrSplit(extra, ',', absl::SkipWhitespace())) {
      opts.files.emplace_back(absl::StripAsciiWhitespace(p));
    }
  }
  return opts;
}

absl::Status OfflineFsKbc::AddFile(absl::string_view json, absl::string_view what,
                                   std::vector<std::string>* warnings) {
  COCOON_ASSIGN_OR_RETURN(Json root, ParseJson(json, what, 8));
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": must be a JSON object {\"<repo>/<type>/<tag>\": \"<base64 value>\"}"));
  }
  for (auto& [key, value] : root.items()) {
    if (!value.is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": value of \"", key, "\" must be a base64 string"));
    }
    auto decoded = Base64Decode(value.get_ref<const std::string&>());
    // The decoded value must not outlive this scope outside SecretBytes.
    SecureZero(value.get_ref<std::string&>().data(), value.get_ref<std::string&>().size());
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(what, ": value of \"", key,
                                                     "\" is not standard base64 (",
                                                     decoded.status().message(), ")"));
    }
    SecretBytes secret(*decoded);
    SecureZero(decoded->data(), decoded->size());
    auto [it, inserted] = resources_.try_emplace(key, std::move(secret));
    if (!inserted) {
      it->second = std::move(secret);  // try_emplace did not move from it
      warnings->push_back(absl::StrCat(what, ": \"", key, "\" overrides an earlier value"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OfflineFsKbc>> OfflineFsKbc::Load(
    const OfflineFsKbcOptions& options, std::vector<std::string>* warnings) {
  auto kbc = std::make_unique<OfflineFsKbc>();
  for (const std::string& path : options.files) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
      warnings->push_back(absl::StrCat("offline_fs_kbc: ", path, " does not exist; skipped"));
      continue;
    }
    COCOON_ASSIGN_OR_RETURN_CTX(std::string text, ReadFile(path, kMaxOfflineFsFileSize),
                                "offline_fs_kbc");
    absl::Status s = kbc->AddFile(text, absl::StrCat("offline_fs_kbc ", path), warnings);
    SecureZero(text.data(), text.size());
    COCOON_RETURN_IF_ERROR(s);
  }
  return kbc;
}

absl::StatusOr<SecretBytes> OfflineFsKbc::GetResource(const ResourceUri& uri) {
  const std::string path = uri.ResourcePath();
  auto it = resources_.find(path);
  if (it == resources_.end()) {
    return absl::NotFoundError(absl::StrCat("offline-fs-kbc: resource not found ", path));
  }
  return it->second.Clone();
}

namespace {
std::mutex& FactoryMu() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, KbcFactory, std::less<>>& Factories() {
  static auto* m = new std::map<std::string, KbcFactory, std::less<>>();
  return *m;
}
}  // namespace

void RegisterKbcFactory(absl::string_view name, KbcFactory factory) {
  std::lock_guard<std::mutex> lock(FactoryMu());
  Factories()[std::string(name)] = std::move(factory);
}

absl::StatusOr<std::unique_ptr<Kbc>> NewKbc(const KbcConfig& config,
                                            std::vector<std::string>* warnings) {
  KbcFactory factory;
  {
    std::lock_guard<std::mutex> lock(FactoryMu());
    auto it = Factories().find(config.name);
    if (it != Factories().end()) factory = it->second;
  }
  if (factory) return factory(config, warnings);
  if (config.name == "offline_fs_kbc") {
    COCOON_ASSIGN_OR_RETURN(std::unique_ptr<OfflineFsKbc> kbc,
                            OfflineFsKbc::Load(OfflineFsKbcOptionsFromConfig(config), warnings));
    return std::unique_ptr<Kbc>(std::move(kbc));
  }
  if (config.name == "cc_kbc") {
    return absl::UnimplementedError(
        "kbc.name \"cc_kbc\": the attested KBC is not linked into this binary "
        "(confidential-data-hub has it); use offline_fs_kbc");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("kbc.name \"", config.name, "\" is not supported (offline_fs_kbc, cc_kbc)"));
}

}  // namespace cocoon::cdh
