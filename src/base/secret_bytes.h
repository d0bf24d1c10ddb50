// SecretBytes: a byte buffer for key material that is wiped when freed.
//
// It is backed by a std::vector with a cleansing allocator (a vector never stores bytes inline,
// unlike std::string's short-string buffer, so every byte it ever held goes through the
// allocator). Copies are explicit, it has no operator<<, and it never appears in a log line or a
// status message.
#ifndef COCOON_BASE_SECRET_BYTES_H_
#define COCOON_BASE_SECRET_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <vector>
#include "absl/strings/string_view.h"

namespace cocoon {

// Overwrites `size` bytes at `p` in a way the compiler may not elide.
void SecureZero(void* p, size_t size);

// Constant-time comparison of two byte strings of equal length; false if the lengths differ
// (the length itself is not secret for MACs and tokens).
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

template <typename T>
struct ZeroizingAllocator {
  using value_type = T;
  ZeroizingAllocator() = default;
  template <typename U>
  ZeroizingAllocator(const ZeroizingAllocator<U>&) {}  // NOLINT: allocator conversion
  T* allocate(size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, size_t n) {
    SecureZero(p, n * sizeof(T));
    ::operator delete(p);
  }
  template <typename U>
  bool operator==(const ZeroizingAllocator<U>&) const {
    return true;
  }
};

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(size_t size) : bytes_(size) {}
  explicit SecretBytes(absl::string_view data) : bytes_(data.begin(), data.end()) {}
  SecretBytes(SecretBytes&&) noexcept = default;
  SecretBytes& operator=(SecretBytes&&) noexcept = default;
  // Copying a secret is allowed but must be spelled out.
  SecretBytes Clone() const { return SecretBytes(view()); }
  ~SecretBytes() = default;

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  void resize(size_t n) { bytes_.resize(n); }
  void clear() { bytes_.clear(); }
  void Append(absl::string_view data) { bytes_.insert(bytes_.end(), data.begin(), data.end()); }

  // A view of the secret; the caller must not copy it into an ordinary string that outlives the
  // operation it is needed for.
  absl::string_view view() const {
    return absl::string_view(reinterpret_cast<const char*>(bytes_.data()), bytes_.size());
  }

  bool operator==(const SecretBytes& other) const {
    return ConstantTimeEquals(view(), other.view());
  }

 private:
  SecretBytes(const SecretBytes&) = default;
  std::vector<uint8_t, ZeroizingAllocator<uint8_t>> bytes_;
};

}  // namespace cocoon

#endif  // COCOON_BASE_SECRET_BYTES_H_
