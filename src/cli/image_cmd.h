// `cocoon image encrypt|decrypt|inspect`.
#ifndef COCOON_CLI_IMAGE_CMD_H_
#define COCOON_CLI_IMAGE_CMD_H_

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace cocoon::cli {

struct ImageCmdArgs {
  std::string src;
  std::string dst;
  std::vector<std::string> encryption_keys;  // jwe:FILE | provider:NAME[:PARAMS]
  std::vector<std::string> decryption_keys;  // FILE[:PASSWORD-SPEC] | provider:NAME[:PARAMS]
  std::vector<int> layers;
  std::vector<std::string> platforms;
  bool verify_before_release = false;
  bool json = false;
  bool quiet = false;
};

// Registers the `image` command group on `app`; `exit_code` receives the result of the
// subcommand that ran.
void RegisterImageCommands(CLI::App& app, int* exit_code);

int RunImageEncrypt(const ImageCmdArgs& args);
int RunImageDecrypt(const ImageCmdArgs& args);
int RunImageInspect(const ImageCmdArgs& args);

}  // namespace cocoon::cli

#endif  // COCOON_CLI_IMAGE_CMD_H_
