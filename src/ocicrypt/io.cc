#include "ocicrypt/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/status.h"

namespace cocoon::ocicrypt {

ByteSource::~ByteSource() = default;
ByteSink::~ByteSink() = default;

absl::StatusOr<size_t> ReadFull(ByteSource& src, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    COCOON_ASSIGN_OR_RETURN(size_t r, src.Read(buf + got, n - got));
    if (r == 0) break;
    got += r;
  }
  return got;
}

absl::StatusOr<uint64_t> CopyStream(ByteSource& src, ByteSink& dst, size_t buffer_size) {
  std::vector<uint8_t> buf(buffer_size == 0 ? 1 : buffer_size);
  uint64_t total = 0;
  for (;;) {
    COCOON_ASSIGN_OR_RETURN(size_t n, src.Read(buf.data(), buf.size()));
    if (n == 0) return total;
    COCOON_RETURN_IF_ERROR(dst.Write(buf.data(), n));
    total += n;
  }
}

absl::StatusOr<std::string> ReadAll(ByteSource& src, uint64_t max_size) {
  std::string out;
  uint8_t buf[65536];
  for (;;) {
    COCOON_ASSIGN_OR_RETURN(size_t n, src.Read(buf, sizeof(buf)));
    if (n == 0) return out;
    if (out.size() + n > max_size) {
      return absl::ResourceExhaustedError(
          absl::StrCat("stream is larger than the limit of ", max_size, " bytes"));
    }
    out.append(reinterpret_cast<const char*>(buf), n);
  }
}

// ---------------------------------------------------------------------------------------------

FdSource::FdSource(int fd, FdOwnership ownership, std::string name)
    : fd_(fd), ownership_(ownership), name_(std::move(name)) {}

FdSource::~FdSource() {
  if (ownership_ == FdOwnership::kOwned && fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::unique_ptr<FdSource>> FdSource::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open", path);
  return std::make_unique<FdSource>(fd, FdOwnership::kOwned, path);
}

absl::StatusOr<size_t> FdSource::Read(uint8_t* buf, size_t n) {
  for (;;) {
    const ssize_t r = ::read(fd_, buf, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno != EINTR) return ErrnoStatus(errno, "cannot read", name_);
  }
}

FdSink::FdSink(int fd, FdOwnership ownership, std::string name)
    : fd_(fd), ownership_(ownership), name_(std::move(name)) {}

FdSink::~FdSink() {
  if (ownership_ == FdOwnership::kOwned && fd_ >= 0) ::close(fd_);
}

absl::Status FdSink::Write(const uint8_t* data, size_t n) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(name_, " is closed"));
  while (n > 0) {
    const ssize_t w = ::write(fd_, data, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(errno, "cannot write", name_);
    }
    data += w;
    n -= static_cast<size_t>(w);
    written_ += static_cast<uint64_t>(w);
  }
  if (write_behind_chunk_ > 0 && written_ - flushed_ >= write_behind_chunk_) {
    // Best effort: a file system without support simply leaves it all to fsync.
    (void)::sync_file_range(fd_, static_cast<off64_t>(flushed_),
                            static_cast<off64_t>(written_ - flushed_), SYNC_FILE_RANGE_WRITE);
    flushed_ = written_;
  }
  return absl::OkStatus();
}

absl::Status FdSink::Close() {
  if (ownership_ != FdOwnership::kOwned || fd_ < 0) return absl::OkStatus();
  const int fd = fd_;
  fd_ = -1;
  // Linux releases the descriptor even when close fails, so it is never retried.
  if (::close(fd) != 0 && errno != EINTR) return ErrnoStatus(errno, "cannot close", name_);
  return absl::OkStatus();
}

absl::StatusOr<size_t> StringSource::Read(uint8_t* buf, size_t n) {
  const size_t k = std::min(n, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

absl::StatusOr<size_t> ViewSource::Read(uint8_t* buf, size_t n) {
  const size_t k = std::min(n, data_.size() - pos_);
  if (k > 0) std::memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

absl::Status StringSink::Write(const uint8_t* data, size_t n) {
  if (data_.size() + n > max_size_) {
    return absl::ResourceExhaustedError(
        absl::StrCat("output is larger than the limit of ", max_size_, " bytes"));
  }
  data_.append(reinterpret_cast<const char*>(data), n);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------

absl::string_view HashAlgName(crypto::HashAlg alg) {
  switch (alg) {
    case crypto::HashAlg::kSha1:
      return "sha1";
    case crypto::HashAlg::kSha256:
      return "sha256";
    case crypto::HashAlg::kSha384:
      return "sha384";
    case crypto::HashAlg::kSha512:
      return "sha512";
  }
  return "sha256";
}

namespace {

std::unique_ptr<crypto::Hasher> NewHasher(crypto::HashAlg alg) {
  auto h = crypto::Hasher::New(alg);
  return h.ok() ? std::move(h).value() : nullptr;
}

absl::StatusOr<std::string> FinishDigest(std::unique_ptr<crypto::Hasher>& hasher,
                                         crypto::HashAlg alg) {
  if (hasher == nullptr) return absl::FailedPreconditionError("digest already taken or failed");
  COCOON_ASSIGN_OR_RETURN(std::string raw, hasher->Finalize());
  hasher.reset();
  return absl::StrCat(HashAlgName(alg), ":", HexEncode(raw));
}

}  // namespace

DigestingSink::DigestingSink(ByteSink& inner, crypto::HashAlg alg)
    : inner_(inner), alg_(alg), hasher_(NewHasher(alg)) {}
DigestingSink::~DigestingSink() = default;

absl::Status DigestingSink::Write(const uint8_t* data, size_t n) {
  if (hasher_ == nullptr) return absl::FailedPreconditionError("digesting sink is finished");
  if (!offloaded_) COCOON_RETURN_IF_ERROR(hasher_->Update(data, n));
  COCOON_RETURN_IF_ERROR(inner_.Write(data, n));
  bytes_ += n;
  return absl::OkStatus();
}

absl::StatusOr<std::string> DigestingSink::Digest() { return FinishDigest(hasher_, alg_); }

DigestingSource::DigestingSource(ByteSource& inner, crypto::HashAlg alg)
    : inner_(inner), alg_(alg), hasher_(NewHasher(alg)) {}
DigestingSource::~DigestingSource() = default;

absl::StatusOr<size_t> DigestingSource::Read(uint8_t* buf, size_t n) {
  if (hasher_ == nullptr) return absl::FailedPreconditionError("digesting source is finished");
  COCOON_ASSIGN_OR_RETURN(size_t r, inner_.Read(buf, n));
  COCOON_RETURN_IF_ERROR(hasher_->Update(buf, r));
  bytes_ += r;
  return r;
}

absl::StatusOr<std::string> DigestingSource::Digest() { return FinishDigest(hasher_, alg_); }

}  // namespace cocoon::ocicrypt
