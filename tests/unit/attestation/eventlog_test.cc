#include "attestation/eventlog/ccel.h"

#include "base/encoding.h"
#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/testdata.h"

namespace cocoon::attestation::eventlog {
namespace {

using ::cocoon::testing::ReadTestdata;
using ::testing::HasSubstr;

struct ReplayVector {
  const char* file;
  const char* rtmr[4];
};

const std::string kZero(96, '0');

const ReplayVector kVectors[] = {
    {"CCEL_data",
     {"2dc712306a963eadb894ad47dbaa17df44814151555aee11cbb843becca88950ffd079664902e6f22c66f7c82135"
      "43f4",
      "0fa3be56af61208bbd179dc7b124988eb929319154663c539d6f46445ecac2fec287075047ff7bd1922829fec28c"
      "d3cf",
      nullptr, nullptr}},
    {"CCEL_data_ovmf",
     {"8566f998798db09443b244c62de9a3041fb02e2e6936c4396d784bba2e90177329ec5aba3bb484404f2ab9cc90ab"
      "e193",
      "775b9f6bfe99f8a31396f0d0218e67ffa796d3b96ccf961cbb0deba48c79c00f082cda1a5567c1c16305f1fc210c"
      "13c6",
      "94eaf7a7bf398ed8d888c91057ae0261802e4f3df084213a76ca7f0b5055ac9d2241de43cd58d9e8b49c503bbf25"
      "f34a",
      nullptr}},
    {"CCEL_data_grub",
     {"cec0a104f691f60da2387fea3c2de00c4ac035e2bb479ff02edcce69039d9e9907f0b3e55031da3dc7038f423ade"
      "bd79",
      "6c289e0c62182d41ebe97bdbc9872d10998a08eaa86adcdc684001a363207ee72942c7522cdf00a4bbc3d784bed7"
      "b670",
      "08919d017ba0e52cd6d966351c7de16fe76c1d3d3d3da4554239e4c7d16cb8b82a94e7eaea3a0e6e18eb690b999f"
      "d31e",
      nullptr}},
    {"CCEL_data_gcp",
     {"3300980705adf09d28b707b79699d9874892164280832be2c386a715b6e204e0897fb564a064f810659207ba862b"
      "304f",
      "204d49f78d29918fe7b2f694e76653861a0c2a018987d2c3a54266eff737232524cf0af68c4d180e2f8c2c0937f2"
      "1967",
      nullptr, nullptr}},
    {"CCEL_data_grub_gke",
     {"bc9945139042cf2cc75caf920aa57f14884ecfd7e893bccc51250c8ce90eb53ce72741e6adaa18183eb1331a87d4"
      "544a",
      "c17cb288a4dee302bb9ed8d27257a168f3264ad68cab53757f37eeaa7039657fa887cad65cf910e0fdc435ff110f"
      "8a7b",
      "334aeba2c985f8886cea97d1ecffbd512769d528b9a94009583db667ad7d2faa7d37fa145d75b192ceee2d2f10b2"
      "eb6d",
      nullptr}},
};

TEST(CcelTest, ReplayMatchesTheExpectedRtmrsOfEveryUpstreamLog) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/eventlog/test_data/CCEL_data");
  for (const auto& v : kVectors) {
    auto log = ParseCcel(ReadTestdata(std::string("trustee/deps/eventlog/test_data/") + v.file));
    ASSERT_TRUE(log.ok()) << v.file << ": " << log.status();
    auto rtmrs = ReplayRtmrs(*log);
    ASSERT_TRUE(rtmrs.ok());
    std::array<std::string, 4> expected;
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(HexEncode((*rtmrs)[i]), v.rtmr[i] ? v.rtmr[i] : kZero) << v.file << " RTMR" << i;
      expected[i] = *HexDecode(v.rtmr[i] ? v.rtmr[i] : kZero);
    }
    EXPECT_TRUE(CheckRtmrs(*log, expected).ok()) << v.file;
  }
}

TEST(CcelTest, WrongRtmrReportsCalculatedAndGivenValues) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/eventlog/test_data/CCEL_data");
  auto log = ParseCcel(ReadTestdata("trustee/deps/eventlog/test_data/CCEL_data"));
  ASSERT_TRUE(log.ok());
  std::array<std::string, 4> rtmrs;
  rtmrs.fill(std::string(48, '\0'));
  auto st = CheckRtmrs(*log, rtmrs);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(st.message(), HasSubstr("Eventlog does not pass measurement replay"));
  EXPECT_THAT(st.message(), HasSubstr("Calculated value: 2dc71230"));
  EXPECT_THAT(st.message(), HasSubstr("Given value: 0000"));
}

TEST(CcelTest, ParsedEventsMatchTrusteeJsonExactly) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/eventlog/test_data/CCEL_data_out.json");
  for (const char* f : {"CCEL_data", "CCEL_data_ovmf", "CCEL_data_grub", "CCEL_data_grub_gke",
                        "CCEL_data_csv", "CCEL_AAEL_alibabacloud"}) {
    const std::string dir = "trustee/deps/eventlog/test_data/";
    auto log = ParseCcel(ReadTestdata(dir + f));
    ASSERT_TRUE(log.ok()) << f << ": " << log.status();
    auto got = ParseJson(EventLogJson(*log), "got");
    auto want = ParseJson(ReadTestdata(dir + f + "_out.json"), "want");
    ASSERT_TRUE(got.ok() && want.ok());
    const Json& w = (*want)["uefi_event_logs"];
    ASSERT_EQ(got->size(), w.size()) << f;
    for (size_t i = 0; i < w.size(); ++i) {
      EXPECT_EQ((*got)[i], w[i]) << f << " event " << i << "\n got: " << (*got)[i].dump()
                                 << "\nwant: " << w[i].dump();
    }
  }
}

TEST(CcelTest, TruncatedLogReportsFieldAndOffset) {
  COCOON_TESTDATA_OR_SKIP(path, "trustee/deps/eventlog/test_data/CCEL_data");
  const std::string bytes = ReadTestdata("trustee/deps/eventlog/test_data/CCEL_data");
  auto log = ParseCcel(absl::string_view(bytes).substr(0, 150));
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(log.status().message(), HasSubstr(" at byte "));
  EXPECT_FALSE(ParseCcel("").ok());
}

}  // namespace
}  // namespace cocoon::attestation::eventlog
