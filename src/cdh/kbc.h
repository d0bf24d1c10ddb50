// Key broker clients (KBCs): where the confidential-data-hub gets resources (layer KEKs, files)
// named by KBS resource URIs. `offline_fs_kbc` reads local files; `cc_kbc` (attested, through the
// attestation agent and a KBS) plugs in behind the same interface.
#ifndef COCOON_CDH_KBC_H_
#define COCOON_CDH_KBC_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "cdh/config.h"
#include "cdh/resource_uri.h"

namespace cocoon::cdh {

class Kbc {
 public:
  virtual ~Kbc() = default;
  virtual absl::string_view name() const = 0;
  // The resource's bytes. A missing resource is kNotFound with a message naming its path (never
  // its value); transport or attestation failures keep their own codes.
  virtual absl::StatusOr<SecretBytes> GetResource(const ResourceUri& uri) = 0;
};

using KbcFactory = std::function<absl::StatusOr<std::unique_ptr<Kbc>>(
    const KbcConfig& config, std::vector<std::string>* warnings)>;
// Makes NewKbc build the KBC `name` with `factory`. cc_kbc is added this way
// (cdh/cc_kbc.h RegisterCcKbc()), so that binaries and fuzz targets without it do not link the
// KBS client. Call before NewKbc, e.g. first thing in main().
void RegisterKbcFactory(absl::string_view name, KbcFactory factory);

// Builds the KBC the config names. `warnings` receives one line per non-fatal finding (a missing
// offline_fs file, a duplicate key). Unknown names are an error listing the supported ones.
absl::StatusOr<std::unique_ptr<Kbc>> NewKbc(const KbcConfig& config,
                                            std::vector<std::string>* warnings);

}  // namespace cocoon::cdh

#endif  // COCOON_CDH_KBC_H_
