// Image references on the command line, in skopeo's `oci:PATH[:TAG]` form.
#ifndef COCOON_CLI_IMAGE_REF_H_
#define COCOON_CLI_IMAGE_REF_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::cli {

struct ImageRef {
  std::string path;  // the OCI layout directory
  std::string tag;   // org.opencontainers.image.ref.name; empty = the only image in the layout
};

// Parses "oci:PATH[:TAG]". As in skopeo, the path ends at the first ':' after the transport.
absl::StatusOr<ImageRef> ParseImageRef(absl::string_view text);

}  // namespace cocoon::cli

#endif  // COCOON_CLI_IMAGE_REF_H_
