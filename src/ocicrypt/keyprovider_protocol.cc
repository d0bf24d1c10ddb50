#include "ocicrypt/keyprovider_protocol.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/json.h"
#include "base/status.h"
#include "ocicrypt/keyprovider_json_util.h"

namespace cocoon::ocicrypt {
namespace {

// A byte field given as an integer array may not be longer than this; optsdata is a few hundred
// bytes and annotations a few kilobytes.
constexpr size_t kMaxByteArrayElements = 1u << 20;

// ---------------------------------------------------------------------------------------------
// Writing.

void AppendBase64Bytes(std::string* out, absl::string_view bytes) {
  std::string b64 = Base64Encode(bytes);
  out->push_back('"');
  out->append(b64);  // the std alphabet needs no JSON escaping
  out->push_back('"');
  WipeString(&b64);
}

void AppendIntArray(std::string* out, absl::string_view bytes) {
  out->push_back('[');
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out->push_back(',');
    absl::StrAppend(out, static_cast<unsigned>(static_cast<uint8_t>(bytes[i])));
  }
  out->push_back(']');
}

void AppendBytesField(std::string* out, const std::optional<absl::string_view>& bytes,
                      ByteFieldForm form) {
  if (!bytes.has_value()) {
    out->append("null");
  } else if (form == ByteFieldForm::kIntArray) {
    AppendIntArray(out, *bytes);
  } else {
    AppendBase64Bytes(out, *bytes);
  }
}

// Go writes map keys sorted by their bytes, which is the order of CryptoParameters.
void AppendParameters(std::string* out, const CryptoParameters& params) {
  out->push_back('{');
  bool first = true;
  for (const auto& [name, values] : params) {
    if (!first) out->push_back(',');
    first = false;
    AppendGoJsonString(out, name);
    out->append(":[");
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out->push_back(',');
      if (values[i].has_value()) {
        AppendBase64Bytes(out, *values[i]);
      } else {
        out->append("null");
      }
    }
    out->push_back(']');
  }
  out->push_back('}');
}

void AppendDecryptConfig(std::string* out, const DecryptConfig& dc) {
  out->append("{\"Parameters\":");
  AppendParameters(out, dc.parameters);
  out->push_back('}');
}

void AppendEncryptConfig(std::string* out, const EncryptConfig& ec) {
  out->append("{\"Parameters\":");
  AppendParameters(out, ec.parameters);
  out->append(",\"DecryptConfig\":");
  AppendDecryptConfig(out, ec.decrypt_config);
  out->push_back('}');
}

size_t ParametersSizeEstimate(const CryptoParameters& params) {
  size_t n = 2;
  for (const auto& [name, values] : params) {
    n += name.size() * 6 + 8;
    for (const auto& v : values) n += (v ? v->size() : 0) / 3 * 4 + 12;
  }
  return n;
}

std::optional<absl::string_view> ViewOf(const std::optional<SecretBytes>& s) {
  if (!s.has_value()) return std::nullopt;
  return s->view();
}

std::optional<absl::string_view> ViewOf(const std::optional<std::string>& s) {
  if (!s.has_value()) return std::nullopt;
  return absl::string_view(*s);
}

// ---------------------------------------------------------------------------------------------
// Reading.

absl::Status TypeError(absl::string_view path, absl::string_view want, const Json& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": expected ", want, ", got ", got.type_name()));
}

// Decodes a Go []byte field: null, a padded std-base64 string, or an array of integers 0..255.
// The decoded bytes go to `out` (which may be a SecretBytes through the Sink).
template <typename Sink>
absl::StatusOr<bool> DecodeBytes(Json& value, absl::string_view path, Sink&& sink) {
  if (value.is_null()) return false;
  if (value.is_string()) {
    std::string& text = value.get_ref<std::string&>();
    // Go's decoder skips CR and LF inside base64.
    std::string cleaned;
    cleaned.reserve(text.size());
    for (char c : text) {
      if (c != '\r' && c != '\n') cleaned.push_back(c);
    }
    WipeString(&text);
    auto decoded = Base64Decode(cleaned, Base64Alphabet::kStandard, Base64Padding::kRequired);
    WipeString(&cleaned);
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", decoded.status().message()));
    }
    sink(absl::string_view(*decoded));
    WipeString(&*decoded);
    return true;
  }
  if (value.is_array()) {
    if (value.size() > kMaxByteArrayElements) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": byte array longer than ", kMaxByteArrayElements, " elements"));
    }
    std::string bytes;
    bytes.reserve(value.size());
    for (size_t i = 0; i < value.size(); ++i) {
      Json& e = value[i];
      if (!e.is_number_integer() || e.get<int64_t>() < 0 || e.get<int64_t>() > 255) {
        WipeString(&bytes);
        return absl::InvalidArgumentError(absl::StrCat(path, "[", i, "]: not a byte value"));
      }
      bytes.push_back(static_cast<char>(e.get<int64_t>()));
      e = 0;
    }
    sink(absl::string_view(bytes));
    WipeString(&bytes);
    return true;
  }
  return TypeError(path, "a base64 string, an array of bytes or null", value);
}

absl::StatusOr<std::optional<std::string>> ParseOptionalBytes(Json& value, absl::string_view path) {
  std::string out;
  COCOON_ASSIGN_OR_RETURN(bool present, DecodeBytes(value, path, [&](absl::string_view b) {
                            out.assign(b.data(), b.size());
                          }));
  if (!present) return std::optional<std::string>();
  return std::optional<std::string>(std::move(out));
}

absl::StatusOr<std::optional<SecretBytes>> ParseOptionalSecret(Json& value,
                                                               absl::string_view path) {
  SecretBytes out;
  COCOON_ASSIGN_OR_RETURN(
      bool present, DecodeBytes(value, path, [&](absl::string_view b) { out = SecretBytes(b); }));
  if (!present) return std::optional<SecretBytes>();
  return std::optional<SecretBytes>(std::move(out));
}

// `Parameters` (Go map[string][][]byte). Returns true when it was null.
absl::StatusOr<bool> ParseParameters(Json& value, absl::string_view path, CryptoParameters* out) {
  out->clear();
  if (value.is_null()) return true;
  if (!value.is_object()) return TypeError(path, "an object or null", value);
  for (auto& [name, list] : value.items()) {
    const std::string item_path = absl::StrCat(path, ".", name);
    std::vector<std::optional<std::string>>& values = (*out)[name];
    if (list.is_null()) continue;
    if (!list.is_array()) return TypeError(item_path, "an array or null", list);
    values.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
      COCOON_ASSIGN_OR_RETURN(std::optional<std::string> v,
                              ParseOptionalBytes(list[i], absl::StrCat(item_path, "[", i, "]")));
      values.push_back(std::move(v));
    }
  }
  return false;
}

// Go DecryptConfig: {"Parameters": ...}. `null` leaves the struct unchanged, as in Go.
absl::Status ParseDecryptConfigInto(Json& value, absl::string_view path, DecryptConfig* dc,
                                    bool* parameters_null) {
  if (value.is_null()) return absl::OkStatus();
  if (!value.is_object()) return TypeError(path, "an object or null", value);
  COCOON_ASSIGN_OR_RETURN(Json * params, FindMember(value, "Parameters", path));
  if (params != nullptr) {
    COCOON_ASSIGN_OR_RETURN(
        *parameters_null,
        ParseParameters(*params, absl::StrCat(path, ".Parameters"), &dc->parameters));
  } else {
    *parameters_null = true;  // Go leaves a nil map
  }
  return absl::OkStatus();
}

absl::Status ParseEncryptConfigInto(Json& value, absl::string_view path, EncryptConfig* ec,
                                    bool* parameters_null, bool* dc_parameters_null) {
  if (value.is_null()) return absl::OkStatus();
  if (!value.is_object()) return TypeError(path, "an object or null", value);
  COCOON_ASSIGN_OR_RETURN(Json * params, FindMember(value, "Parameters", path));
  if (params != nullptr) {
    COCOON_ASSIGN_OR_RETURN(
        *parameters_null,
        ParseParameters(*params, absl::StrCat(path, ".Parameters"), &ec->parameters));
  } else {
    *parameters_null = true;
  }
  COCOON_ASSIGN_OR_RETURN(Json * dc, FindMember(value, "DecryptConfig", path));
  *dc_parameters_null = true;
  if (dc != nullptr) {
    COCOON_RETURN_IF_ERROR(ParseDecryptConfigInto(*dc, absl::StrCat(path, ".DecryptConfig"),
                                                  &ec->decrypt_config, dc_parameters_null));
  }
  return absl::OkStatus();
}

absl::StatusOr<Json> ParseMessage(absl::string_view json, absl::string_view what) {
  if (json.size() > kMaxKeyProviderMessageSize) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": message of ", json.size(),
                                                   " bytes exceeds the limit of ",
                                                   kMaxKeyProviderMessageSize));
  }
  auto parsed = ParseJson(json, what);
  if (!parsed.ok()) return SanitizeJsonError(parsed.status());
  if (!parsed->is_object()) return TypeError(what, "a JSON object", *parsed);
  return parsed;
}

}  // namespace

KeyProviderInput MakeKeyWrapInput(const EncryptConfig& ec, const SecretBytes& optsdata) {
  KeyProviderInput in;
  in.op = std::string(kOpKeyWrap);
  in.keywrap.ec = ec;
  in.keywrap.optsdata = optsdata.Clone();
  return in;
}

KeyProviderInput MakeKeyUnwrapInput(const DecryptConfig& dc, absl::string_view annotation) {
  KeyProviderInput in;
  in.op = std::string(kOpKeyUnwrap);
  in.keyunwrap.dc = dc;
  in.keyunwrap.annotation = std::string(annotation);
  return in;
}

std::string SerializeKeyProviderInput(const KeyProviderInput& input) {
  // Reserve enough up front so that no reallocation leaves a copy of the optsdata behind.
  size_t estimate = 160 + input.op.size() * 6;
  if (input.keywrap.ec) {
    estimate += ParametersSizeEstimate(input.keywrap.ec->parameters) +
                ParametersSizeEstimate(input.keywrap.ec->decrypt_config.parameters);
  }
  if (input.keywrap.optsdata) estimate += input.keywrap.optsdata->size() / 3 * 4 + 8;
  if (input.keyunwrap.dc) estimate += ParametersSizeEstimate(input.keyunwrap.dc->parameters);
  if (input.keyunwrap.annotation) estimate += input.keyunwrap.annotation->size() / 3 * 4 + 8;
  std::string out;
  out.reserve(estimate);

  out.append("{\"op\":");
  AppendGoJsonString(&out, input.op);
  out.append(",\"keywrapparams\":{\"ec\":");
  if (input.keywrap.ec) {
    AppendEncryptConfig(&out, *input.keywrap.ec);
  } else {
    out.append("null");
  }
  out.append(",\"optsdata\":");
  AppendBytesField(&out, ViewOf(input.keywrap.optsdata), ByteFieldForm::kBase64);
  out.append("},\"keyunwrapparams\":{\"dc\":");
  if (input.keyunwrap.dc) {
    AppendDecryptConfig(&out, *input.keyunwrap.dc);
  } else {
    out.append("null");
  }
  out.append(",\"annotation\":");
  AppendBytesField(&out, ViewOf(input.keyunwrap.annotation), ByteFieldForm::kBase64);
  out.append("}}");
  return out;
}

absl::StatusOr<KeyProviderInput> ParseKeyProviderInput(absl::string_view json) {
  COCOON_ASSIGN_OR_RETURN(Json doc, ParseMessage(json, "keyprovider input"));
  KeyProviderInput in;
  COCOON_ASSIGN_OR_RETURN(Json * op, FindMember(doc, "op", ""));
  if (op != nullptr && !op->is_null()) {
    if (!op->is_string()) return TypeError("op", "a string", *op);
    in.op = op->get<std::string>();
  }

  COCOON_ASSIGN_OR_RETURN(Json * wrap, FindMember(doc, "keywrapparams", ""));
  if (wrap != nullptr && !wrap->is_null()) {
    if (!wrap->is_object()) return TypeError("keywrapparams", "an object or null", *wrap);
    COCOON_ASSIGN_OR_RETURN(Json * ec, FindMember(*wrap, "ec", "keywrapparams"));
    if (ec != nullptr && !ec->is_null()) {
      in.keywrap.ec.emplace();
      COCOON_RETURN_IF_ERROR(ParseEncryptConfigInto(*ec, "keywrapparams.ec", &*in.keywrap.ec,
                                                    &in.keywrap.ec_parameters_null,
                                                    &in.keywrap.ec_dc_parameters_null));
    }
    COCOON_ASSIGN_OR_RETURN(Json * opts, FindMember(*wrap, "optsdata", "keywrapparams"));
    if (opts != nullptr) {
      COCOON_ASSIGN_OR_RETURN(in.keywrap.optsdata,
                              ParseOptionalSecret(*opts, "keywrapparams.optsdata"));
    }
  }

  COCOON_ASSIGN_OR_RETURN(Json * unwrap, FindMember(doc, "keyunwrapparams", ""));
  if (unwrap != nullptr && !unwrap->is_null()) {
    if (!unwrap->is_object()) return TypeError("keyunwrapparams", "an object or null", *unwrap);
    COCOON_ASSIGN_OR_RETURN(Json * dc, FindMember(*unwrap, "dc", "keyunwrapparams"));
    if (dc != nullptr && !dc->is_null()) {
      in.keyunwrap.dc.emplace();
      COCOON_RETURN_IF_ERROR(ParseDecryptConfigInto(*dc, "keyunwrapparams.dc", &*in.keyunwrap.dc,
                                                    &in.keyunwrap.dc_parameters_null));
    }
    COCOON_ASSIGN_OR_RETURN(Json * ann, FindMember(*unwrap, "annotation", "keyunwrapparams"));
    if (ann != nullptr) {
      COCOON_ASSIGN_OR_RETURN(in.keyunwrap.annotation,
                              ParseOptionalBytes(*ann, "keyunwrapparams.annotation"));
    }
  }
  return in;
}

std::string SerializeKeyProviderOutput(const KeyProviderOutput& output, ByteFieldForm form) {
  size_t estimate = 80;
  if (output.annotation) estimate += output.annotation->size() * 4;
  if (output.optsdata) estimate += output.optsdata->size() * 4;
  std::string out;
  out.reserve(estimate);
  if (form == ByteFieldForm::kIntArray) {
    // serde (guest-components) writes only the section the call produced:
    // {"keyunwrapresults":{"optsdata":[...]}} or {"keywrapresults":{"annotation":[...]}}.
    out.push_back('{');
    if (output.annotation || !output.optsdata) {
      out.append("\"keywrapresults\":{\"annotation\":");
      AppendBytesField(&out, ViewOf(output.annotation), form);
      out.push_back('}');
    }
    if (output.optsdata) {
      if (out.size() > 1) out.push_back(',');
      out.append("\"keyunwrapresults\":{\"optsdata\":");
      AppendBytesField(&out, ViewOf(output.optsdata), form);
      out.push_back('}');
    }
    out.push_back('}');
    return out;
  }
  // Go marshals both structs whatever the call (omitempty has no effect on structs).
  out.append("{\"keywrapresults\":{\"annotation\":");
  AppendBytesField(&out, ViewOf(output.annotation), form);
  out.append("},\"keyunwrapresults\":{\"optsdata\":");
  AppendBytesField(&out, ViewOf(output.optsdata), form);
  out.append("}}");
  return out;
}

absl::StatusOr<KeyProviderOutput> ParseKeyProviderOutput(absl::string_view json) {
  COCOON_ASSIGN_OR_RETURN(Json doc, ParseMessage(json, "keyprovider output"));
  KeyProviderOutput out;
  COCOON_ASSIGN_OR_RETURN(Json * wrap, FindMember(doc, "keywrapresults", ""));
  if (wrap != nullptr && !wrap->is_null()) {
    if (!wrap->is_object()) return TypeError("keywrapresults", "an object or null", *wrap);
    COCOON_ASSIGN_OR_RETURN(Json * ann, FindMember(*wrap, "annotation", "keywrapresults"));
    if (ann != nullptr) {
      COCOON_ASSIGN_OR_RETURN(out.annotation,
                              ParseOptionalBytes(*ann, "keywrapresults.annotation"));
    }
  }
  COCOON_ASSIGN_OR_RETURN(Json * unwrap, FindMember(doc, "keyunwrapresults", ""));
  if (unwrap != nullptr && !unwrap->is_null()) {
    if (!unwrap->is_object()) return TypeError("keyunwrapresults", "an object or null", *unwrap);
    COCOON_ASSIGN_OR_RETURN(Json * opts, FindMember(*unwrap, "optsdata", "keyunwrapresults"));
    if (opts != nullptr) {
      COCOON_ASSIGN_OR_RETURN(out.optsdata,
                              ParseOptionalSecret(*opts, "keyunwrapresults.optsdata"));
    }
  }
  return out;
}

absl::StatusOr<ProviderSpec> ParseProviderSpec(absl::string_view arg) {
  constexpr absl::string_view kPrefix = "provider:";
  if (!absl::StartsWith(arg, kPrefix)) {
    return absl::InvalidArgumentError("keyprovider argument must start with \"provider:\"");
  }
  arg.remove_prefix(kPrefix.size());
  ProviderSpec spec;
  const size_t colon = arg.find(':');
  if (colon == absl::string_view::npos) {
    spec.name = std::string(arg);
    spec.params = "Enabled";
  } else {
    spec.name = std::string(arg.substr(0, colon));
    spec.params = std::string(arg.substr(colon + 1));
  }
  if (spec.name.empty()) {
    return absl::InvalidArgumentError("keyprovider argument \"provider:...\" has an empty name");
  }
  return spec;
}

void AddProviderSpec(const ProviderSpec& spec, CryptoParameters* params) {
  (*params)[spec.name].push_back(spec.params);
}

void WipeString(std::string* s) {
  if (s->empty()) return;
  SecureZero(s->data(), s->size());
  s->clear();
}

}  // namespace cocoon::ocicrypt
