#include "policy/value.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cocoon::policy {
namespace {

TEST(ValueTest, OrdersAcrossKinds) {
  EXPECT_LT(Value::Null(), Value::Bool(false));
  EXPECT_LT(Value::Bool(true), Value::Int(-5));
  EXPECT_LT(Value::Int(7), Value::String(""));
  EXPECT_LT(Value::String("z"), Value::Array({}));
  EXPECT_LT(Value::Array({}), Value::EmptyObject());
  EXPECT_LT(Value::EmptyObject(), Value::Set({}));
}

TEST(ValueTest, IntegralDoublesEqualInts) {
  EXPECT_EQ(Value::Number(2.0), Value::Int(2));
  EXPECT_TRUE(Value::Number(2.0).is_int());
  EXPECT_LT(Value::Int(1), Value::Number(1.5));
  EXPECT_FALSE(Value::Number(1e300).is_int());
}

TEST(ValueTest, SetsSortAndDeduplicate) {
  Value s = Value::Set({Value::Int(3), Value::Int(1), Value::Int(3), Value::Number(1.0)});
  EXPECT_EQ(s.ToJson(), "[1,3]");
  EXPECT_NE(s.Find(Value::Int(3)), nullptr);
  EXPECT_EQ(s.Find(Value::Int(2)), nullptr);
}

TEST(ValueTest, ObjectLookupAndJson) {
  Value o = Value::Object({{Value::String("b"), Value::Int(1)},
                           {Value::String("a"), Value::String("x\"\n")},
                           {Value::Int(1), Value::Null()}});
  EXPECT_EQ(o.ToJson(), R"({"1":null,"a":"x\"\n","b":1})");
  ASSERT_NE(o.FindKey("b"), nullptr);
  EXPECT_EQ(*o.FindKey("b"), Value::Int(1));
  EXPECT_EQ(o.FindKey("c"), nullptr);
  EXPECT_EQ(o.ToRego(), R"({1: null, "a": "x\"\n", "b": 1})");
}

TEST(ValueTest, FromJsonKeepsIntegersExact) {
  auto v = Value::FromJson(R"({"big": 9007199254740993, "f": 1.5, "u": 18446744073709551615})");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->FindKey("big")->as_int(), 9007199254740993);
  EXPECT_EQ(v->FindKey("f")->as_double(), 1.5);
  EXPECT_FALSE(v->FindKey("u")->is_int());
}

TEST(ValueTest, FromJsonRejectsBadInput) {
  EXPECT_FALSE(Value::FromJson("{").ok());
  EXPECT_FALSE(Value::FromJson("1e400").ok());
  EXPECT_FALSE(Value::FromJson(std::string(1000, '[') + std::string(1000, ']')).ok());
}

TEST(ValueTest, NumbersFormatShortest) {
  EXPECT_EQ(Value::Number(0.1).ToJson(), "0.1");
  EXPECT_EQ(Value::Int(-18).ToJson(), "-18");
  EXPECT_EQ(Value::Number(1e21).ToJson(), "1e+21");
}

}  // namespace
}  // namespace cocoon::policy
