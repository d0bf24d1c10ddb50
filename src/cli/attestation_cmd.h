// `cocoon attestation verify` and `cocoon attestation collateral fetch`.
#ifndef COCOON_CLI_ATTESTATION_CMD_H_
#define COCOON_CLI_ATTESTATION_CMD_H_

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cocoon::cli {

struct AttestationVerifyArgs {
  std::string tee;  // tdx | az-tdx-vtpm | aztdxvtpm | sample
  std::string evidence_file;
  std::string report_data_hex;             // expected report data (the runtime-data digest)
  std::string init_data_hex;               // expected init-data digest
  std::string collateral;                  // a bundle directory or one collateral JSON file
  std::string collateral_config;           // JSON collateral config (network sources)
  std::string at;                          // RFC 3339 verification time
  std::vector<std::string> trusted_roots;  // extra root PEM files
};

struct CollateralFetchArgs {
  std::string fmspc_hex;
  std::string quote_file;  // derive FMSPC and CA kind from a quote instead
  std::string ca = "platform";
  std::string source = "pcs";
  std::string url;
  std::string azure_region;
  std::string update_type = "standard";
  std::string out_dir;
  std::string proxy;
  std::string ca_bundle;
  long timeout_seconds = 10;
};

// Registers the `attestation` command group; `exit_code` receives the result.
void RegisterAttestationCommands(CLI::App& app, int* exit_code);

// Prints the verification JSON on stdout; 0 when the evidence is authentic and bound.
int RunAttestationVerify(const AttestationVerifyArgs& args);
int RunCollateralFetch(const CollateralFetchArgs& args);

}  // namespace cocoon::cli

#endif  // COCOON_CLI_ATTESTATION_CMD_H_
