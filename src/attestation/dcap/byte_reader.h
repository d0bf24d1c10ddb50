// A bounds-checked cursor over untrusted bytes. Every read names the field it reads, so errors
// carry the field and the byte offset at which the input ran short.
#ifndef COCOON_ATTESTATION_DCAP_BYTE_READER_H_
#define COCOON_ATTESTATION_DCAP_BYTE_READER_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cocoon::attestation {

class ByteReader {
 public:
  // `what` names the structure ("TD quote") in error messages; `base` is the absolute offset of
  // `data` inside the enclosing input, so nested readers still report absolute offsets.
  ByteReader(absl::string_view data, absl::string_view what, size_t base = 0)
      : data_(data), what_(what), base_(base) {}

  size_t offset() const { return base_ + pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  bool empty() const { return pos_ == data_.size(); }

  // A located error: "<what>: <field> at byte <offset>: <message>".
  absl::Status Error(absl::string_view field, absl::string_view message) const {
    return ErrorAt(field, offset(), message);
  }
  absl::Status ErrorAt(absl::string_view field, size_t offset, absl::string_view message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": ", field, " at byte ", offset, ": ", message));
  }

  absl::StatusOr<absl::string_view> Bytes(size_t n, absl::string_view field) {
    if (n > remaining()) {
      return Error(field, absl::StrCat("needs ", n, " bytes, only ", remaining(), " left"));
    }
    absl::string_view out = data_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  absl::Status Skip(size_t n, absl::string_view field) { return Bytes(n, field).status(); }

  absl::StatusOr<uint8_t> U8(absl::string_view field) { return Int<uint8_t, false>(field); }
  absl::StatusOr<uint16_t> U16Le(absl::string_view field) { return Int<uint16_t, false>(field); }
  absl::StatusOr<uint32_t> U32Le(absl::string_view field) { return Int<uint32_t, false>(field); }
  absl::StatusOr<uint64_t> U64Le(absl::string_view field) { return Int<uint64_t, false>(field); }
  absl::StatusOr<uint16_t> U16Be(absl::string_view field) { return Int<uint16_t, true>(field); }
  absl::StatusOr<uint32_t> U32Be(absl::string_view field) { return Int<uint32_t, true>(field); }
  absl::StatusOr<uint64_t> U64Be(absl::string_view field) { return Int<uint64_t, true>(field); }

 private:
  template <typename T, bool kBigEndian>
  absl::StatusOr<T> Int(absl::string_view field) {
    auto bytes = Bytes(sizeof(T), field);
    if (!bytes.ok()) return bytes.status();
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      const size_t idx = kBigEndian ? i : sizeof(T) - 1 - i;
      v = static_cast<T>((v << 8) | static_cast<uint8_t>((*bytes)[idx]));
    }
    return v;
  }

  absl::string_view data_;
  absl::string_view what_;
  size_t base_;
  size_t pos_ = 0;
};

// Little-endian integer from the first bytes of `b` (which must be long enough).
inline uint32_t LoadU32Le(absl::string_view b) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[3])) << 24;
}
inline uint16_t LoadU16Le(absl::string_view b) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[0]) | static_cast<uint8_t>(b[1]) << 8);
}

}  // namespace cocoon::attestation

#endif  // COCOON_ATTESTATION_DCAP_BYTE_READER_H_
