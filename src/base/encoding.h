// Base64 (RFC 4648 standard and URL-safe alphabets, with or without padding) and hex.
//
// Decoders are strict about the alphabet and padding they are asked for, because Go's
// encoding/base64 (which produced most of the data we read) is, and a lenient decoder would
// accept annotations that every other implementation rejects. Errors name the byte offset.
#ifndef COCOON_BASE_ENCODING_H_
#define COCOON_BASE_ENCODING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon {

enum class Base64Alphabet { kStandard, kUrl };
enum class Base64Padding {
  kRequired,  // length must be a multiple of 4, '=' as needed (Go StdEncoding)
  kNone,      // no '=' allowed (Go RawURLEncoding, JOSE)
  kOptional,  // either form (for inputs written by hand or by lenient peers)
};

std::string Base64Encode(absl::string_view data,
                         Base64Alphabet alphabet = Base64Alphabet::kStandard, bool pad = true);
absl::StatusOr<std::string> Base64Decode(absl::string_view text,
                                         Base64Alphabet alphabet = Base64Alphabet::kStandard,
                                         Base64Padding padding = Base64Padding::kRequired);

// Shorthands for the two forms JOSE and ocicrypt use.
inline std::string Base64UrlEncode(absl::string_view data) {
  return Base64Encode(data, Base64Alphabet::kUrl, /*pad=*/false);
}
inline absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text) {
  return Base64Decode(text, Base64Alphabet::kUrl, Base64Padding::kNone);
}

std::string HexEncode(absl::string_view data);                  // lower case
absl::StatusOr<std::string> HexDecode(absl::string_view text);  // accepts either case

}  // namespace cocoon

#endif  // COCOON_BASE_ENCODING_H_
