#include "ocicrypt/keyprovider_protocol.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/encoding.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rpc/keyprovider.pb.h"
#include "testing/testdata.h"

namespace cocoon::ocicrypt {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kDir[] = "generated/ocicrypt/keyprovider/";

std::string Vector(const std::string& name) {
  return cocoon::testing::ReadTestdata(absl::StrCat(kDir, name));
}

// The private options JSON that the Go vectors wrap.
std::string VectorOptsData() {
  auto in = ParseKeyProviderInput(Vector("keywrap_input.json"));
  EXPECT_TRUE(in.ok()) << in.status();
  if (!in.ok() || !in->keywrap.optsdata) return "";
  return std::string(in->keywrap.optsdata->view());
}

TEST(KeyProviderJsonTest, WrapRequestIsByteIdenticalToGo) {
  COCOON_TESTDATA_OR_SKIP(path, absl::StrCat(kDir, "keywrap_input.json"));
  const std::string go = Vector("keywrap_input.json");
  const std::string optsdata = VectorOptsData();
  ASSERT_THAT(optsdata, HasSubstr("\"symkey\""));

  EncryptConfig ec;
  ec.parameters["attestation-agent"].push_back(
      "keypath=/keys/key.bin::keyid=kbs:///default/image_key/nginx::algorithm=A256GCM");
  const std::string ours = SerializeKeyProviderInput(MakeKeyWrapInput(ec, SecretBytes(optsdata)));
  EXPECT_EQ(ours, go);
}

TEST(KeyProviderJsonTest, UnwrapRequestIsByteIdenticalToGo) {
  COCOON_TESTDATA_OR_SKIP(path, absl::StrCat(kDir, "keyunwrap_input.json"));
  const std::string go = Vector("keyunwrap_input.json");
  DecryptConfig dc;
  dc.parameters["attestation-agent"].push_back("Enabled");
  const std::string annotation =
      R"({"kid":"kbs:///default/image_key/nginx","wrapped_data":"...","iv":"...","wrap_type":"A256GCM"})";
  EXPECT_EQ(SerializeKeyProviderInput(MakeKeyUnwrapInput(dc, annotation)), go);
}

TEST(KeyProviderJsonTest, NodeKeyModelRequestIsGoBytesWithEmptyObjectForNullParameters) {
  COCOON_TESTDATA_OR_SKIP(path, absl::StrCat(kDir, "keyunwrap_input_nodekeymodel.json"));
  const std::string go = Vector("keyunwrap_input_nodekeymodel.json");
  auto in = ParseKeyProviderInput(go);
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_TRUE(in->keyunwrap.dc.has_value());
  EXPECT_TRUE(in->keyunwrap.dc_parameters_null);
  EXPECT_TRUE(in->keyunwrap.dc->parameters.empty());
  const std::string expected =
      absl::StrReplaceAll(go, {{R"("dc":{"Parameters":null})", R"("dc":{"Parameters":{}})"}});
  ASSERT_NE(expected, go);
  EXPECT_EQ(SerializeKeyProviderInput(*in), expected);
}

TEST(KeyProviderJsonTest, ParsedGoRequestsReserializeIdentically) {
  for (const char* name : {"keywrap_input.json", "keyunwrap_input.json"}) {
    COCOON_TESTDATA_OR_SKIP(path, absl::StrCat(kDir, name));
    const std::string go = Vector(name);
    auto in = ParseKeyProviderInput(go);
    ASSERT_TRUE(in.ok()) << name << ": " << in.status();
    EXPECT_FALSE(in->keywrap.ec_parameters_null);
    EXPECT_EQ(SerializeKeyProviderInput(*in), go) << name;
  }
}

TEST(KeyProviderJsonTest, RepliesAreByteIdenticalToGo) {
  COCOON_TESTDATA_OR_SKIP(path, absl::StrCat(kDir, "keywrap_output.json"));
  const std::string wrap_go = Vector("keywrap_output.json");
  auto wrap = ParseKeyProviderOutput(wrap_go);
  ASSERT_TRUE(wrap.ok()) << wrap.status();
  ASSERT_TRUE(wrap->annotation.has_value());
  EXPECT_THAT(*wrap->annotation, HasSubstr("\"wrap_type\":\"A256GCM\""));
  EXPECT_FALSE(wrap->optsdata.has_value());
  EXPECT_EQ(SerializeKeyProviderOutput(*wrap), wrap_go);

  const std::string unwrap_go = Vector("keyunwrap_output.json");
  auto unwrap = ParseKeyProviderOutput(unwrap_go);
  ASSERT_TRUE(unwrap.ok()) << unwrap.status();
  ASSERT_TRUE(unwrap->optsdata.has_value());
  EXPECT_EQ(unwrap->optsdata->view(), VectorOptsData());
  EXPECT_EQ(SerializeKeyProviderOutput(*unwrap), unwrap_go);
}

TEST(KeyProviderJsonTest, SerdeIntArrayReplyDecodesToTheSameOptsData) {
  COCOON_TESTDATA_OR_SKIP(path, absl::StrCat(kDir, "keyunwrap_output_serde_byte_array.json"));
  const std::string serde = Vector("keyunwrap_output_serde_byte_array.json");
  auto out = ParseKeyProviderOutput(serde);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_TRUE(out->optsdata.has_value());
  EXPECT_EQ(out->optsdata->view(), VectorOptsData());
  EXPECT_FALSE(out->annotation.has_value());
  // Written back in the int-array form: byte for byte what serde wrote.
  EXPECT_EQ(SerializeKeyProviderOutput(*out, ByteFieldForm::kIntArray), serde);
}

TEST(KeyProviderJsonTest, GrpcMessagesCarryTheJsonInFieldOne) {
  struct Case {
    const char* pb;
    const char* json;
    bool request;
  };
  for (const Case& c :
       {Case{"keywrap_input.grpc_request.pb", "keywrap_input.json", true},
        Case{"keyunwrap_input.grpc_request.pb", "keyunwrap_input.json", true},
        Case{"keywrap_output.grpc_response.pb", "keywrap_output.json", false},
        Case{"keyunwrap_output.grpc_response.pb", "keyunwrap_output.json", false}}) {
    COCOON_TESTDATA_OR_SKIP(path, absl::StrCat(kDir, c.pb));
    const std::string pb = Vector(c.pb);
    const std::string json = Vector(c.json);
    std::string ours;
    if (c.request) {
      keyprovider::keyProviderKeyWrapProtocolInput msg;
      ASSERT_TRUE(msg.ParseFromString(pb)) << c.pb;
      EXPECT_EQ(msg.keyproviderkeywrapprotocolinput(), json) << c.pb;
      msg.Clear();
      msg.set_keyproviderkeywrapprotocolinput(json);
      ours = msg.SerializeAsString();
    } else {
      keyprovider::keyProviderKeyWrapProtocolOutput msg;
      ASSERT_TRUE(msg.ParseFromString(pb)) << c.pb;
      EXPECT_EQ(msg.keyproviderkeywrapprotocoloutput(), json) << c.pb;
      msg.Clear();
      msg.set_keyproviderkeywrapprotocoloutput(json);
      ours = msg.SerializeAsString();
    }
    EXPECT_EQ(ours, pb) << c.pb;
  }
}

TEST(KeyProviderJsonTest, NullParameterElementsAndGoEscapingRoundTrip) {
  EncryptConfig ec;
  ec.parameters["privkeys"].push_back(std::string("\x00\xff", 2));
  ec.parameters["privkeys-passwords"].push_back(std::nullopt);
  ec.decrypt_config.parameters["a<b>&c"].push_back("");
  KeyProviderInput in = MakeKeyWrapInput(ec, SecretBytes(absl::string_view("{}")));
  const std::string json = SerializeKeyProviderInput(in);
  EXPECT_EQ(
      json,
      R"({"op":"keywrap","keywrapparams":{"ec":{"Parameters":{"privkeys":["AP8="],)"
      R"("privkeys-passwords":[null]},"DecryptConfig":{"Parameters":{"a\u003cb\u003e\u0026c":[""]}}},)"
      R"("optsdata":"e30="},"keyunwrapparams":{"dc":null,"annotation":null}})");
  auto back = ParseKeyProviderInput(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->keywrap.ec->parameters, ec.parameters);
  EXPECT_EQ(back->keywrap.ec->decrypt_config.parameters, ec.decrypt_config.parameters);
  EXPECT_EQ(SerializeKeyProviderInput(*back), json);
}

TEST(KeyProviderJsonTest, EmptyParametersAreWrittenAsEmptyObjects) {
  KeyProviderInput in = MakeKeyUnwrapInput(DecryptConfig(), "x");
  EXPECT_EQ(SerializeKeyProviderInput(in),
            R"({"op":"keyunwrap","keywrapparams":{"ec":null,"optsdata":null},)"
            R"("keyunwrapparams":{"dc":{"Parameters":{}},"annotation":"eA=="}})");
}

TEST(KeyProviderJsonTest, MemberNamesMatchCaseInsensitivelyLikeGo) {
  // "KEYUNWRAPRESULTS" and "OptsData" fold to the field names; U+212A (Kelvin sign) folds to k.
  auto out = ParseKeyProviderOutput(R"({"KEYUNWRAPRESULTS":{"OptsData":"aGk="}})");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->optsdata->view(), "hi");
  auto kelvin = ParseKeyProviderOutput(
      "{\"\xE2\x84\xAA"
      "eyunwrapresults\":{\"optsdata\":[104]}}");
  ASSERT_TRUE(kelvin.ok()) << kelvin.status();
  EXPECT_EQ(kelvin->optsdata->view(), "h");
  auto in = ParseKeyProviderInput(
      R"({"OP":"keyunwrap","KeyUnwrapParams":{"DC":{"parameters":{"p":["RW5hYmxlZA=="]}}}})");
  ASSERT_TRUE(in.ok()) << in.status();
  EXPECT_EQ(in->op, "keyunwrap");
  EXPECT_EQ(in->keyunwrap.dc->parameters.at("p")[0], "Enabled");
}

TEST(KeyProviderJsonTest, ExactNameWinsAndCaseVariantDuplicatesAreRejected) {
  auto exact =
      ParseKeyProviderOutput(R"({"keyunwrapresults":{"optsdata":"aGk=","OPTSDATA":"eA=="}})");
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->optsdata->view(), "hi");
  auto ambiguous =
      ParseKeyProviderOutput(R"({"keyunwrapresults":{"Optsdata":"aGk=","OPTSDATA":"eA=="}})");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_THAT(ambiguous.status().message(), HasSubstr("different letter cases"));
}

TEST(KeyProviderJsonTest, UnknownMembersAndNullsAreIgnored) {
  auto out = ParseKeyProviderOutput(
      R"({"extra":[1,{"x":2}],"keywrapresults":null,"keyunwrapresults":{"optsdata":null,"y":1}})");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->annotation.has_value());
  EXPECT_FALSE(out->optsdata.has_value());
}

TEST(KeyProviderJsonTest, Base64WithLineBreaksIsAccepted) {
  auto out = ParseKeyProviderOutput(R"({"keyunwrapresults":{"optsdata":"aG\r\nVsbG8="}})");
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->optsdata->view(), "hello");
}

TEST(KeyProviderJsonTest, ByteArrayWithOutOfRangeElementNamesTheIndex) {
  auto out = ParseKeyProviderOutput(R"({"keyunwrapresults":{"optsdata":[1,2,3,256]}})");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(out.status().message(), HasSubstr("keyunwrapresults.optsdata[3]: not a byte value"));
}

TEST(KeyProviderJsonTest, ByteArrayRejectsNegativeFractionalAndNonNumbers) {
  for (const char* bad : {"[-1]", "[1.0]", "[1e0]", "[\"1\"]", "[null]", "[true]", "[[1]]"}) {
    auto out =
        ParseKeyProviderOutput(absl::StrCat(R"({"keywrapresults":{"annotation":)", bad, "}}"));
    ASSERT_FALSE(out.ok()) << bad;
    EXPECT_THAT(out.status().message(), HasSubstr("keywrapresults.annotation[0]: not a byte value"))
        << bad;
  }
}

TEST(KeyProviderJsonTest, UnpaddedOrInvalidBase64IsRejectedWithThePath) {
  for (const char* bad : {"aGk", "a*k=", "aGk=="}) {
    auto out =
        ParseKeyProviderOutput(absl::StrCat(R"({"keyunwrapresults":{"optsdata":")", bad, "\"}}"));
    ASSERT_FALSE(out.ok()) << bad;
    EXPECT_THAT(out.status().message(), HasSubstr("keyunwrapresults.optsdata: base64")) << bad;
  }
}

TEST(KeyProviderJsonTest, WrongTypesNameTheField) {
  struct Case {
    const char* json;
    const char* message;
  };
  for (const Case& c : {
           Case{R"({"op":5})", "op: expected a string, got number"},
           Case{R"({"keywrapparams":[]})", "keywrapparams: expected an object or null"},
           Case{R"({"keywrapparams":{"ec":"x"}})", "keywrapparams.ec: expected an object"},
           Case{R"({"keywrapparams":{"ec":{"Parameters":[]}}})",
                "keywrapparams.ec.Parameters: expected an object or null"},
           Case{R"({"keyunwrapparams":{"dc":{"Parameters":{"n":"x"}}}})",
                "keyunwrapparams.dc.Parameters.n: expected an array or null"},
           Case{R"({"keyunwrapparams":{"dc":{"Parameters":{"n":[1]}}}})",
                "keyunwrapparams.dc.Parameters.n[0]: expected a base64 string"},
           Case{R"({"keyunwrapparams":{"annotation":{}}})",
                "keyunwrapparams.annotation: expected a base64 string, an array of bytes or null"},
           Case{R"([1])", "keyprovider input: expected a JSON object"},
       }) {
    auto in = ParseKeyProviderInput(c.json);
    ASSERT_FALSE(in.ok()) << c.json;
    EXPECT_THAT(in.status().message(), HasSubstr(c.message)) << c.json;
  }
}

TEST(KeyProviderJsonTest, SyntaxErrorsDoNotQuoteTheInput) {
  auto out = ParseKeyProviderOutput(R"({"keyunwrapresults":{"optsdata":"c2VjcmV0LXN5bWtleQ==)");
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("keyprovider output: invalid JSON at byte"));
  EXPECT_THAT(out.status().message(), Not(HasSubstr("c2VjcmV0")));
  auto garbage = ParseKeyProviderOutput("secret-symkey-material");
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(), Not(HasSubstr("secret")));
}

TEST(KeyProviderJsonTest, OversizedMessagesAreRejectedBeforeParsing) {
  const std::string big(kMaxKeyProviderMessageSize + 1, ' ');
  auto out = ParseKeyProviderOutput(big);
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(out.status().message(), HasSubstr("exceeds the limit"));
  auto in = ParseKeyProviderInput(big);
  ASSERT_FALSE(in.ok());
  EXPECT_THAT(in.status().message(), HasSubstr("exceeds the limit"));
}

TEST(KeyProviderJsonTest, DeeplyNestedInputIsRejected) {
  const std::string deep = absl::StrCat(R"({"x":)", std::string(5000, '['), "}");
  auto in = ParseKeyProviderInput(deep);
  ASSERT_FALSE(in.ok());
  EXPECT_THAT(in.status().message(), HasSubstr("nested deeper"));
}

TEST(ProviderSpecTest, SplitsNameAtTheFirstColonAndKeepsTheRest) {
  auto spec = ParseProviderSpec(
      "provider:attestation-agent:keypath=/k::keyid=kbs:///default/image_key/nginx");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "attestation-agent");
  EXPECT_EQ(spec->params, "keypath=/k::keyid=kbs:///default/image_key/nginx");
}

TEST(ProviderSpecTest, NoParamsMeansEnabled) {
  auto spec = ParseProviderSpec("provider:attestation-agent");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "attestation-agent");
  EXPECT_EQ(spec->params, "Enabled");
  auto empty = ParseProviderSpec("provider:kp:");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->params, "");
}

TEST(ProviderSpecTest, RejectsOtherPrefixesAndEmptyNames) {
  auto other = ParseProviderSpec("jwe:/k.pem");
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.status().message(), HasSubstr("must start with \"provider:\""));
  for (const char* bad : {"provider:", "provider::x"}) {
    auto s = ParseProviderSpec(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_THAT(s.status().message(), HasSubstr("empty name")) << bad;
  }
}

TEST(ProviderSpecTest, AddsParamsUnderTheProviderName) {
  CryptoParameters params;
  AddProviderSpec(*ParseProviderSpec("provider:kp:a=1"), &params);
  AddProviderSpec(*ParseProviderSpec("provider:kp"), &params);
  ASSERT_EQ(params.at("kp").size(), 2u);
  EXPECT_EQ(params.at("kp")[0], "a=1");
  EXPECT_EQ(params.at("kp")[1], "Enabled");
}

}  // namespace
}  // namespace cocoon::ocicrypt
