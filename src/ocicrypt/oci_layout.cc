#include "ocicrypt/oci_layout.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/json.h"
#include "base/status.h"
#include "crypto/stream_cipher.h"
#include "ocicrypt/media_types.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

namespace cocoon::ocicrypt {
namespace {

constexpr uint64_t kMaxIndexSize = uint64_t{16} << 20;
constexpr uint64_t kMaxLayoutFileSize = 64 << 10;

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

crypto::HashAlg AlgFromName(absl::string_view name) {
  return name == "sha512" ? crypto::HashAlg::kSha512 : crypto::HashAlg::kSha256;
}

absl::StatusOr<std::string> ReadFdAll(int fd, uint64_t max_size, absl::string_view name) {
  FdSource src(fd, FdOwnership::kBorrowed, std::string(name));
  auto data = ReadAll(src, max_size);
  if (!data.ok()) return Annotate(data.status(), name);
  return data;
}

bool IsRefSeparator(char c) {
  return c == '-' || c == '.' || c == '_' || c == ':' || c == '@' || c == '+';
}

// Reads a blob file descriptor and checks size and digest when it reaches end of file.
class VerifyingBlobSource : public ByteSource {
 public:
  VerifyingBlobSource(int fd, std::string digest, crypto::HashAlg alg, std::string hex,
                      uint64_t size, std::unique_ptr<crypto::Hasher> hasher)
      : file_(fd, FdOwnership::kOwned, absl::StrCat("blob ", digest)),
        digest_(std::move(digest)),
        alg_(alg),
        hex_(std::move(hex)),
        size_(size),
        hasher_(std::move(hasher)) {}

  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override {
    if (!status_.ok()) return status_;
    if (done_) return 0;
    auto r = file_.Read(buf, n);
    if (!r.ok()) return status_ = r.status();
    if (*r == 0) {
      done_ = true;
      if (read_ != size_) {
        return status_ = absl::DataLossError(absl::StrCat("blob ", digest_,
                                                          ": size mismatch: descriptor says ",
                                                          size_, " bytes, file has ", read_));
      }
      auto raw = hasher_->Finalize();
      if (!raw.ok()) return status_ = raw.status();
      if (HexEncode(*raw) != hex_) {
        return status_ = absl::DataLossError(absl::StrCat("blob ", digest_,
                                                          ": digest mismatch: content hashes to ",
                                                          HashAlgName(alg_), ":", HexEncode(*raw)));
      }
      return 0;
    }
    read_ += *r;
    if (read_ > size_) {
      return status_ = absl::DataLossError(absl::StrCat(
                 "blob ", digest_, ": size mismatch: file is longer than the descriptor's ", size_,
                 " bytes"));
    }
    if (auto st = hasher_->Update(buf, *r); !st.ok()) return status_ = st;
    return *r;
  }

 private:
  FdSource file_;
  std::string digest_;
  crypto::HashAlg alg_;
  std::string hex_;
  uint64_t size_;
  std::unique_ptr<crypto::Hasher> hasher_;
  uint64_t read_ = 0;
  bool done_ = false;
  absl::Status status_;
};

absl::StatusOr<std::unique_ptr<ByteSource>> MakeVerifyingSource(int fd, const Descriptor& d) {
  UniqueFd owned(fd);
  COCOON_ASSIGN_OR_RETURN(auto parts, SplitVerifiableDigest(d.digest));
  const crypto::HashAlg alg = AlgFromName(parts.first);
  COCOON_ASSIGN_OR_RETURN(auto hasher, crypto::Hasher::New(alg));
  return std::unique_ptr<ByteSource>(
      new VerifyingBlobSource(owned.release(), d.digest, alg, std::move(parts.second),
                              static_cast<uint64_t>(d.size), std::move(hasher)));
}

absl::Status CheckDescriptorSize(const Descriptor& d) {
  if (d.size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("blob ", d.digest, ": negative size in descriptor"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRefName(absl::string_view ref) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid tag \"", absl::CHexEscape(ref.substr(0, 200)), "\": ", why));
  };
  if (ref.empty()) return bad("empty");
  if (ref.size() > 1024) return bad("longer than 1024 characters");
  for (absl::string_view comp : absl::StrSplit(ref, '/')) {
    if (comp.empty()) return bad("empty path component");
    if (!absl::ascii_isalnum(comp.front()) || !absl::ascii_isalnum(comp.back())) {
      return bad("components must start and end with a letter or digit");
    }
    for (size_t i = 0; i < comp.size(); ++i) {
      const char c = comp[i];
      if (absl::ascii_isalnum(c)) continue;
      if (!IsRefSeparator(c)) return bad("invalid character");
      // One separator between alphanumerics, except the double dash.
      const bool double_dash = c == '-' && comp[i + 1] == '-' && absl::ascii_isalnum(comp[i + 2]);
      if (double_dash) {
        ++i;
        continue;
      }
      if (!absl::ascii_isalnum(comp[i + 1])) return bad("consecutive separators");
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// OciLayout

OciLayout::OciLayout(OciLayout&& other) noexcept
    : dir_(std::move(other.dir_)),
      dirfd_(std::exchange(other.dirfd_, -1)),
      index_(std::move(other.index_)) {}

OciLayout& OciLayout::operator=(OciLayout&& other) noexcept {
  if (this != &other) {
    if (dirfd_ >= 0) ::close(dirfd_);
    dir_ = std::move(other.dir_);
    dirfd_ = std::exchange(other.dirfd_, -1);
    index_ = std::move(other.index_);
  }
  return *this;
}

OciLayout::~OciLayout() {
  if (dirfd_ >= 0) ::close(dirfd_);
}

absl::StatusOr<int> OciLayout::OpenBelow(const std::string& relative,
                                         absl::string_view what) const {
  struct open_how how = {};
  how.flags = O_RDONLY | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = ::syscall(SYS_openat2, dirfd_, relative.c_str(), &how, sizeof(how));
  if (fd < 0 && (errno == ENOSYS || errno == EPERM)) {
    // No openat2: walk the components without following any symlink.
    int cur = ::dup(dirfd_);
    if (cur < 0) return ErrnoStatus(errno, "cannot dup directory of layout", dir_);
    std::vector<std::string> comps = absl::StrSplit(relative, '/');
    for (size_t i = 0; i < comps.size(); ++i) {
      const bool last = i + 1 == comps.size();
      int next = -1;
      int err = EXDEV;
      if (!comps[i].empty() && comps[i] != "..") {
        const int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (last ? 0 : O_DIRECTORY);
        next = ::openat(cur, comps[i].c_str(), flags);
        err = errno;
      }
      ::close(cur);
      cur = next;
      if (cur < 0) {
        errno = err;
        break;
      }
    }
    fd = cur;
  }
  if (fd >= 0) return static_cast<int>(fd);
  const int err = errno;
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(absl::StrCat(what, " is missing from layout ", dir_));
    case EXDEV:
      return absl::PermissionDeniedError(
          absl::StrCat(what, " in layout ", dir_, " resolves outside the layout"));
    case ELOOP:
      return absl::PermissionDeniedError(
          absl::StrCat(what, " in layout ", dir_, " is a symlink, which is not allowed here"));
    default:
      return ErrnoStatus(err, absl::StrCat("cannot open ", what, " in layout"), dir_);
  }
}

absl::StatusOr<OciLayout> OciLayout::Open(const std::string& dir) {
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) {
    if (errno == ENOENT) {
      return absl::NotFoundError(absl::StrCat("OCI layout directory ", dir, " does not exist"));
    }
    return ErrnoStatus(errno, "cannot open OCI layout directory", dir);
  }
  OciLayout layout(dir, dfd);
  {
    COCOON_ASSIGN_OR_RETURN(int fd, layout.OpenBelow(std::string(kOciLayoutFile), kOciLayoutFile));
    UniqueFd f(fd);
    const std::string name = absl::StrCat(dir, "/", kOciLayoutFile);
    COCOON_ASSIGN_OR_RETURN(std::string text, ReadFdAll(fd, kMaxLayoutFileSize, name));
    COCOON_ASSIGN_OR_RETURN(Json j, ParseJson(text, name));
    auto v = j.is_object() ? j.find("imageLayoutVersion") : j.end();
    if (!j.is_object() || v == j.end() || !v->is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": missing string member imageLayoutVersion"));
    }
    if (v->get<std::string>() != kOciLayoutVersion) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": unsupported OCI layout version \"",
                                                     absl::CHexEscape(v->get<std::string>()),
                                                     "\" (need ", kOciLayoutVersion, ")"));
    }
  }
  {
    COCOON_ASSIGN_OR_RETURN(int fd, layout.OpenBelow(std::string(kIndexFile), kIndexFile));
    UniqueFd f(fd);
    const std::string name = absl::StrCat(dir, "/", kIndexFile);
    COCOON_ASSIGN_OR_RETURN(std::string text, ReadFdAll(fd, kMaxIndexSize, name));
    COCOON_ASSIGN_OR_RETURN(layout.index_, ParseIndex(text, name));
  }
  return layout;
}

absl::StatusOr<Descriptor> OciLayout::Resolve(absl::string_view tag) const {
  const std::string ref_key(kRefNameAnnotation);
  auto tags = [&] {
    std::vector<std::string> out;
    for (const auto& m : index_.manifests) {
      auto it = m.annotations.find(ref_key);
      out.push_back(it == m.annotations.end() ? std::string("(untagged ") + m.digest + ")"
                                              : it->second);
    }
    return absl::StrJoin(out, ", ");
  };
  if (tag.empty()) {
    if (index_.manifests.size() == 1) return index_.manifests[0];
    if (index_.manifests.empty()) {
      return absl::NotFoundError(absl::StrCat("layout ", dir_, " has no images"));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "layout ", dir_, " has ", index_.manifests.size(), " images; name one of: ", tags()));
  }
  COCOON_RETURN_IF_ERROR(ValidateRefName(tag));
  const Descriptor* found = nullptr;
  for (const auto& m : index_.manifests) {
    auto it = m.annotations.find(ref_key);
    if (it == m.annotations.end() || it->second != tag) continue;
    if (found != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("tag \"", tag, "\" names more than one image in layout ", dir_));
    }
    found = &m;
  }
  if (found == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("tag \"", tag, "\" not found in layout ", dir_, "; available: ", tags()));
  }
  return *found;
}

absl::StatusOr<std::string> OciLayout::BlobPath(absl::string_view digest) const {
  COCOON_ASSIGN_OR_RETURN(auto parts, SplitVerifiableDigest(digest));
  return absl::StrCat(dir_, "/blobs/", parts.first, "/", parts.second);
}

absl::StatusOr<int> OciLayout::OpenBlobFd(absl::string_view digest, uint64_t* file_size) const {
  auto parts = SplitVerifiableDigest(digest);
  if (!parts.ok()) return Annotate(parts.status(), "blob");
  COCOON_ASSIGN_OR_RETURN(int fd,
                          OpenBelow(absl::StrCat("blobs/", parts->first, "/", parts->second),
                                    absl::StrCat("blob ", digest)));
  UniqueFd f(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus(errno, "cannot stat blob", digest);
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("blob ", digest, " in layout ", dir_, " is not a regular file"));
  }
  *file_size = static_cast<uint64_t>(st.st_size);
  return f.release();
}

bool OciLayout::HasBlob(absl::string_view digest) const {
  uint64_t size = 0;
  auto fd = OpenBlobFd(digest, &size);
  if (!fd.ok()) return false;
  ::close(*fd);
  return true;
}

absl::StatusOr<std::string> OciLayout::ReadBlob(const Descriptor& d, uint64_t max_size) const {
  COCOON_RETURN_IF_ERROR(CheckDescriptorSize(d));
  if (static_cast<uint64_t>(d.size) > max_size) {
    return absl::ResourceExhaustedError(absl::StrCat("blob ", d.digest, " is ", d.size,
                                                     " bytes, more than the limit of ", max_size));
  }
  uint64_t file_size = 0;
  COCOON_ASSIGN_OR_RETURN(int fd, OpenBlobFd(d.digest, &file_size));
  if (file_size != static_cast<uint64_t>(d.size)) {
    ::close(fd);
    return absl::DataLossError(absl::StrCat("blob ", d.digest, ": size mismatch: descriptor says ",
                                            d.size, " bytes, file has ", file_size));
  }
  COCOON_ASSIGN_OR_RETURN(auto src, MakeVerifyingSource(fd, d));
  return ReadAll(*src, max_size);
}

absl::StatusOr<std::unique_ptr<ByteSource>> OciLayout::OpenBlob(const Descriptor& d) const {
  COCOON_RETURN_IF_ERROR(CheckDescriptorSize(d));
  uint64_t file_size = 0;
  COCOON_ASSIGN_OR_RETURN(int fd, OpenBlobFd(d.digest, &file_size));
  if (file_size != static_cast<uint64_t>(d.size)) {
    ::close(fd);
    return absl::DataLossError(absl::StrCat("blob ", d.digest, ": size mismatch: descriptor says ",
                                            d.size, " bytes, file has ", file_size));
  }
  return MakeVerifyingSource(fd, d);
}

absl::StatusOr<std::unique_ptr<ByteSource>> OciLayout::OpenBlobSizeChecked(
    const Descriptor& d) const {
  COCOON_RETURN_IF_ERROR(CheckDescriptorSize(d));
  uint64_t file_size = 0;
  COCOON_ASSIGN_OR_RETURN(int fd, OpenBlobFd(d.digest, &file_size));
  if (file_size != static_cast<uint64_t>(d.size)) {
    ::close(fd);
    return absl::DataLossError(absl::StrCat("blob ", d.digest, ": size mismatch: descriptor says ",
                                            d.size, " bytes, file has ", file_size));
  }
  return std::unique_ptr<ByteSource>(
      std::make_unique<FdSource>(fd, FdOwnership::kOwned, absl::StrCat("blob ", d.digest)));
}

// ---------------------------------------------------------------------------------------------
// OciLayoutWriter

absl::StatusOr<std::unique_ptr<OciLayoutWriter>> OciLayoutWriter::Create(const std::string& dir) {
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  if (d.empty()) return absl::InvalidArgumentError("empty OCI layout path");
  std::unique_ptr<OciLayoutWriter> w(new OciLayoutWriter());
  w->final_dir_ = d;
  w->index_.media_type = std::string(kMediaTypeOciIndex);
  struct stat st;
  if (::stat(d.c_str(), &st) != 0) {
    if (errno != ENOENT) return ErrnoStatus(errno, "cannot stat", d);
    const std::string parent = DirName(d);
    struct stat pst;
    if (::stat(parent.c_str(), &pst) != 0 || !S_ISDIR(pst.st_mode)) {
      return absl::NotFoundError(absl::StrCat("cannot create OCI layout ", d, ": parent directory ",
                                              parent, " does not exist"));
    }
    COCOON_ASSIGN_OR_RETURN(w->work_dir_,
                            MakeTempDir(absl::StrCat(parent, "/.", BaseName(d), ".tmp-")));
    w->fresh_ = true;  // from here on the destructor removes the work directory
    if (::chmod(w->work_dir_.c_str(), 0755) != 0) {
      return ErrnoStatus(errno, "cannot chmod", w->work_dir_);
    }
    COCOON_RETURN_IF_ERROR(
        WriteFileAtomic(w->WorkPath(kOciLayoutFile),
                        absl::StrCat("{\"imageLayoutVersion\":\"", kOciLayoutVersion, "\"}")));
  } else {
    if (!S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(d, " exists and is not a directory"));
    }
    w->work_dir_ = d;
    struct stat lst;
    if (::stat(w->WorkPath(kOciLayoutFile).c_str(), &lst) == 0) {
      COCOON_ASSIGN_OR_RETURN(OciLayout existing, OciLayout::Open(d));
      w->index_ = existing.index();
    } else {
      std::error_code ec;
      if (!std::filesystem::is_empty(d, ec) || ec) {
        return absl::InvalidArgumentError(absl::StrCat(
            d, " exists but is not an OCI image layout (no ", kOciLayoutFile, " file)"));
      }
      const std::string path = w->WorkPath(kOciLayoutFile);
      COCOON_RETURN_IF_ERROR(WriteFileAtomic(
          path, absl::StrCat("{\"imageLayoutVersion\":\"", kOciLayoutVersion, "\"}")));
      w->created_.push_back(path);
    }
  }
  COCOON_RETURN_IF_ERROR(w->EnsureAlgDir("sha256"));
  return w;
}

OciLayoutWriter::~OciLayoutWriter() {
  if (!done_) Rollback();
}

void OciLayoutWriter::Rollback() {
  if (fresh_) {
    (void)RemoveAll(work_dir_);
    return;
  }
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    struct stat st;
    if (::lstat(it->c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      ::rmdir(it->c_str());
    } else {
      ::unlink(it->c_str());
    }
  }
  created_.clear();
}

std::string OciLayoutWriter::WorkPath(absl::string_view relative) const {
  return absl::StrCat(work_dir_, "/", relative);
}

absl::Status OciLayoutWriter::EnsureAlgDir(absl::string_view alg) {
  for (const std::string& rel : {std::string("blobs"), absl::StrCat("blobs/", alg)}) {
    const std::string path = WorkPath(rel);
    if (::mkdir(path.c_str(), 0755) == 0) {
      if (!fresh_) created_.push_back(path);
      continue;
    }
    if (errno != EEXIST) return ErrnoStatus(errno, "cannot create directory", path);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(path, " is not a directory"));
    }
  }
  return absl::OkStatus();
}

OciLayoutWriter::BlobWriter::BlobWriter(OciLayoutWriter* owner, std::string tmp_path, int fd,
                                        crypto::HashAlg alg)
    : owner_(owner),
      tmp_path_(std::move(tmp_path)),
      file_(fd, FdOwnership::kOwned, tmp_path_),
      digesting_(file_, alg) {
  file_.EnableWriteBehind();
}

OciLayoutWriter::BlobWriter::~BlobWriter() {
  if (!finished_) {
    (void)file_.Close();
    ::unlink(tmp_path_.c_str());
  }
}

absl::StatusOr<Descriptor> OciLayoutWriter::BlobWriter::Finish(absl::string_view media_type) {
  if (finished_) return absl::FailedPreconditionError("blob writer already finished");
  Descriptor d;
  d.media_type = std::string(media_type);
  COCOON_ASSIGN_OR_RETURN(d.digest, digesting_.Digest());
  d.size = static_cast<int64_t>(digesting_.bytes());
  // The blob must be durable before an index that names it can be.
  if (::fsync(file_.fd()) != 0) return ErrnoStatus(errno, "cannot fsync", tmp_path_);
  COCOON_RETURN_IF_ERROR(file_.Close());
  COCOON_RETURN_IF_ERROR(owner_->PublishBlob(tmp_path_, d.digest));
  finished_ = true;
  return d;
}

absl::StatusOr<std::unique_ptr<OciLayoutWriter::BlobWriter>> OciLayoutWriter::NewBlobWithAlg(
    crypto::HashAlg alg) {
  if (done_) return absl::FailedPreconditionError("OCI layout writer is already committed");
  const absl::string_view alg_name = HashAlgName(alg);
  COCOON_RETURN_IF_ERROR(EnsureAlgDir(alg_name));
  std::string tmpl = WorkPath(absl::StrCat("blobs/", alg_name, "/.tmp-blob-XXXXXX"));
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot create temporary blob", tmpl);
  if (::fchmod(fd, 0644) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(name.data());
    return ErrnoStatus(err, "cannot chmod", name.data());
  }
  return std::unique_ptr<BlobWriter>(new BlobWriter(this, std::string(name.data()), fd, alg));
}

absl::StatusOr<std::unique_ptr<OciLayoutWriter::BlobWriter>> OciLayoutWriter::NewBlob() {
  return NewBlobWithAlg(crypto::HashAlg::kSha256);
}

absl::Status OciLayoutWriter::PublishBlob(const std::string& tmp_path, absl::string_view digest) {
  COCOON_ASSIGN_OR_RETURN(auto parts, SplitVerifiableDigest(digest));
  COCOON_RETURN_IF_ERROR(EnsureAlgDir(parts.first));
  const std::string final_path = WorkPath(absl::StrCat("blobs/", parts.first, "/", parts.second));
  struct stat st;
  if (::lstat(final_path.c_str(), &st) == 0) {
    // Content addressed: the blob is already there.
    ::unlink(tmp_path.c_str());
    return absl::OkStatus();
  }
  if (::rename(tmp_path.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp_path.c_str());
    return ErrnoStatus(err, "cannot move blob into place at", final_path);
  }
  if (!fresh_) created_.push_back(final_path);
  return absl::OkStatus();
}

absl::StatusOr<Descriptor> OciLayoutWriter::WriteBlob(absl::string_view media_type,
                                                      absl::string_view data) {
  COCOON_ASSIGN_OR_RETURN(auto blob, NewBlob());
  COCOON_RETURN_IF_ERROR(blob->sink().Write(data));
  return blob->Finish(media_type);
}

absl::Status OciLayoutWriter::CopyBlobFrom(const OciLayout& src, const Descriptor& d) {
  if (done_) return absl::FailedPreconditionError("OCI layout writer is already committed");
  COCOON_RETURN_IF_ERROR(CheckDescriptorSize(d));
  auto parts = SplitVerifiableDigest(d.digest);
  if (!parts.ok()) return Annotate(parts.status(), "blob");
  const std::string final_path = WorkPath(absl::StrCat("blobs/", parts->first, "/", parts->second));
  struct stat st;
  if (::lstat(final_path.c_str(), &st) == 0) return absl::OkStatus();

  uint64_t file_size = 0;
  COCOON_ASSIGN_OR_RETURN(int fd, src.OpenBlobFd(d.digest, &file_size));
  if (file_size != static_cast<uint64_t>(d.size)) {
    ::close(fd);
    return absl::DataLossError(absl::StrCat("blob ", d.digest, ": size mismatch: descriptor says ",
                                            d.size, " bytes, file has ", file_size));
  }
  COCOON_RETURN_IF_ERROR(EnsureAlgDir(parts->first));
  // Hard link the very inode that was opened (so the file verified is the file linked).
  const std::string link_tmp = WorkPath(
      absl::StrCat("blobs/", parts->first, "/.tmp-link-", HexEncode(crypto::RandomBytes(8))));
  const std::string proc_path = absl::StrCat("/proc/self/fd/", fd);
  const bool linked =
      ::linkat(AT_FDCWD, proc_path.c_str(), AT_FDCWD, link_tmp.c_str(), AT_SYMLINK_FOLLOW) == 0;
  COCOON_ASSIGN_OR_RETURN(auto source, MakeVerifyingSource(fd, d));
  if (linked) {
    DiscardSink discard;
    absl::Status st = CopyStream(*source, discard).status();
    if (!st.ok()) {
      ::unlink(link_tmp.c_str());
      return st;
    }
    return PublishBlob(link_tmp, d.digest);
  }
  COCOON_ASSIGN_OR_RETURN(auto blob, NewBlobWithAlg(AlgFromName(parts->first)));
  COCOON_RETURN_IF_ERROR(CopyStream(*source, blob->sink()).status());
  COCOON_ASSIGN_OR_RETURN(Descriptor out, blob->Finish(d.media_type));
  if (out.digest != d.digest) {
    return absl::DataLossError(absl::StrCat("blob ", d.digest, ": copy hashed to ", out.digest));
  }
  return absl::OkStatus();
}

absl::Status OciLayoutWriter::Commit(const std::vector<Descriptor>& manifests_for_index,
                                     absl::string_view tag) {
  if (done_) return absl::FailedPreconditionError("OCI layout writer is already committed");
  if (!tag.empty()) COCOON_RETURN_IF_ERROR(ValidateRefName(tag));
  const std::string ref_key(kRefNameAnnotation);
  for (const auto& m : manifests_for_index) {
    auto parts = SplitVerifiableDigest(m.digest);
    if (!parts.ok()) return Annotate(parts.status(), "index entry");
    struct stat st;
    if (::lstat(WorkPath(absl::StrCat("blobs/", parts->first, "/", parts->second)).c_str(), &st) !=
        0) {
      return absl::FailedPreconditionError(
          absl::StrCat("manifest blob ", m.digest, " was not written to layout ", final_dir_));
    }
  }
  Index index = index_;
  std::vector<Descriptor> kept;
  for (auto& e : index.manifests) {
    auto it = e.annotations.find(ref_key);
    const bool tagged = it != e.annotations.end();
    bool drop = false;
    if (!tag.empty()) {
      drop = tagged && it->second == tag;
    } else if (!tagged) {
      for (const auto& m : manifests_for_index) drop = drop || m.digest == e.digest;
    }
    if (!drop) kept.push_back(std::move(e));
  }
  for (Descriptor m : manifests_for_index) {
    if (!tag.empty()) m.annotations[ref_key] = std::string(tag);
    kept.push_back(std::move(m));
  }
  index.manifests = std::move(kept);
  COCOON_ASSIGN_OR_RETURN(std::string bytes, SerializeIndex(index));

  if (!fresh_) {
    COCOON_RETURN_IF_ERROR(WriteFileAtomic(WorkPath(kIndexFile), bytes, 0644));
    done_ = true;
    created_.clear();
    return absl::OkStatus();
  }
  COCOON_RETURN_IF_ERROR(WriteFileAtomic(WorkPath(kIndexFile), bytes, 0644));
  COCOON_RETURN_IF_ERROR(SyncDirectory(WorkPath("blobs")));
  COCOON_RETURN_IF_ERROR(SyncDirectory(work_dir_));
  // RENAME_NOREPLACE: a directory created at the target meanwhile is never replaced (a plain
  // rename would silently replace an empty one).
  if (::syscall(SYS_renameat2, AT_FDCWD, work_dir_.c_str(), AT_FDCWD, final_dir_.c_str(),
                RENAME_NOREPLACE) != 0) {
    const int err = errno;
    if (err == EEXIST) {
      return absl::AlreadyExistsError(
          absl::StrCat("OCI layout ", final_dir_, " appeared while it was being written"));
    }
    return ErrnoStatus(err, absl::StrCat("cannot rename ", work_dir_, " to"), final_dir_);
  }
  done_ = true;
  return SyncDirectory(DirName(final_dir_));
}

}  // namespace cocoon::ocicrypt
