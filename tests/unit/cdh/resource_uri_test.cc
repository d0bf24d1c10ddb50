#include "cdh/resource_uri.h"

#include "gtest/gtest.h"

namespace cocoon::cdh {
namespace {

TEST(ResourceUriTest, ParsesDefaultPlugin) {
  auto uri = ParseResourceUri("kbs:///default/image_key/demo");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->plugin, "resource");
  EXPECT_EQ(uri->host, "");
  EXPECT_EQ(uri->ResourcePath(), "default/image_key/demo");
  EXPECT_TRUE(uri->IsRepoTypeTag());
  EXPECT_EQ(uri->ToString(), "kbs:///default/image_key/demo");
}

TEST(ResourceUriTest, HostPortPluginAndQuery) {
  auto uri = ParseResourceUri("kbs+plugin1://kbs.example:8080/a/b/c/d?x=1");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->plugin, "plugin1");
  EXPECT_EQ(uri->host, "kbs.example:8080");
  EXPECT_EQ(uri->ResourcePath(), "a/b/c/d");
  EXPECT_EQ(uri->query, "x=1");
  EXPECT_FALSE(uri->IsRepoTypeTag());
  EXPECT_EQ(uri->ToString(), "kbs+plugin1://kbs.example:8080/a/b/c/d?x=1");
  // kbs+resource is the default plugin.
  EXPECT_EQ(ParseResourceUri("kbs+resource:///r/t/g")->ToString(), "kbs:///r/t/g");
}

TEST(ResourceUriTest, UpstreamNestedUriFixtureParses) {
  // guest-components hub/src/image/test/v1.json
  auto uri = ParseResourceUri("kbs:///kbs:///default/key/1");
  ASSERT_TRUE(uri.ok()) << uri.status();
  EXPECT_EQ(uri->segments, (std::vector<std::string>{"kbs:", "", "", "default", "key", "1"}));
}

TEST(ResourceUriTest, RejectsBadUris) {
  for (const char* bad :
       {"", "default/key/1", "http:///a/b/c", "kbs+:///a/b/c", "kbs:/a/b/c", "kbs://host",
        "kbs:///", "kbs:///a/../c", "kbs:///a/b/c#frag", "kbs:///a b/c", "kbs+p$://h/a"}) {
    auto uri = ParseResourceUri(bad);
    EXPECT_FALSE(uri.ok()) << bad;
    if (!uri.ok()) {
      EXPECT_EQ(uri.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_NE(uri.status().message().find("resource URI"), absl::string_view::npos);
    }
  }
  EXPECT_FALSE(ParseResourceUri(std::string(5000, 'a')).ok());
}

TEST(ResourceUriTest, ErrorSaysWhy) {
  EXPECT_NE(ParseResourceUri("http:///a/b/c").status().message().find("scheme must be kbs"),
            absl::string_view::npos);
  EXPECT_NE(ParseResourceUri("kbs://h").status().message().find("no resource path"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace cocoon::cdh
