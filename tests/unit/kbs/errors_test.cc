#include "kbs/errors.h"

#include "base/json.h"
#include "base/status.h"
#include "gtest/gtest.h"

namespace cocoon::kbs {
namespace {

TEST(ErrorsTest, BodyAndStatusAsUpstream) {
  HttpError e = ToHttpError(KbsError(ErrorType::kPolicyDeny, "Access denied by policy"));
  EXPECT_EQ(e.status, 401);
  EXPECT_EQ(e.body, R"({"type":"https://github.com/confidential-containers/kbs/errors/PolicyDeny",)"
                    R"("detail":"Access denied by policy"})");
  EXPECT_EQ(ToHttpError(KbsError(ErrorType::kPluginNotFound, "x")).status, 404);
  EXPECT_EQ(ToHttpError(KbsError(ErrorType::kInvalidRequestPath, "x")).status, 404);
  EXPECT_EQ(ToHttpError(KbsError(ErrorType::kTokenNotFound, "x")).status, 401);
  EXPECT_EQ(ToHttpError(KbsError(ErrorType::kPayloadTooLarge, "x")).status, 413);
}

TEST(ErrorsTest, InnermostTagWinsAndUntaggedIsPluginInternalError) {
  absl::Status inner = KbsError(ErrorType::kJweError, "JWE failed");
  absl::Status wrapped = WithErrorType(Annotate(inner, "ctx"), ErrorType::kSerdeError, "outer");
  EXPECT_EQ(GetErrorType(wrapped), ErrorType::kJweError);
  HttpError e = ToHttpError(absl::InternalError("boom"));
  EXPECT_EQ(e.type, ErrorType::kPluginInternalError);
  auto body = ParseJson(e.body, "body");
  EXPECT_EQ((*body)["detail"], "Plugin internal error: boom");
}

}  // namespace
}  // namespace cocoon::kbs
