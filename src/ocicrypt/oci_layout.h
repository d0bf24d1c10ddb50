// OCI image layout (image-spec image-layout.md): an `oci-layout` file naming the layout version,
// `index.json`, and content-addressed `blobs/<alg>/<encoded>`.
//
// The reader verifies every blob it hands out (size and digest). Paths inside the layout are
// opened relative to the layout directory with RESOLVE_BENEATH, so a symlink that leads out of the
// layout is refused (on kernels without openat2, symlinks inside blobs/ are refused altogether).
//
// The writer never leaves a partial layout behind: a new layout is assembled in a sibling
// temporary directory and renamed into place by Commit(); in an existing layout, blobs appear
// under their digest name only when complete, index.json is replaced atomically, and everything
// the writer added is removed again if it is destroyed without Commit().
#ifndef COCOON_OCICRYPT_OCI_LAYOUT_H_
#define COCOON_OCICRYPT_OCI_LAYOUT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/stream_cipher.h"
#include "ocicrypt/descriptor.h"
#include "ocicrypt/image.h"
#include "ocicrypt/io.h"

namespace cocoon::ocicrypt {

inline constexpr absl::string_view kOciLayoutFile = "oci-layout";
inline constexpr absl::string_view kOciLayoutVersion = "1.0.0";
inline constexpr absl::string_view kIndexFile = "index.json";
inline constexpr uint64_t kDefaultMaxBlobRead = uint64_t{64} << 20;

// A tag (org.opencontainers.image.ref.name) per image-spec: components of [A-Za-z0-9] joined by
// one of -._:@+ or "--", separated by "/". Rejects "..", empty components and leading separators.
absl::Status ValidateRefName(absl::string_view ref);

class OciLayout {
 public:
  // Reads `dir`/oci-layout (version 1.0.0) and `dir`/index.json.
  static absl::StatusOr<OciLayout> Open(const std::string& dir);

  OciLayout(OciLayout&& other) noexcept;
  OciLayout& operator=(OciLayout&& other) noexcept;
  OciLayout(const OciLayout&) = delete;
  OciLayout& operator=(const OciLayout&) = delete;
  ~OciLayout();

  const std::string& dir() const { return dir_; }
  const Index& index() const { return index_; }
  const std::vector<Descriptor>& manifests() const { return index_.manifests; }

  // The index.json entry whose org.opencontainers.image.ref.name is `tag`. An empty tag selects
  // the only entry; with several the error lists the tags.
  absl::StatusOr<Descriptor> Resolve(absl::string_view tag) const;

  // The whole blob, checked against the descriptor's size and digest. Errors name the digest:
  // "blob sha256:... is missing from layout DIR" (NotFound), "... size mismatch ...",
  // "... digest mismatch ...".
  absl::StatusOr<std::string> ReadBlob(const Descriptor& d,
                                       uint64_t max_size = kDefaultMaxBlobRead) const;
  // A stream over the blob; the size and digest are verified as it is read, and the Read() that
  // reaches end of file returns the error if they do not match (a longer file fails as soon as it
  // passes the expected size).
  absl::StatusOr<std::unique_ptr<ByteSource>> OpenBlob(const Descriptor& d) const;
  // A stream over the blob with only its size checked, for callers that authenticate the content
  // themselves: an encrypted layer's HMAC, keyed with the layer key, is a stronger check than its
  // digest and already costs one pass of SHA-256, so decryption skips the second one.
  absl::StatusOr<std::unique_ptr<ByteSource>> OpenBlobSizeChecked(const Descriptor& d) const;
  // True if the blob file exists (no verification).
  bool HasBlob(absl::string_view digest) const;

  // `dir`/blobs/<alg>/<hex> for a well-formed sha256 or sha512 digest; an error otherwise.
  absl::StatusOr<std::string> BlobPath(absl::string_view digest) const;

 private:
  friend class OciLayoutWriter;
  OciLayout(std::string dir, int dirfd) : dir_(std::move(dir)), dirfd_(dirfd) {}
  // Opens a file below the layout directory, refusing to leave it.
  absl::StatusOr<int> OpenBelow(const std::string& relative, absl::string_view what) const;
  absl::StatusOr<int> OpenBlobFd(absl::string_view digest, uint64_t* file_size) const;

  std::string dir_;
  int dirfd_ = -1;
  Index index_;
};

class OciLayoutWriter {
 public:
  // Prepares writing into `dir`. If `dir` does not exist the layout is built in a sibling
  // temporary directory and renamed to `dir` on Commit(). If it is an existing layout (or an
  // empty directory), blobs are added to it and index.json is replaced on Commit().
  static absl::StatusOr<std::unique_ptr<OciLayoutWriter>> Create(const std::string& dir);
  ~OciLayoutWriter();
  OciLayoutWriter(const OciLayoutWriter&) = delete;
  OciLayoutWriter& operator=(const OciLayoutWriter&) = delete;

  const std::string& dir() const { return final_dir_; }

  // Stores `data` as a sha256 blob and returns its descriptor.
  absl::StatusOr<Descriptor> WriteBlob(absl::string_view media_type, absl::string_view data);

  // A blob written as a stream into a temporary file; Finish() moves it to its digest path.
  // Destroying it unfinished removes the temporary file. It must not outlive its writer.
  class BlobWriter {
   public:
    ~BlobWriter();
    BlobWriter(const BlobWriter&) = delete;
    BlobWriter& operator=(const BlobWriter&) = delete;
    ByteSink& sink() { return digesting_; }
    // See DigestingSink::OffloadHashing.
    crypto::Hasher* OffloadDigest() { return digesting_.OffloadHashing(); }
    absl::StatusOr<Descriptor> Finish(absl::string_view media_type);

   private:
    friend class OciLayoutWriter;
    BlobWriter(OciLayoutWriter* owner, std::string tmp_path, int fd, crypto::HashAlg alg);
    OciLayoutWriter* owner_;
    std::string tmp_path_;
    FdSink file_;
    DigestingSink digesting_;
    bool finished_ = false;
  };
  absl::StatusOr<std::unique_ptr<BlobWriter>> NewBlob();

  // Makes the blob of `d` in `src` available here: a hard link when the file systems and
  // permissions allow it, else a copy; either way the content is verified against the digest.
  // NotFound if `src` lacks it. A blob already present is left alone.
  absl::Status CopyBlobFrom(const OciLayout& src, const Descriptor& d);

  // Writes index.json listing the entries already there plus `manifests_for_index`, each tagged
  // with `tag` when it is not empty (an existing entry with that tag is replaced; an untagged
  // entry with the same digest is not duplicated), then publishes the layout. Every manifest blob
  // must be present. The writer is finished afterwards.
  absl::Status Commit(const std::vector<Descriptor>& manifests_for_index, absl::string_view tag);

 private:
  OciLayoutWriter() = default;
  std::string WorkPath(absl::string_view relative) const;
  absl::Status EnsureAlgDir(absl::string_view alg);
  absl::StatusOr<std::unique_ptr<BlobWriter>> NewBlobWithAlg(crypto::HashAlg alg);
  // Moves a complete temporary file to blobs/<alg>/<hex>.
  absl::Status PublishBlob(const std::string& tmp_path, absl::string_view digest);
  void Rollback();

  std::string final_dir_;
  std::string work_dir_;  // == final_dir_ when adding to an existing directory
  bool fresh_ = false;
  bool done_ = false;
  Index index_;                       // entries already in the layout
  std::vector<std::string> created_;  // paths added to an existing directory, in order
};

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_OCI_LAYOUT_H_
