#include "crypto/openssl_util.h"

#include <openssl/err.h>

#include <string>

#include "absl/strings/str_cat.h"

namespace cocoon::crypto {

absl::Status OpenSslError(absl::string_view what, absl::StatusCode code) {
  std::string reason;
  unsigned long err;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (reason.empty()) reason = buf;  // the first entry is the root cause
  }
  if (reason.empty()) return absl::Status(code, absl::StrCat(what, " failed"));
  return absl::Status(code, absl::StrCat(what, " failed: ", reason));
}

}  // namespace cocoon::crypto
