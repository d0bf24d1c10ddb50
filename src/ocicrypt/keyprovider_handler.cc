#include "ocicrypt/keyprovider_handler.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "base/status.h"

namespace cocoon::ocicrypt {

absl::StatusOr<std::string> HandleKeyProviderRequest(KeyProviderHandler& handler,
                                                     KeyProviderCall call,
                                                     absl::string_view request,
                                                     ByteFieldForm form) {
  COCOON_ASSIGN_OR_RETURN(KeyProviderInput input, ParseKeyProviderInput(request));
  if (call == KeyProviderCall::kByOp) {
    if (input.op == kOpKeyWrap) {
      call = KeyProviderCall::kWrapKey;
    } else if (input.op == kOpKeyUnwrap) {
      call = KeyProviderCall::kUnwrapKey;
    } else {
      std::string op;
      AppendGoJsonString(&op, input.op.substr(0, 64));
      return absl::InvalidArgumentError(
          absl::StrCat("op: expected \"keywrap\" or \"keyunwrap\", got ", op));
    }
  }
  KeyProviderOutput output;
  if (call == KeyProviderCall::kWrapKey) {
    COCOON_ASSIGN_OR_RETURN(std::string annotation, handler.WrapKey(input));
    output.annotation = std::move(annotation);
  } else {
    COCOON_ASSIGN_OR_RETURN(SecretBytes optsdata, handler.UnwrapKey(input));
    output.optsdata = std::move(optsdata);
  }
  return SerializeKeyProviderOutput(output, form);
}

}  // namespace cocoon::ocicrypt
