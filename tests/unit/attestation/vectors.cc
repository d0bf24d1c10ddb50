#include "vectors.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "base/encoding.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"

namespace cocoon::attestation::testing {

dcap::Collateral Gtg2023Collateral() {
  using ::cocoon::testing::ReadTestdata;
  dcap::Collateral c;
  auto tcb = dcap::SplitSignedJson(
      ReadTestdata("go-tdx-guest/testing/testdata/sample_tcbInfo_response"), "tcbInfo");
  EXPECT_TRUE(tcb.ok()) << tcb.status();
  auto qe = dcap::SplitSignedJson(
      ReadTestdata("go-tdx-guest/testing/testdata/sample_qeIdentity_response"), "enclaveIdentity");
  EXPECT_TRUE(qe.ok()) << qe.status();
  if (!tcb.ok() || !qe.ok()) return c;
  c.tcb_info_body = tcb->body;
  c.tcb_info_signature = tcb->signature;
  c.qe_identity_body = qe->body;
  c.qe_identity_signature = qe->signature;
  const std::string chains = "generated/tdx/from-go-tdx-guest-test_cases.go/";
  c.tcb_info_issuer_chain = ReadTestdata(chains + "tcbInfoIssuerChain.pem");
  c.qe_identity_issuer_chain = ReadTestdata(chains + "qeIdentityIssuerChain.pem");
  c.pck_crl_issuer_chain = ReadTestdata(chains + "pckCrlIssuerChain.pem");
  c.pck_crl = ReadTestdata("go-tdx-guest/testing/testdata/pckcrl");
  c.root_ca_crl = ReadTestdata("go-tdx-guest/testing/testdata/rootcrl.der");
  return c;
}

dcap::Collateral PhalaCollateral(const std::string& relative) {
  auto c = dcap::ParseCollateralJson(::cocoon::testing::ReadTestdata(relative));
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *c : dcap::Collateral{};
}

std::string ReadHexQuote(const std::string& relative) {
  std::string text = ::cocoon::testing::ReadTestdata(relative);
  absl::string_view v = absl::StripAsciiWhitespace(text);
  absl::ConsumePrefix(&v, "0x");
  auto raw = HexDecode(v);
  EXPECT_TRUE(raw.ok()) << raw.status();
  return raw.ok() ? *raw : "";
}

}  // namespace cocoon::attestation::testing
