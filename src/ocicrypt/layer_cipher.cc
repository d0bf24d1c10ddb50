#include "ocicrypt/layer_cipher.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/file_util.h"
#include "base/status.h"
#include "crypto/stream_cipher.h"

namespace cocoon::ocicrypt {
namespace {

// Work on the buffer in slices small enough to stay in L2 between the MAC pass and the AES pass.
constexpr size_t kSlice = 64 * 1024;
constexpr size_t kMinBufferSize = 16 * 1024;
static_assert(kMinBufferSize > kMinHoldBack);

// A heap buffer allocated once per call (no zero-fill: every byte is written before it is read).
class Buffer {
 public:
  explicit Buffer(size_t n) : data_(new uint8_t[n]), size_(n) {}
  uint8_t* data() { return data_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_;
};

absl::Status CheckKey(absl::string_view key) {
  if (key.size() != kLayerKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("invalid key length of ", key.size(),
                                                   " bytes; need ", kLayerKeySize, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CheckNonce(absl::string_view nonce) {
  if (nonce.size() != kLayerNonceSize) {
    return absl::InvalidArgumentError(absl::StrCat("invalid nonce length of ", nonce.size(),
                                                   " bytes; need ", kLayerNonceSize, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status MacMismatch() {
  return absl::DataLossError(
      "layer HMAC mismatch: ciphertext was modified, truncated, or decrypted with the wrong key");
}

struct DecryptState {
  std::unique_ptr<crypto::AesCtr256> aes;
  std::unique_ptr<crypto::HmacSha256> mac;
  std::string expected_mac;
};

absl::StatusOr<DecryptState> PrepareDecrypt(const PrivateOptions& priv, const PublicOptions& pub) {
  if (pub.cipher.empty()) return absl::InvalidArgumentError("no cipher type provided");
  if (pub.cipher != kCipherAes256CtrHmacSha256) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported cipher type: ", pub.cipher));
  }
  COCOON_RETURN_IF_ERROR(CheckKey(priv.symkey.view()));
  if (pub.hmac.empty()) {
    return absl::InvalidArgumentError("HMAC is not provided for decryption process");
  }
  if (pub.hmac.size() != kLayerHmacSize) {
    return absl::InvalidArgumentError(absl::StrCat("invalid HMAC length of ", pub.hmac.size(),
                                                   " bytes; need ", kLayerHmacSize, " bytes"));
  }
  COCOON_ASSIGN_OR_RETURN(std::string nonce, LayerNonce(priv, pub));
  DecryptState st;
  COCOON_ASSIGN_OR_RETURN(st.aes, crypto::AesCtr256::New(priv.symkey.view(), nonce));
  COCOON_ASSIGN_OR_RETURN(st.mac, crypto::HmacSha256::New(priv.symkey.view()));
  st.expected_mac = pub.hmac;
  return st;
}

absl::Status VerifyMac(DecryptState& st) {
  COCOON_ASSIGN_OR_RETURN(std::string tag, st.mac->Finalize());
  if (!ConstantTimeEquals(tag, st.expected_mac)) return MacMismatch();
  return absl::OkStatus();
}

// MAC then decrypt in place, slice by slice.
absl::Status MacAndDecrypt(DecryptState& st, uint8_t* p, size_t n) {
  for (size_t off = 0; off < n; off += kSlice) {
    const size_t len = std::min(kSlice, n - off);
    COCOON_RETURN_IF_ERROR(st.mac->Update(p + off, len));
    COCOON_RETURN_IF_ERROR(st.aes->Process(p + off, p + off, len));
  }
  return absl::OkStatus();
}

// Single thread: two buffers decrypted in place. A buffer is released only once the following
// read has filled a whole buffer, so at end of stream the last one or two buffers (always more
// than kMinHoldBack bytes, or the whole layer if it is shorter) wait for the MAC.
absl::Status DecryptStreaming(ByteSource& src, ByteSink& dst, DecryptState& st, size_t bsize) {
  Buffer b0(bsize), b1(bsize);
  uint8_t* bufs[2] = {b0.data(), b1.data()};
  int cur = 0;
  size_t pending = 0;  // bytes decrypted in bufs[cur ^ 1], not yet released
  size_t n = 0;
  for (;;) {
    COCOON_ASSIGN_OR_RETURN(n, ReadFull(src, bufs[cur], bsize));
    COCOON_RETURN_IF_ERROR(MacAndDecrypt(st, bufs[cur], n));
    if (n < bsize) break;  // ReadFull stops short only at end of stream
    if (pending > 0) COCOON_RETURN_IF_ERROR(dst.Write(bufs[cur ^ 1], pending));
    pending = n;
    cur ^= 1;
  }
  COCOON_RETURN_IF_ERROR(VerifyMac(st));
  if (pending > 0) COCOON_RETURN_IF_ERROR(dst.Write(bufs[cur ^ 1], pending));
  if (n > 0) COCOON_RETURN_IF_ERROR(dst.Write(bufs[cur], n));
  return absl::OkStatus();
}

// The MAC on a worker thread. Jobs are numbered; job i uses input buffer i % 2, so the reader
// waits for job i-2 before it refills that buffer and the worker always lags at most one chunk.
class MacWorker {
 public:
  MacWorker(crypto::HmacSha256& mac, crypto::Hasher* plaintext_hasher)
      : mac_(mac), plain_hasher_(plaintext_hasher), thread_([this] { Run(); }) {}
  ~MacWorker() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  // `plain` (n bytes) is hashed into the plaintext hasher, when there is one, after the MAC.
  void Submit(const uint8_t* p, const uint8_t* plain, size_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_[submitted_ % 2] = {p, plain, n};
    ++submitted_;
    cv_.notify_all();
  }
  // Waits until at least `count` jobs have completed; returns the first MAC error, if any.
  absl::Status WaitCompleted(uint64_t count) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return completed_ >= count || !status_.ok(); });
    return status_;
  }
  uint64_t submitted() const { return submitted_; }

 private:
  struct Job {
    const uint8_t* p = nullptr;
    const uint8_t* plain = nullptr;
    size_t n = 0;
  };
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || completed_ < submitted_; });
      if (completed_ == submitted_) return;  // stop requested and nothing queued
      const Job job = jobs_[completed_ % 2];
      lock.unlock();
      absl::Status st = mac_.Update(job.p, job.n);
      if (st.ok() && plain_hasher_ != nullptr) st = plain_hasher_->Update(job.plain, job.n);
      lock.lock();
      if (!st.ok() && status_.ok()) status_ = st;
      ++completed_;
      cv_.notify_all();
    }
  }

  crypto::HmacSha256& mac_;
  crypto::Hasher* plain_hasher_;
  std::mutex mu_;
  std::condition_variable cv_;
  Job jobs_[2];
  uint64_t submitted_ = 0;  // written by the reader thread only
  uint64_t completed_ = 0;
  bool stop_ = false;
  absl::Status status_;
  std::thread thread_;  // last: starts after every other member is initialized
};

absl::Status DecryptStreamingParallel(ByteSource& src, ByteSink& dst, DecryptState& st,
                                      size_t bsize, crypto::Hasher* plaintext_hasher) {
  Buffer in0(bsize), in1(bsize), out0(bsize), out1(bsize);
  uint8_t* in[2] = {in0.data(), in1.data()};
  uint8_t* out[2] = {out0.data(), out1.data()};
  size_t pending = 0;
  size_t n = 0;
  int k = 0;
  absl::Status mac_status;
  {
    MacWorker worker(*st.mac, plaintext_hasher);
    for (uint64_t i = 0;; ++i) {
      k = static_cast<int>(i % 2);
      // Job i-2 used in[k] and out[k]; both are about to be overwritten.
      if (i >= 2) COCOON_RETURN_IF_ERROR(worker.WaitCompleted(i - 1));
      COCOON_ASSIGN_OR_RETURN(n, ReadFull(src, in[k], bsize));
      if (plaintext_hasher == nullptr && n > 0) worker.Submit(in[k], nullptr, n);
      // Out of place: the worker reads in[k] concurrently.
      COCOON_RETURN_IF_ERROR(st.aes->Process(in[k], out[k], n));
      // With a plaintext hasher the job starts once out[k] exists; the worker then reads both
      // buffers while this thread writes the previous block.
      if (plaintext_hasher != nullptr && n > 0) worker.Submit(in[k], out[k], n);
      if (n < bsize) break;
      if (pending > 0) COCOON_RETURN_IF_ERROR(dst.Write(out[k ^ 1], pending));
      pending = n;
    }
    mac_status = worker.WaitCompleted(worker.submitted());
  }
  COCOON_RETURN_IF_ERROR(mac_status);
  COCOON_RETURN_IF_ERROR(VerifyMac(st));
  if (pending > 0) COCOON_RETURN_IF_ERROR(dst.Write(out[k ^ 1], pending));
  if (n > 0) COCOON_RETURN_IF_ERROR(dst.Write(out[k], n));
  return absl::OkStatus();
}

// An unlinked 0600 file: O_TMPFILE where the file system supports it, else mkstemp + unlink.
absl::StatusOr<int> OpenSpoolFile(const std::string& requested_dir) {
  std::string dir = requested_dir;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  std::string tmpl = absl::StrCat(dir, "/cocoon-layer-spool-XXXXXX");
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot create layer spool file in", dir);
  ::unlink(name.data());
  return fd;
}

absl::Status DecryptVerifyFirst(ByteSource& src, ByteSink& dst, DecryptState& st, size_t bsize,
                                const std::string& spool_dir) {
  COCOON_ASSIGN_OR_RETURN(int fd, OpenSpoolFile(spool_dir));
  FdSink spool_out(fd, FdOwnership::kOwned, "layer spool file");
  Buffer buf(bsize);
  uint64_t total = 0;
  for (;;) {
    COCOON_ASSIGN_OR_RETURN(size_t n, src.Read(buf.data(), bsize));
    if (n == 0) break;
    COCOON_RETURN_IF_ERROR(st.mac->Update(buf.data(), n));
    COCOON_RETURN_IF_ERROR(spool_out.Write(buf.data(), n));
    total += n;
  }
  COCOON_RETURN_IF_ERROR(VerifyMac(st));
  if (::lseek(fd, 0, SEEK_SET) != 0) return ErrnoStatus(errno, "cannot rewind", "layer spool file");
  FdSource spool_in(fd, FdOwnership::kBorrowed, "layer spool file");
  uint64_t replayed = 0;
  for (;;) {
    COCOON_ASSIGN_OR_RETURN(size_t n, ReadFull(spool_in, buf.data(), bsize));
    if (n == 0) break;
    replayed += n;
    if (replayed > total) break;
    COCOON_RETURN_IF_ERROR(st.aes->Process(buf.data(), buf.data(), n));
    COCOON_RETURN_IF_ERROR(dst.Write(buf.data(), n));
  }
  if (replayed != total) {
    return absl::DataLossError(absl::StrCat("layer spool file changed size: wrote ", total,
                                            " bytes, read back ", replayed));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> LayerNonce(const PrivateOptions& priv, const PublicOptions& pub) {
  auto it = pub.cipher_options.find(std::string(kNonceOption));
  if (it == pub.cipher_options.end()) {
    it = priv.cipher_options.find(std::string(kNonceOption));
    if (it == priv.cipher_options.end()) {
      return absl::InvalidArgumentError("no nonce in the layer options (cipheroptions.nonce)");
    }
  }
  COCOON_RETURN_IF_ERROR(CheckNonce(it->second));
  return it->second;
}

absl::StatusOr<LayerEncryptResult> EncryptLayerStream(ByteSource& plaintext, ByteSink& ciphertext,
                                                      absl::string_view plaintext_digest,
                                                      const LayerEncryptOptions& opts) {
  LayerEncryptResult res;
  if (opts.key.has_value()) {
    COCOON_RETURN_IF_ERROR(CheckKey(opts.key->view()));
    res.private_options.symkey = opts.key->Clone();
  } else {
    res.private_options.symkey = SecretBytes(kLayerKeySize);
    COCOON_RETURN_IF_ERROR(crypto::RandomFill(res.private_options.symkey.data(), kLayerKeySize));
  }
  std::string nonce;
  if (opts.nonce.has_value()) {
    COCOON_RETURN_IF_ERROR(CheckNonce(*opts.nonce));
    nonce = *opts.nonce;
  } else {
    nonce = crypto::RandomBytes(kLayerNonceSize);
  }
  const absl::string_view key = res.private_options.symkey.view();
  COCOON_ASSIGN_OR_RETURN(auto aes, crypto::AesCtr256::New(key, nonce));
  COCOON_ASSIGN_OR_RETURN(auto mac, crypto::HmacSha256::New(key));
  COCOON_ASSIGN_OR_RETURN(auto sha, crypto::Hasher::New(crypto::HashAlg::kSha256));

  const size_t bsize = std::max(opts.buffer_size, kMinBufferSize);
  Buffer buf(bsize);
  uint64_t total = 0;
  for (;;) {
    COCOON_ASSIGN_OR_RETURN(size_t n, ReadFull(plaintext, buf.data(), bsize));
    if (n == 0) break;
    for (size_t off = 0; off < n; off += kSlice) {
      const size_t len = std::min(kSlice, n - off);
      uint8_t* p = buf.data() + off;
      COCOON_RETURN_IF_ERROR(aes->Process(p, p, len));
      COCOON_RETURN_IF_ERROR(mac->Update(p, len));
      COCOON_RETURN_IF_ERROR(sha->Update(p, len));
    }
    COCOON_RETURN_IF_ERROR(ciphertext.Write(buf.data(), n));
    total += n;
    if (n < bsize) break;
  }
  COCOON_ASSIGN_OR_RETURN(res.public_options.hmac, mac->Finalize());
  COCOON_ASSIGN_OR_RETURN(std::string digest, sha->Finalize());
  res.public_options.cipher = std::string(kCipherAes256CtrHmacSha256);
  res.private_options.digest = std::string(plaintext_digest);
  res.private_options.cipher_options[std::string(kNonceOption)] = nonce;
  res.ciphertext_digest = absl::StrCat("sha256:", HexEncode(digest));
  res.size = total;
  return res;
}

absl::Status DecryptLayerStream(ByteSource& ciphertext, ByteSink& plaintext,
                                const PrivateOptions& priv, const PublicOptions& pub,
                                const LayerDecryptOptions& opts) {
  COCOON_ASSIGN_OR_RETURN(DecryptState st, PrepareDecrypt(priv, pub));
  const size_t bsize = std::max(opts.buffer_size, kMinBufferSize);
  switch (opts.mode) {
    case ReleaseMode::kVerifyBeforeRelease:
      return DecryptVerifyFirst(ciphertext, plaintext, st, bsize, opts.spool_dir);
    case ReleaseMode::kStreaming:
      if (opts.parallel_mac) {
        return DecryptStreamingParallel(ciphertext, plaintext, st, bsize, opts.plaintext_hasher);
      }
      return DecryptStreaming(ciphertext, plaintext, st, bsize);
  }
  return absl::InvalidArgumentError("unknown release mode");
}

}  // namespace cocoon::ocicrypt
