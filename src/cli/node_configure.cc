#include "cli/node_configure.h"

#include <sys/stat.h>

#include <cerrno>
#include <ctime>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/keys.h"
#include "toml++/toml.h"

namespace cocoon::cli {
namespace {

constexpr absl::string_view kKeyproviderEnv =
    "OCICRYPT_KEYPROVIDER_CONFIG=/etc/containerd/ocicrypt/ocicrypt_keyprovider.conf";
constexpr absl::string_view kGzipEncrypted =
    "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
constexpr absl::string_view kZstdEncrypted =
    "application/vnd.oci.image.layer.v1.tar+zstd+encrypted";
constexpr absl::string_view kTarEncrypted = "application/vnd.oci.image.layer.v1.tar+encrypted";
constexpr absl::string_view kGzipType = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr absl::string_view kTarType = "application/vnd.oci.image.layer.v1.tar";

std::string_view Std(absl::string_view s) { return std::string_view(s.data(), s.size()); }

std::string UnderPrefix(absl::string_view prefix, absl::string_view path) {
  std::string p(prefix);
  while (!p.empty() && p.back() == '/') p.pop_back();
  return absl::StrCat(p, path);
}

std::string NowTimestamp() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

bool Exists(const std::string& path, struct stat* st = nullptr) {
  struct stat local;
  return ::stat(path.c_str(), st ? st : &local) == 0;
}

absl::Status MakeDirs(const std::string& dir, mode_t mode) {
  if (dir.empty() || Exists(dir)) return absl::OkStatus();
  const size_t slash = dir.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    COCOON_RETURN_IF_ERROR(MakeDirs(dir.substr(0, slash), 0755));
  }
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    return ErrnoStatus(errno, "cannot create directory", dir);
  }
  return absl::OkStatus();
}

std::string Dirname(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

// ---- rendered files -------------------------------------------------------------------------

std::string KeyproviderConfig() {
  OrderedJson j;
  j["key-providers"]["attestation-agent"]["grpc"] = std::string(kCdhKeyproviderSocket);
  return j.dump(2) + "\n";
}

std::string CdhConfig(const NodeConfigureOptions& o, const std::string& kbs_cert) {
  // The walkthrough's shape: a TCP `socket` (the keyprovider port containerd's decoder dials),
  // cc_kbc with the KBS URL, and the AA ttrpc socket named explicitly.
  OrderedJson j;
  j["socket"] = std::string(kCdhKeyproviderSocket);
  j["kbc"]["name"] = "cc_kbc";
  j["kbc"]["url"] = o.kbs_url;
  if (!kbs_cert.empty()) j["kbc"]["kbs_cert"] = kbs_cert;
  j["aa"]["aa_socket"] = absl::StrCat("unix://", kAaSocketPath);
  return j.dump(4) + "\n";
}

std::string TomlString(absl::string_view s) {
  std::ostringstream os;
  os << toml::value<std::string>(std::string(s));
  return os.str();
}

std::string AaConfig(const NodeConfigureOptions& o, const std::string& kbs_cert) {
  return absl::StrCat(
      "# attestation-agent configuration written by `cocoon node configure --tee ", o.tee,
      "`.\n"
      "# The TEE is detected at start; the KBS below is used for GetToken(\"kbs\").\n"
      "[token_configs.kbs]\n"
      "url = ",
      TomlString(o.kbs_url), "\n",
      kbs_cert.empty() ? "" : absl::StrCat("cert = ", TomlString(kbs_cert), "\n"),
      "\n"
      "[eventlog_config]\n"
      "init_pcr = 17\n"
      "enable_eventlog = false\n\n"
      "[log]\n"
      "level = \"info\"\n");
}

// Device access the attester needs, per TEE.
std::string AaDeviceLines(absl::string_view tee) {
  if (tee == "az-tdx-vtpm") {
    // The vTPM holds the HCL report (NV index) and signs quotes; the TD quote comes from the
    // Azure IMDS endpoint over the network.
    return "DevicePolicy=closed\n"
           "DeviceAllow=/dev/tpmrm0 rw\n"
           "SupplementaryGroups=tss\n";
  }
  if (tee == "tdx") {
    // TD reports through configfs-tsm (kernel 6.7+) or the older /dev/tdx_guest ioctl.
    return "DevicePolicy=closed\n"
           "DeviceAllow=/dev/tdx_guest rw\n"
           "ReadWritePaths=-/sys/kernel/config/tsm/report\n";
  }
  return "PrivateDevices=yes\n";
}

constexpr absl::string_view kCommonHardening =
    "NoNewPrivileges=yes\n"
    "ProtectSystem=strict\n"
    "ProtectHome=yes\n"
    "PrivateTmp=yes\n"
    "ProtectKernelModules=yes\n"
    "ProtectKernelLogs=yes\n"
    "ProtectControlGroups=yes\n"
    "ProtectClock=yes\n"
    "ProtectHostname=yes\n"
    "RestrictNamespaces=yes\n"
    "RestrictRealtime=yes\n"
    "RestrictSUIDSGID=yes\n"
    "LockPersonality=yes\n"
    "MemoryDenyWriteExecute=yes\n"
    "SystemCallArchitectures=native\n"
    "SystemCallFilter=@system-service\n"
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n"
    "CapabilityBoundingSet=\n"
    "UMask=0077\n";

std::string AaUnit(const NodeConfigureOptions& o) {
  return absl::StrCat(
      "# Written by `cocoon node configure --tee ", o.tee,
      "`.\n"
      "[Unit]\n"
      "Description=cocoon attestation-agent (node evidence and KBS tokens, ttrpc)\n"
      "After=network-online.target\n"
      "Wants=network-online.target\n\n"
      "[Service]\n"
      "Type=simple\n"
      "ExecStart=/usr/local/bin/attestation-agent -c ",
      kAaConfigPath,
      "\n"
      "Restart=on-failure\n"
      "RestartSec=5\n"
      // The socket directory /run/confidential-containers/attestation-agent; kept across restarts
      // of this unit so the CDH's path stays valid.
      "RuntimeDirectory=confidential-containers confidential-containers/attestation-agent\n"
      "RuntimeDirectoryPreserve=yes\n",
      AaDeviceLines(o.tee), o.tee == "tdx" ? "" : "ProtectKernelTunables=yes\n", kCommonHardening,
      "\n[Install]\nWantedBy=multi-user.target\n");
}

std::string CdhUnit(const NodeConfigureOptions& o) {
  return absl::StrCat("# Written by `cocoon node configure --tee ", o.tee,
                      "`.\n"
                      "[Unit]\n"
                      "Description=cocoon confidential-data-hub (keyprovider UnWrapKey on ",
                      kCdhKeyproviderSocket,
                      ")\n"
                      "After=network-online.target attestation-agent.service\n"
                      "Wants=network-online.target\n"
                      "Requires=attestation-agent.service\n"
                      "Before=containerd.service\n\n"
                      "[Service]\n"
                      "Type=simple\n"
                      "ExecStart=/usr/local/bin/confidential-data-hub -c ",
                      kCdhConfigPath,
                      "\n"
                      "Restart=on-failure\n"
                      "RestartSec=5\n"
                      "RuntimeDirectory=confidential-containers/cdh\n"
                      "RuntimeDirectoryPreserve=yes\n"
                      "ReadWritePaths=/run/confidential-containers\n"
                      "PrivateDevices=yes\n"
                      "ProtectKernelTunables=yes\n",
                      kCommonHardening, "\n[Install]\nWantedBy=multi-user.target\n");
}

// ---- containerd ------------------------------------------------------------------------------

toml::table Processor(bool gzip) {
  toml::array accepts;
  if (gzip) {
    accepts.push_back(std::string(kGzipEncrypted));
    accepts.push_back(std::string(kZstdEncrypted));
  } else {
    accepts.push_back(std::string(kTarEncrypted));
  }
  toml::table t;
  t.insert_or_assign("accepts", std::move(accepts));
  t.insert_or_assign("returns", std::string(gzip ? kGzipType : kTarType));
  t.insert_or_assign("path", std::string(kCtdDecoderPath));
  t.insert_or_assign("args", toml::array{"--decryption-keys-path", std::string(kOcicryptKeysDir)});
  t.insert_or_assign("env", toml::array{std::string(kKeyproviderEnv)});
  return t;
}

std::string ProcessorText(bool gzip) {
  const absl::string_view id = gzip ? kGzipProcessorId : kTarProcessorId;
  std::string accepts = gzip ? absl::StrCat("[\"", kGzipEncrypted, "\", \"", kZstdEncrypted, "\"]")
                             : absl::StrCat("[\"", kTarEncrypted, "\"]");
  return absl::StrCat("\n[stream_processors.\"", id, "\"]\n", "  accepts = ", accepts, "\n",
                      "  returns = \"", gzip ? kGzipType : kTarType, "\"\n", "  path = \"",
                      kCtdDecoderPath, "\"\n", "  args = [\"--decryption-keys-path\", \"",
                      kOcicryptKeysDir, "\"]\n", "  env = [\"", kKeyproviderEnv, "\"]\n");
}

std::string ImageDecryptionText() {
  return absl::StrCat("\n[plugins.\"", kCriPlugin, "\".image_decryption]\n",
                      "  key_model = \"node\"\n");
}

absl::StatusOr<toml::table> ParseToml(absl::string_view text, absl::string_view what) {
  try {
    return toml::parse(Std(text));
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": line ", e.source().begin.line,
                                                   ", column ", e.source().begin.column, ": ",
                                                   std::string(e.description())));
  }
}

// Returns the sub-table `key` of `parent`, creating it when absent; an error when `key` holds
// something other than a table.
absl::StatusOr<toml::table*> SubTable(toml::table& parent, absl::string_view key,
                                      absl::string_view where) {
  toml::node* n = parent.get(Std(key));
  if (n == nullptr) {
    return parent.insert(Std(key), toml::table{}).first->second.as_table();
  }
  if (!n->is_table()) {
    return absl::InvalidArgumentError(
        absl::StrCat("containerd config: ", where, " is not a table"));
  }
  return n->as_table();
}

}  // namespace

absl::Status ValidateNodeConfigureOptions(const NodeConfigureOptions& o) {
  if (o.tee != "az-tdx-vtpm" && o.tee != "tdx" && o.tee != "sample") {
    return absl::InvalidArgumentError(
        absl::StrCat("--tee: expected az-tdx-vtpm, tdx or sample, got \"", o.tee, "\""));
  }
  const bool http = absl::StartsWith(o.kbs_url, "http://");
  const bool https = absl::StartsWith(o.kbs_url, "https://");
  if (!http && !https) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kbs-url: expected http:// or https://, got \"", o.kbs_url, "\""));
  }
  const std::string rest = o.kbs_url.substr(https ? 8 : 7);
  if (rest.empty() || rest[0] == '/' || rest.find_first_of(" \t\r\n\"\\") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kbs-url: no host, or a space or quote in \"", o.kbs_url, "\""));
  }
  if (!o.kbs_cert_file.empty() && !https) {
    return absl::InvalidArgumentError("--kbs-cert: only with an https:// --kbs-url");
  }
  if (o.containerd_config.empty() || o.containerd_config[0] != '/') {
    return absl::InvalidArgumentError("--containerd-config: must be an absolute path");
  }
  if (o.prefix.empty()) return absl::InvalidArgumentError("--prefix: must not be empty");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<NodeFile>> RenderNodeFiles(const NodeConfigureOptions& options) {
  COCOON_RETURN_IF_ERROR(ValidateNodeConfigureOptions(options));
  std::string kbs_cert;
  if (!options.kbs_cert_file.empty()) {
    COCOON_ASSIGN_OR_RETURN_CTX(kbs_cert, ReadFile(options.kbs_cert_file, 1 << 20), "--kbs-cert");
    // A certificate, not a key or something else: the CDH and AA hand it to their TLS stack as a
    // trust anchor, and a wrong file would only show up at the first pull.
    if (kbs_cert.find("-----BEGIN CERTIFICATE-----") == std::string::npos ||
        !crypto::PublicKey::Parse(kbs_cert).ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--kbs-cert: ", options.kbs_cert_file,
                       " holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
    }
  }
  // None of these hold a secret: the KBS URL and socket addresses only. Image keys reach the
  // node through attestation, never through a file written here.
  return std::vector<NodeFile>{
      {std::string(kKeyproviderConfigPath), KeyproviderConfig(), 0644},
      {std::string(kCdhConfigPath), CdhConfig(options, kbs_cert), 0644},
      {std::string(kAaConfigPath), AaConfig(options, kbs_cert), 0644},
      {std::string(kAaUnitPath), AaUnit(options), 0644},
      {std::string(kCdhUnitPath), CdhUnit(options), 0644},
  };
}

absl::StatusOr<std::string> MergeContainerdConfig(absl::string_view existing) {
  COCOON_ASSIGN_OR_RETURN(toml::table current, ParseToml(existing, "containerd config"));
  const toml::node* version = current.get("version");
  if (current.empty()) {
    std::string out(existing);
    if (!out.empty() && out.back() != '\n') out += '\n';
    absl::StrAppend(&out, out.empty() ? "" : "\n",
                    "# containerd 1.6/1.7 settings for encrypted images, written by cocoon node "
                    "configure.\nversion = 2\n",
                    ImageDecryptionText(), ProcessorText(true), ProcessorText(false));
    return out;
  }
  if (version == nullptr || !version->is_integer()) {
    return absl::FailedPreconditionError(
        "containerd config: no integer `version`: a version 1 config (containerd 1.x without "
        "`version = 2`) names the CRI plugin differently; run `containerd config migrate` or add "
        "`version = 2` after checking the plugin names, then rerun");
  }
  const int64_t v = version->as_integer()->get();
  if (v != 2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "containerd config: version ", v,
        " is not handled; only version 2 (containerd 1.6/1.7) is. containerd 2.x (version 3) "
        "decrypts images only with the CRI local pull mode (use_local_image_pull)"));
  }

  toml::table merged = current;
  COCOON_ASSIGN_OR_RETURN(toml::table * plugins, SubTable(merged, "plugins", "plugins"));
  COCOON_ASSIGN_OR_RETURN(
      toml::table * cri,
      SubTable(*plugins, kCriPlugin, absl::StrCat("plugins.\"", kCriPlugin, "\"")));
  const bool had_decryption = cri->contains("image_decryption");
  COCOON_ASSIGN_OR_RETURN(toml::table * decryption,
                          SubTable(*cri, "image_decryption",
                                   absl::StrCat("plugins.\"", kCriPlugin, "\".image_decryption")));
  decryption->insert_or_assign("key_model", "node");
  COCOON_ASSIGN_OR_RETURN(toml::table * processors,
                          SubTable(merged, "stream_processors", "stream_processors"));
  const bool had_gzip = processors->contains(Std(kGzipProcessorId));
  const bool had_tar = processors->contains(Std(kTarProcessorId));
  processors->insert_or_assign(Std(kGzipProcessorId), Processor(true));
  processors->insert_or_assign(Std(kTarProcessorId), Processor(false));

  if (merged == current) return std::string(existing);

  // Try appending only the missing tables: the operator's comments and layout survive. The
  // result is accepted only if it parses to exactly the merged document (it cannot when a table
  // exists with other values, or when the file uses inline tables that forbid a later header).
  std::string appended(existing);
  if (!appended.empty() && appended.back() != '\n') appended += '\n';
  appended += "\n# Added by cocoon node configure (encrypted images).";
  if (!had_decryption) appended += ImageDecryptionText();
  if (!had_gzip) appended += ProcessorText(true);
  if (!had_tar) appended += ProcessorText(false);
  auto reparsed = ParseToml(appended, "merged containerd config");
  if (reparsed.ok() && *reparsed == merged) return appended;

  std::ostringstream os;
  os << "# Rewritten by cocoon node configure; the previous file (with its comments) is kept as a\n"
        "# .cocoon-backup-* copy beside this one.\n"
     << merged << "\n";
  return os.str();
}

namespace {

struct Plan {
  std::string path;  // with prefix
  std::string content;
  mode_t mode = 0644;
  bool exists = false;
  bool changed = false;
};

absl::StatusOr<std::vector<Plan>> MakePlan(const NodeConfigureOptions& o) {
  COCOON_ASSIGN_OR_RETURN(std::vector<NodeFile> files, RenderNodeFiles(o));
  std::vector<Plan> plans;
  {
    Plan p;
    p.path = UnderPrefix(o.prefix, o.containerd_config);
    struct stat st;
    std::string existing;
    if (Exists(p.path, &st)) {
      p.exists = true;
      p.mode = st.st_mode & 07777;
      COCOON_ASSIGN_OR_RETURN_CTX(existing, ReadFile(p.path, 16 << 20), "containerd config");
    }
    COCOON_ASSIGN_OR_RETURN_CTX(p.content, MergeContainerdConfig(existing), p.path);
    p.changed = !p.exists || p.content != existing;
    plans.push_back(std::move(p));
  }
  for (NodeFile& f : files) {
    Plan p;
    p.path = UnderPrefix(o.prefix, f.path);
    p.mode = f.mode;
    p.content = std::move(f.content);
    if (Exists(p.path)) {
      p.exists = true;
      COCOON_ASSIGN_OR_RETURN(std::string existing, ReadFile(p.path, 16 << 20));
      p.changed = existing != p.content;
    } else {
      p.changed = true;
    }
    plans.push_back(std::move(p));
  }
  return plans;
}

absl::StatusOr<std::string> Backup(const std::string& path, const std::string& timestamp) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "cannot stat", path);
  COCOON_ASSIGN_OR_RETURN(std::string old, ReadFile(path, 16 << 20));
  std::string name = absl::StrCat(path, ".cocoon-backup-", timestamp);
  for (int i = 1; Exists(name); ++i) {
    name = absl::StrCat(path, ".cocoon-backup-", timestamp, ".", i);
  }
  COCOON_RETURN_IF_ERROR(WriteFileAtomic(name, old, st.st_mode & 07777));
  return name;
}

}  // namespace

absl::StatusOr<NodeConfigureReport> WriteNodeConfiguration(const NodeConfigureOptions& options) {
  COCOON_ASSIGN_OR_RETURN(std::vector<Plan> plans, MakePlan(options));
  const std::string ts = options.timestamp.empty() ? NowTimestamp() : options.timestamp;
  NodeConfigureReport report;
  for (const Plan& p : plans) {
    if (!p.changed) {
      report.unchanged.push_back(p.path);
      continue;
    }
    COCOON_RETURN_IF_ERROR(MakeDirs(Dirname(p.path), 0755));
    if (p.exists) {
      COCOON_ASSIGN_OR_RETURN(std::string backup, Backup(p.path, ts));
      report.backups.push_back(std::move(backup));
    }
    COCOON_RETURN_IF_ERROR(WriteFileAtomic(p.path, p.content, p.mode));
    // WriteFileAtomic creates with `mode` minus the umask; make the result exact.
    if (::chmod(p.path.c_str(), p.mode) != 0) return ErrnoStatus(errno, "cannot chmod", p.path);
    report.written.push_back(p.path);
  }
  // The decoder's local key directory: may hold private keys, so owner-only.
  const std::string keys = UnderPrefix(options.prefix, kOcicryptKeysDir);
  if (!Exists(keys)) COCOON_RETURN_IF_ERROR(MakeDirs(keys, 0700));
  return report;
}

absl::Status PrintNodeConfiguration(const NodeConfigureOptions& options, std::ostream& out) {
  COCOON_ASSIGN_OR_RETURN(std::vector<Plan> plans, MakePlan(options));
  for (const Plan& p : plans) {
    const char* action = !p.exists   ? "would create"
                         : p.changed ? "would update (after a backup)"
                                     : "unchanged";
    out << absl::StrFormat("# ==> %s (mode %04o): %s\n", p.path, p.mode, action) << p.content;
    if (!p.content.empty() && p.content.back() != '\n') out << "\n";
    out << "\n";
  }
  out << "# Nothing was written; rerun with --write to apply, then:\n"
         "#   systemctl daemon-reload && systemctl enable --now attestation-agent "
         "confidential-data-hub && systemctl restart containerd\n";
  return absl::OkStatus();
}

int RunNodeConfigure(const NodeConfigureOptions& options, std::ostream& out, std::ostream& err) {
  if (!options.write) {
    absl::Status s = PrintNodeConfiguration(options, out);
    if (!s.ok()) {
      err << "cocoon: error: " << s.message() << "\n";
      return 1;
    }
    return 0;
  }
  auto report = WriteNodeConfiguration(options);
  if (!report.ok()) {
    err << "cocoon: error: " << report.status().message() << "\n";
    return 1;
  }
  for (const auto& b : report->backups) out << "backup    " << b << "\n";
  for (const auto& w : report->written) out << "written   " << w << "\n";
  for (const auto& u : report->unchanged) out << "unchanged " << u << "\n";
  if (!report->written.empty()) {
    out << "next: systemctl daemon-reload && systemctl enable --now attestation-agent "
           "confidential-data-hub && systemctl restart containerd; then run `cocoon doctor`\n";
  }
  return 0;
}

void RegisterNodeCommands(CLI::App& app, int* exit_code) {
  auto* node = app.add_subcommand("node", "Configure a CVM node for encrypted images");
  node->require_subcommand(1);
  auto opts = std::make_shared<NodeConfigureOptions>();
  auto* cfg = node->add_subcommand(
      "configure",
      "Print (default) or write the containerd, ocicrypt, CDH and AA configs and systemd units");
  cfg->add_option("--kbs-url", opts->kbs_url, "KBS base URL, e.g. http://10.0.0.4:8080")
      ->required();
  cfg->add_option("--kbs-cert", opts->kbs_cert_file,
                  "PEM CA certificate of an https KBS (when not in the system trust store)");
  cfg->add_option("--tee", opts->tee, "az-tdx-vtpm | tdx | sample")
      ->required()
      ->check(CLI::IsMember({"az-tdx-vtpm", "tdx", "sample"}));
  cfg->add_option("--prefix", opts->prefix, "Root every path under this directory")
      ->capture_default_str();
  cfg->add_flag("--write", opts->write, "Write the files (backups first) instead of printing");
  cfg->add_option("--containerd-config", opts->containerd_config, "containerd config to merge into")
      ->capture_default_str();
  cfg->callback([opts, exit_code] { *exit_code = RunNodeConfigure(*opts, std::cout, std::cerr); });
}

}  // namespace cocoon::cli
