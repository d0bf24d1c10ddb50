// The ocicrypt keyprovider protocol messages and their JSON form, shared by the `cmd` and gRPC
// transports (docs/reference/ocicrypt.md §3.3).
//
// Serialization reproduces Go encoding/json byte for byte, with one deliberate difference: a
// `Parameters` map is always written as an object (`{}` when empty), never `null`, because CoCo's
// Rust providers reject `null` there and Go accepts both. Both `keywrapparams` and
// `keyunwrapparams` (and both result objects) are always present, as Go writes them.
//
// Parsing is as lenient as Go where peers differ: byte fields are a padded std-base64 string (CR
// and LF ignored), a JSON array of integers 0..255 (serde's `Vec<u8>`), or null; unknown members
// are ignored; member names match case-insensitively, as Go's do. Everything else is checked
// strictly, and errors name the field path (`keyunwrapresults.optsdata[3]: not a byte value`).
// Error messages never contain byte-field contents.
#ifndef COCOON_OCICRYPT_KEYPROVIDER_PROTOCOL_H_
#define COCOON_OCICRYPT_KEYPROVIDER_PROTOCOL_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_bytes.h"
#include "ocicrypt/crypto_config.h"

namespace cocoon::ocicrypt {

// Upper bound for one protocol message in either direction (request, reply, cmd stdout).
inline constexpr size_t kMaxKeyProviderMessageSize = 16u << 20;

inline constexpr absl::string_view kOpKeyWrap = "keywrap";
inline constexpr absl::string_view kOpKeyUnwrap = "keyunwrap";

// Go `KeyWrapParams`: the encryption config and the private layer options to wrap.
struct KeyWrapParams {
  std::optional<EncryptConfig> ec;      // nullopt = "ec":null
  std::optional<SecretBytes> optsdata;  // nullopt = "optsdata":null
  // Set by the parser when the peer sent `"Parameters":null` (a Go nil map) rather than an object;
  // ignored by the serializer, which always writes `{}`.
  bool ec_parameters_null = false;
  bool ec_dc_parameters_null = false;
};

// Go `KeyUnwrapParams`: the decryption config and one annotation entry (raw bytes).
struct KeyUnwrapParams {
  std::optional<DecryptConfig> dc;        // nullopt = "dc":null
  std::optional<std::string> annotation;  // nullopt = "annotation":null
  bool dc_parameters_null = false;        // see KeyWrapParams::ec_parameters_null
};

// Go `KeyProviderKeyWrapProtocolInput`.
struct KeyProviderInput {
  std::string op;  // kOpKeyWrap or kOpKeyUnwrap
  KeyWrapParams keywrap;
  KeyUnwrapParams keyunwrap;
};

// Go `KeyProviderKeyWrapProtocolOutput`.
struct KeyProviderOutput {
  std::optional<std::string> annotation;  // keywrapresults.annotation
  std::optional<SecretBytes> optsdata;    // keyunwrapresults.optsdata
};

// How byte fields are written. Go writes base64 strings; serde (CoCo's Rust providers) writes
// integer arrays. Both forms are always accepted by the parsers.
enum class ByteFieldForm { kBase64, kIntArray };

// Requests as Go's client sends them.
KeyProviderInput MakeKeyWrapInput(const EncryptConfig& ec, const SecretBytes& optsdata);
KeyProviderInput MakeKeyUnwrapInput(const DecryptConfig& dc, absl::string_view annotation);

// JSON text of a request. It contains the optsdata of a wrap request, so callers wipe it
// (SecureZero) when done.
std::string SerializeKeyProviderInput(const KeyProviderInput& input);
absl::StatusOr<KeyProviderInput> ParseKeyProviderInput(absl::string_view json);

// JSON text of a reply; the `annotation` and `optsdata` fields use `form`. An unwrap reply
// contains the optsdata, so callers wipe it when done.
std::string SerializeKeyProviderOutput(const KeyProviderOutput& output,
                                       ByteFieldForm form = ByteFieldForm::kBase64);
absl::StatusOr<KeyProviderOutput> ParseKeyProviderOutput(absl::string_view json);

// A `provider:NAME[:PARAMS]` recipient or key argument (ocicrypt.md §2.4, §3.2).
struct ProviderSpec {
  std::string name;
  std::string params;  // "Enabled" when the argument has no second ':'
};

// Splits `provider:NAME[:PARAMS]` at the first ':' after the prefix; later colons stay in PARAMS.
// Errors: the prefix is missing or NAME is empty.
absl::StatusOr<ProviderSpec> ParseProviderSpec(absl::string_view arg);

// Appends the spec to `params` as Go's EncryptWithKeyProvider / DecryptWithKeyProvider do:
// params[NAME] gets PARAMS appended.
void AddProviderSpec(const ProviderSpec& spec, CryptoParameters* params);

// Wipes the bytes of a string that held secret material (a serialized message) and clears it.
void WipeString(std::string* s);

}  // namespace cocoon::ocicrypt

#endif  // COCOON_OCICRYPT_KEYPROVIDER_PROTOCOL_H_
