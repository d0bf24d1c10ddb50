// Byte stream interfaces used by the layer cipher, the OCI layout and the image tools, with
// file-descriptor, in-memory and digesting implementations.
//
// Streams move caller-owned buffers: a source fills the buffer it is given, a sink consumes the
// bytes it is handed before returning. Nothing here buffers a whole layer.
#ifndef COCOON_OCICRYPT_IO_H_
#define COCOON_OCICRYPT_IO_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/stream_cipher.h"

namespace cocoon::ocicrypt {

class ByteSource {
 public:
  virtual ~ByteSource();
  // Reads up to `n` bytes into `buf`; returns how many were read, 0 only at end of stream.
  virtual absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) = 0;
};

class ByteSink {
 public:
  virtual ~ByteSink();
  // Consumes all `n` bytes or fails.
  virtual absl::Status Write(const uint8_t* data, size_t n) = 0;
  absl::Status Write(absl::string_view data) {
    return Write(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  }
  // Flushes and releases the underlying resource; a sink that reports success here has stored
  // every byte. Further writes are undefined.
  virtual absl::Status Close() { return absl::OkStatus(); }
};

// Reads until `n` bytes are in `buf` or the source ends; returns the number read.
absl::StatusOr<size_t> ReadFull(ByteSource& src, uint8_t* buf, size_t n);

// Copies `src` to `dst` until end of stream with a `buffer_size` buffer; returns the byte count.
// Does not close `dst`.
absl::StatusOr<uint64_t> CopyStream(ByteSource& src, ByteSink& dst,
                                    size_t buffer_size = size_t{1} << 20);

// Reads a whole source into a string; fails if it yields more than `max_size` bytes.
absl::StatusOr<std::string> ReadAll(ByteSource& src, uint64_t max_size);

enum class FdOwnership { kBorrowed, kOwned };

// Reads a file descriptor, retrying on EINTR. `name` is used in error messages.
class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd, FdOwnership ownership = FdOwnership::kBorrowed,
                    std::string name = "input");
  ~FdSource() override;
  FdSource(const FdSource&) = delete;
  FdSource& operator=(const FdSource&) = delete;

  // Opens `path` read-only (O_CLOEXEC) and owns the descriptor.
  static absl::StatusOr<std::unique_ptr<FdSource>> Open(const std::string& path);

  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override;
  int fd() const { return fd_; }

 private:
  int fd_;
  FdOwnership ownership_;
  std::string name_;
};

// Writes to a file descriptor, retrying on EINTR and short writes. Close() closes an owned
// descriptor and reports the close error (where NFS and friends report write-back failures).
class FdSink : public ByteSink {
 public:
  explicit FdSink(int fd, FdOwnership ownership = FdOwnership::kBorrowed,
                  std::string name = "output");
  ~FdSink() override;
  FdSink(const FdSink&) = delete;
  FdSink& operator=(const FdSink&) = delete;

  absl::Status Write(const uint8_t* data, size_t n) override;
  using ByteSink::Write;
  absl::Status Close() override;
  int fd() const { return fd_; }
  // For a regular file that will be fsync'ed: asks the kernel to start writing back every
  // `chunk` bytes as they are written, so the final fsync waits for the tail only instead of the
  // whole file (for a 512 MiB blob on a VM disk that wait was as long as the decryption).
  void EnableWriteBehind(size_t chunk = size_t{8} << 20) { write_behind_chunk_ = chunk; }

 private:
  int fd_;
  FdOwnership ownership_;
  std::string name_;
  size_t write_behind_chunk_ = 0;  // 0: off
  uint64_t written_ = 0;
  uint64_t flushed_ = 0;  // bytes handed to writeback
};

// A source over bytes it owns.
class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override;

 private:
  std::string data_;
  size_t pos_ = 0;
};

// A source over bytes owned by the caller, which must outlive it (no copy: for large inputs).
class ViewSource : public ByteSource {
 public:
  explicit ViewSource(absl::string_view data) : data_(data) {}
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override;

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

// Collects everything written; fails once more than `max_size` bytes arrive.
class StringSink : public ByteSink {
 public:
  explicit StringSink(uint64_t max_size = UINT64_MAX) : max_size_(max_size) {}
  absl::Status Write(const uint8_t* data, size_t n) override;
  using ByteSink::Write;
  const std::string& data() const { return data_; }
  std::string Release() { return std::move(data_); }

 private:
  std::string data_;
  uint64_t max_size_;
};

// Drops the bytes, counting them.
class DiscardSink : public ByteSink {
 public:
  absl::Status Write(const uint8_t*, size_t n) override {
    bytes_ += n;
    return absl::OkStatus();
  }
  using ByteSink::Write;
  uint64_t bytes() const { return bytes_; }

 private:
  uint64_t bytes_ = 0;
};

// Passes bytes through to `inner` while computing their digest (sha256 unless asked otherwise)
// and count. Digest() may be called once, after the last write; it returns "<alg>:<hex>".
class DigestingSink : public ByteSink {
 public:
  explicit DigestingSink(ByteSink& inner, crypto::HashAlg alg = crypto::HashAlg::kSha256);
  ~DigestingSink() override;
  absl::Status Write(const uint8_t* data, size_t n) override;
  using ByteSink::Write;
  absl::Status Close() override { return inner_.Close(); }
  absl::StatusOr<std::string> Digest();
  uint64_t bytes() const { return bytes_; }
  // Hands the hashing to the caller, who must feed the returned hasher every byte later written
  // here, in order (a producer that hashes on another thread). Write then only counts and
  // forwards; Digest() still finalizes this hasher.
  crypto::Hasher* OffloadHashing() {
    offloaded_ = true;
    return hasher_.get();
  }

 private:
  ByteSink& inner_;
  crypto::HashAlg alg_;
  std::unique_ptr<crypto::Hasher> hasher_;
  uint64_t bytes_ = 0;
  bool offloaded_ = false;
};

// Same for a source: hashes and counts every byte read from `inner`.
class DigestingSource : public ByteSource {
 public:
  explicit DigestingSource(ByteSource& inner, crypto::HashAlg alg = crypto::HashAlg::kSha256);
  ~DigestingSource() override;
  absl::StatusOr<size_t> Read(uint8_t* buf, size_t n) override;
  absl::StatusOr<std::string> Digest();
  uint64_t bytes() const { return bytes_; }

 private:
  ByteSource& inner_;
  crypto::HashAlg alg_;
  std::unique_ptr<crypto::Hasher> hasher_;
  uint64_t bytes_ = 0;
};

// "sha256" / "sha512" for the digest algorithms OCI content addressing uses.
absl::string_view HashAlgName(crypto::HashAlg alg);

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_IO_H_
