#include "cdh/stream_decoder.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/jose/jwk.h"
#include "crypto/keys.h"
#include "ocicrypt/image_crypt.h"
#include "ocicrypt/io.h"
#include "ocicrypt/key_wrapper.h"
#include "ocicrypt/keyprovider_client.h"
#include "ocicrypt/keyprovider_config.h"
#include "ocicrypt/keyprovider_json_util.h"
#include "ocicrypt/layer_cipher.h"
#include "ocicrypt/media_types.h"

namespace cocoon::cdh {
namespace {

using ocicrypt::DecryptConfig;

constexpr size_t kMaxKeyFiles = 256;
constexpr uint64_t kMaxKeyFileSize = 1u << 20;
constexpr int kMaxKeyDirDepth = 16;

absl::Status PayloadError(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("decryption payload: ", what));
}

// Reads a base-128 varint at `*pos`; at most 10 bytes.
absl::StatusOr<uint64_t> ReadVarint(absl::string_view b, size_t* pos) {
  const size_t start = *pos;
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*pos >= b.size()) {
      return PayloadError(absl::StrCat("truncated varint at byte ", start));
    }
    const auto byte = static_cast<uint8_t>(b[(*pos)++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  return PayloadError(absl::StrCat("varint longer than 10 bytes at byte ", start));
}

// The Any's two fields, protobuf rules: fields in any order, the last occurrence wins, unknown
// fields skipped.
absl::Status DecodeAny(absl::string_view b, std::string* type_url, std::string* value) {
  size_t pos = 0;
  bool seen_value = false;
  while (pos < b.size()) {
    const size_t at = pos;
    COCOON_ASSIGN_OR_RETURN(uint64_t key, ReadVarint(b, &pos));
    const uint64_t field = key >> 3;
    const int wire = static_cast<int>(key & 7);
    if (field == 0) return PayloadError(absl::StrCat("field number 0 at byte ", at));
    switch (wire) {
      case 0:
        COCOON_RETURN_IF_ERROR(ReadVarint(b, &pos).status());
        break;
      case 1:
      case 5: {
        const size_t n = wire == 1 ? 8 : 4;
        if (b.size() - pos < n) {
          return PayloadError(absl::StrCat("truncated fixed-size field ", field, " at byte ", at));
        }
        pos += n;
        break;
      }
      case 2: {
        COCOON_ASSIGN_OR_RETURN(uint64_t len, ReadVarint(b, &pos));
        if (len > b.size() - pos) {
          return PayloadError(absl::StrCat("field ", field, " at byte ", at, " claims ", len,
                                           " bytes but only ", b.size() - pos, " follow"));
        }
        absl::string_view data = b.substr(pos, len);
        pos += len;
        if (field == 1) *type_url = std::string(data);
        if (field == 2) {
          *value = std::string(data);
          seen_value = true;
        }
        break;
      }
      default:
        return PayloadError(
            absl::StrCat("unsupported wire type ", wire, " (field ", field, ") at byte ", at));
    }
    if ((field == 1 || field == 2) && wire != 2) {
      return PayloadError(absl::StrCat("field ", field, " at byte ", at,
                                       " must be length-delimited, not wire type ", wire));
    }
  }
  if (type_url->empty()) return PayloadError("not a protobuf Any: no type_url (field 1)");
  if (!seen_value) return PayloadError("not a protobuf Any: no value (field 2)");
  return absl::OkStatus();
}

absl::StatusOr<DecryptConfig> DecryptConfigFromJson(Json& dc_json) {
  DecryptConfig dc;
  if (dc_json.is_null()) return dc;
  if (!dc_json.is_object()) return PayloadError("DecryptConfig: must be an object");
  COCOON_ASSIGN_OR_RETURN(Json * params,
                          ocicrypt::FindMember(dc_json, "Parameters", "DecryptConfig"));
  if (params == nullptr || params->is_null()) return dc;
  if (!params->is_object()) return PayloadError("DecryptConfig.Parameters: must be an object");
  for (auto& [name, list] : params->items()) {
    const std::string where = absl::StrCat("DecryptConfig.Parameters.", name);
    auto& out = dc.parameters[name];
    if (list.is_null()) continue;
    if (!list.is_array()) return PayloadError(absl::StrCat(where, ": must be an array"));
    for (size_t i = 0; i < list.size(); ++i) {
      Json& v = list[i];
      if (v.is_null()) {
        out.push_back(std::nullopt);
        continue;
      }
      if (!v.is_string()) {
        return PayloadError(absl::StrCat(where, "[", i, "]: must be a base64 string or null"));
      }
      // Go decodes []byte with StdEncoding, ignoring CR and LF.
      std::string text;
      for (char c : v.get_ref<const std::string&>()) {
        if (c != '\r' && c != '\n') text.push_back(c);
      }
      auto bytes = Base64Decode(text);
      SecureZero(text.data(), text.size());
      if (!bytes.ok()) {
        return PayloadError(absl::StrCat(where, "[", i, "]: not standard base64"));
      }
      out.push_back(std::move(*bytes));
    }
  }
  return dc;
}

// Wipes every string in a parsed JSON value (the payload may carry private keys).
void WipeJson(Json& j) {
  if (j.is_string()) {
    std::string& s = j.get_ref<std::string&>();
    SecureZero(s.data(), s.size());
  } else if (j.is_structured()) {
    for (auto& v : j) WipeJson(v);
  }
}

bool LooksLikeJson(absl::string_view data) {
  for (char c : data) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    return c == '{';
  }
  return false;
}

bool IsCertificate(absl::string_view data) {
  if (absl::StrContains(data, "-----BEGIN")) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), BIO_free);
    X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
    if (cert == nullptr) return false;
    X509_free(cert);
    return true;
  }
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(data.size()));
  if (cert == nullptr) return false;
  X509_free(cert);
  return true;
}

// An OpenPGP secret-key packet (tag 5) in old or new packet format.
bool IsGpgSecretKeyring(absl::string_view data) {
  if (data.empty()) return false;
  const auto b = static_cast<uint8_t>(data[0]);
  if ((b & 0x80) == 0) return false;
  const int tag = (b & 0x40) != 0 ? (b & 0x3f) : ((b >> 2) & 0x0f);
  return tag == 5;
}

struct DirCloser {
  void operator()(DIR* d) const { closedir(d); }
};

struct KeyDirWalk {
  DecryptConfig dc;
  size_t files = 0;
};

absl::Status WalkKeysDir(const std::string& dir, int depth, KeyDirWalk* walk) {
  if (depth > kMaxKeyDirDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": nested deeper than ", kMaxKeyDirDepth, " directories"));
  }
  std::unique_ptr<DIR, DirCloser> d(opendir(dir.c_str()));
  if (d == nullptr) return ErrnoStatus(errno, "cannot open directory", dir);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = readdir(d.get())) {
    const absl::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    names.emplace_back(n);
  }
  std::sort(names.begin(), names.end());  // Go's filepath.Walk visits in lexical order
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "cannot stat", path);
    if (S_ISLNK(st.st_mode)) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": Symbolic links not supported in decryption keys paths"));
    }
    if (S_ISDIR(st.st_mode)) {
      COCOON_RETURN_IF_ERROR(WalkKeysDir(path, depth + 1, walk));
      continue;
    }
    if (!S_ISREG(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
    }
    if (++walk->files > kMaxKeyFiles) {
      return absl::InvalidArgumentError(
          absl::StrCat("more than ", kMaxKeyFiles, " files in the decryption keys path"));
    }
    COCOON_ASSIGN_OR_RETURN(std::string data, ReadFile(path, kMaxKeyFileSize));
    absl::StatusOr<KeyFileKind> kind = ClassifyKeyFile(data);
    if (!kind.ok()) {
      SecureZero(data.data(), data.size());
      return Annotate(kind.status(), path);
    }
    switch (*kind) {
      case KeyFileKind::kPrivateKey:
        walk->dc.parameters[std::string(ocicrypt::kParamPrivKeys)].push_back(std::move(data));
        walk->dc.parameters[std::string(ocicrypt::kParamPrivKeysPasswords)].push_back(std::nullopt);
        break;
      case KeyFileKind::kCertificate:
        walk->dc.parameters[std::string(ocicrypt::kParamX509s)].push_back(std::move(data));
        break;
      case KeyFileKind::kGpgKeyring:
        walk->dc.parameters["gpg-privatekeys"].push_back(std::move(data));
        walk->dc.parameters["gpg-privatekeys-passwords"].push_back(std::nullopt);
        break;
      case KeyFileKind::kEmpty:
        break;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ocicrypt::KeyWrapperSet> BuildWrappers() {
  ocicrypt::KeyWrapperSet set;
  set.Add(ocicrypt::NewJweKeyWrapper());
  COCOON_ASSIGN_OR_RETURN_CTX(ocicrypt::KeyProviderConfig config,
                              ocicrypt::LoadKeyProviderConfigFromEnv(),
                              ocicrypt::kKeyProviderConfigEnv);
  for (const auto& [name, entry] : config.providers) {
    set.Add(ocicrypt::NewKeyProviderKeyWrapper(entry));
  }
  return set;
}

// When a keyprovider cannot be reached, say which one and what to check.
std::string ProviderHint(const absl::Status& s) {
  const absl::string_view m = s.message();
  if (absl::StrContains(m, "UnWrapKey") &&
      (absl::StrContains(m, "failed to connect") || absl::StrContains(m, "Connection refused") ||
       absl::StrContains(m, "connections to all backends failing") ||
       absl::StrContains(m, "UNAVAILABLE") || absl::StrContains(m, "Deadline Exceeded"))) {
    return " (is the keyprovider daemon - confidential-data-hub - running and listening on the "
           "address in OCICRYPT_KEYPROVIDER_CONFIG?)";
  }
  return "";
}

}  // namespace

absl::StatusOr<ProcessorPayload> ParseProcessorPayload(absl::string_view bytes) {
  if (bytes.empty()) return PayloadError("empty");
  if (bytes.size() > kMaxPayloadSize) {
    return PayloadError(absl::StrCat("larger than ", kMaxPayloadSize, " bytes"));
  }
  std::string type_url, value;
  COCOON_RETURN_IF_ERROR(DecodeAny(bytes, &type_url, &value));
  absl::string_view name = type_url;
  if (size_t slash = name.rfind('/'); slash != absl::string_view::npos) {
    name = name.substr(slash + 1);
  }
  if (name != kPayloadTypeUrl) {
    std::string shown = type_url.substr(0, 128);
    for (char& c : shown) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    }
    return PayloadError(absl::StrCat("type URL \"", shown, "\" is not ", kPayloadTypeUrl));
  }
  absl::StatusOr<Json> parsed = ParseJson(value, "decryption payload value", 32);
  SecureZero(value.data(), value.size());
  if (!parsed.ok()) return ocicrypt::SanitizeJsonError(parsed.status());
  Json root = std::move(*parsed);
  if (!root.is_object()) return PayloadError("value: must be a JSON object");
  ProcessorPayload out;
  absl::Status st = [&]() -> absl::Status {
    COCOON_ASSIGN_OR_RETURN(Json * dc, ocicrypt::FindMember(root, "DecryptConfig", "payload"));
    if (dc != nullptr) {
      COCOON_ASSIGN_OR_RETURN(out.dc, DecryptConfigFromJson(*dc));
    }
    COCOON_ASSIGN_OR_RETURN(Json * desc, ocicrypt::FindMember(root, "Descriptor", "payload"));
    if (desc == nullptr || desc->is_null()) return PayloadError("no Descriptor");
    if (!desc->is_object()) return PayloadError("Descriptor: must be an object");
    COCOON_ASSIGN_OR_RETURN(
        out.descriptor, ocicrypt::ParseDescriptor(desc->dump(), "decryption payload Descriptor"));
    return absl::OkStatus();
  }();
  WipeJson(root);
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<std::string> ReadPayloadFd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) {
    if (errno == EBADF) {
      return absl::FailedPreconditionError(absl::StrCat(
          "fd ", fd,
          " is not open: containerd started ctd-decoder without a decryption payload. Only CRI "
          "pulls (kubelet, crictl) send one, and only with [plugins.\"io.containerd.grpc.v1.cri\"."
          "image_decryption] key_model = \"node\" and for the processor ids "
          "io.containerd.ocicrypt.decoder.v1.tar and io.containerd.ocicrypt.decoder.v1.tar.gzip; "
          "`ctr pull` never sends one"));
    }
    return ErrnoStatus(errno, "cannot stat payload fd", absl::StrCat(fd));
  }
  if (!S_ISFIFO(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("fd ", fd,
                     " is not a pipe, socket or file (a descriptor inherited from the parent, "
                     "not a containerd payload)"));
  }
  const int flags = fcntl(fd, F_GETFL);
  if (flags >= 0 && (flags & O_ACCMODE) == O_WRONLY) {
    return absl::FailedPreconditionError(absl::StrCat(
        "fd ", fd, " is open write-only (a descriptor leaked by the parent, not a payload)"));
  }
  ocicrypt::FdSource src(fd, ocicrypt::FdOwnership::kBorrowed, absl::StrCat("payload fd ", fd));
  absl::StatusOr<std::string> data = ocicrypt::ReadAll(src, kMaxPayloadSize);
  if (!data.ok()) return data.status();
  if (data->empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("fd ", fd, " is empty: containerd sent no decryption payload"));
  }
  return data;
}

absl::StatusOr<KeyFileKind> ClassifyKeyFile(absl::string_view data) {
  if (data.empty()) return KeyFileKind::kEmpty;
  if (LooksLikeJson(data)) {
    absl::StatusOr<jose::Jwk> jwk = jose::ParseJwk(data);
    if (!jwk.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "Unknown decryption key type (JSON that is not a usable JWK: ", jwk.status().message(),
          ")"));
    }
    if (!jwk->private_key.has_value()) {
      return absl::InvalidArgumentError(
          "Unknown decryption key type (a public JWK; the keys path needs private keys)");
    }
    return KeyFileKind::kPrivateKey;
  }
  if (absl::StrContains(data, "-----BEGIN")) {
    if (absl::StrContains(data, "ENCRYPTED PRIVATE KEY") ||
        absl::StrContains(data, "Proc-Type: 4,ENCRYPTED")) {
      return absl::InvalidArgumentError(
          "encrypted private key: ctd-decoder cannot be given a password; store the key "
          "unencrypted (mode 0600) or use a keyprovider");
    }
    if (absl::StrContains(data, "PRIVATE KEY-----")) {
      absl::StatusOr<crypto::PrivateKey> key = crypto::PrivateKey::Parse(data);
      if (!key.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("unusable private key: ", key.status().message()));
      }
      return KeyFileKind::kPrivateKey;
    }
    if (absl::StrContains(data, "-----BEGIN CERTIFICATE-----") && IsCertificate(data)) {
      return KeyFileKind::kCertificate;
    }
    return absl::InvalidArgumentError(
        "Unknown decryption key type (a PEM block that is neither a private key nor a "
        "certificate)");
  }
  if (crypto::PrivateKey::Parse(data).ok()) return KeyFileKind::kPrivateKey;
  if (IsCertificate(data)) return KeyFileKind::kCertificate;
  if (IsGpgSecretKeyring(data)) return KeyFileKind::kGpgKeyring;
  return absl::InvalidArgumentError("Unknown decryption key type");
}

absl::StatusOr<DecryptConfig> LoadKeysDir(const std::string& dir) {
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat(dir,
                       " does not exist (create it, empty if no local keys are used, or drop "
                       "--decryption-keys-path from the stream processor args)"));
    }
    return ErrnoStatus(errno, "cannot stat", dir);
  }
  if (S_ISLNK(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": Symbolic links not supported in decryption keys paths"));
  }
  if (!S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": not a directory"));
  }
  KeyDirWalk walk;
  COCOON_RETURN_IF_ERROR(WalkKeysDir(dir, 0, &walk));
  return std::move(walk.dc);
}

void CombineDecryptConfigs(DecryptConfig* a, const DecryptConfig& b) {
  for (const auto& [name, list] : b.parameters) {
    auto& out = a->parameters[name];
    out.insert(out.end(), list.begin(), list.end());
  }
}

absl::Status RunStreamDecoder(const StreamDecoderOptions& options, int payload_fd, int in_fd,
                              int out_fd) {
  // The payload first: containerd's writer closes its end when done, and reading stdin first
  // could deadlock a peer that writes the payload synchronously.
  COCOON_ASSIGN_OR_RETURN_CTX(std::string raw, ReadPayloadFd(payload_fd), "read payload");
  absl::StatusOr<ProcessorPayload> payload = ParseProcessorPayload(raw);
  SecureZero(raw.data(), raw.size());
  if (!payload.ok()) return Annotate(payload.status(), "read payload");
  if (payload_fd > 2) close(payload_fd);

  const ocicrypt::Descriptor& desc = payload->descriptor;
  if (!ocicrypt::IsEncryptedMediaType(desc.media_type)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "layer ", desc.digest, " has media type \"", desc.media_type,
        "\", which is not encrypted: check the `accepts` list of the stream processor"));
  }
  if (!options.stream_media_type.empty() && options.stream_media_type != desc.media_type) {
    return absl::InvalidArgumentError(absl::StrCat(
        "STREAM_PROCESSOR_MEDIATYPE \"", options.stream_media_type,
        "\" differs from the payload descriptor's media type \"", desc.media_type, "\""));
  }

  DecryptConfig dc;
  if (!options.keys_path.empty()) {
    COCOON_ASSIGN_OR_RETURN_CTX(dc, LoadKeysDir(options.keys_path),
                                "unable to get decryption keys in provided key path");
  }
  CombineDecryptConfigs(&dc, payload->dc);

  COCOON_ASSIGN_OR_RETURN_CTX(ocicrypt::KeyWrapperSet wrappers, BuildWrappers(),
                              "call to DecryptLayer failed");
  ocicrypt::FdSource in(in_fd, ocicrypt::FdOwnership::kBorrowed, "stdin");
  ocicrypt::FdSink out(out_fd, ocicrypt::FdOwnership::kBorrowed, "stdout");
  ocicrypt::LayerDecryptOptions opts;
  if (options.verify_before_release) {
    opts.mode = ocicrypt::ReleaseMode::kVerifyBeforeRelease;
  } else {
    opts.mode = ocicrypt::ReleaseMode::kStreaming;
    opts.parallel_mac = true;
  }
  absl::Status s = ocicrypt::DecryptLayer(wrappers, dc, desc, in, out, opts);
  if (!s.ok()) {
    return absl::Status(s.code(), absl::StrCat("call to DecryptLayer failed for layer ",
                                               desc.digest, ": ", s.message(), ProviderHint(s)));
  }
  return out.Close();
}

}  // namespace cocoon::cdh
