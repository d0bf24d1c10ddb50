#include "rpc/ttrpc_frame.h"

#include <gtest/gtest.h>

#include <string>

namespace cocoon::rpc {
namespace {

TEST(TtrpcFrameTest, HeaderIsBigEndian) {
  TtrpcFrameHeader h;
  h.length = 0x00020304;
  h.stream_id = 5;
  h.type = 2;
  h.flags = 0x80;
  std::string bytes = EncodeTtrpcHeader(h);
  EXPECT_EQ(bytes, std::string("\x00\x02\x03\x04\x00\x00\x00\x05\x02\x80", 10));
  auto back = DecodeTtrpcHeader(bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->length, 0x00020304u);
  EXPECT_EQ(back->stream_id, 5u);
  EXPECT_EQ(back->type, 2);
  EXPECT_EQ(back->flags, 0x80);
}

TEST(TtrpcFrameTest, OversizedAndShortHeadersRejected) {
  TtrpcFrameHeader h;
  h.length = kTtrpcMaxPayload + 1;
  auto r = DecodeTtrpcHeader(EncodeTtrpcHeader(h));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  h.length = kTtrpcMaxPayload;
  EXPECT_TRUE(DecodeTtrpcHeader(EncodeTtrpcHeader(h)).ok());
  EXPECT_FALSE(DecodeTtrpcHeader("short").ok());
}

TEST(TtrpcFrameTest, RequestRoundTrip) {
  TtrpcRequest req;
  req.service = "attestation_agent.AttestationAgentService";
  req.method = "GetEvidence";
  req.payload = std::string(
      "\x0a\x03"
      "abc",
      5);
  req.timeout_nano = 50'000'000'000;
  req.metadata = {{"k", "v"}};
  auto back = ParseTtrpcRequest(SerializeTtrpcRequest(req));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->service, req.service);
  EXPECT_EQ(back->method, req.method);
  EXPECT_EQ(back->payload, req.payload);
  EXPECT_EQ(back->timeout_nano, req.timeout_nano);
  ASSERT_EQ(back->metadata.size(), 1u);
  EXPECT_EQ(back->metadata[0].second, "v");
}

TEST(TtrpcFrameTest, RequestWireBytes) {
  // Field numbers as the Rust ttrpc crate encodes them: service=1, method=2, payload=3.
  // assign(count, char): GCC 12 at -O3 warns falsely (-Wrestrict) on one-character literals.
  TtrpcRequest req;
  req.service.assign(1, 's');
  req.method.assign(1, 'm');
  req.payload.assign(1, 'p');
  EXPECT_EQ(SerializeTtrpcRequest(req), std::string("\x0a\x01s\x12\x01m\x1a\x01p", 9));
}

TEST(TtrpcFrameTest, ResponseCarriesStatus) {
  std::string ok = SerializeTtrpcResponse(absl::OkStatus(), "payload");
  auto r = ParseTtrpcResponse(ok);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->status.ok());
  EXPECT_EQ(r->payload, "payload");

  auto e = ParseTtrpcResponse(SerializeTtrpcResponse(absl::NotFoundError("gone"), ""));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(e->status.message(), "gone");
  // status {code: 5, message: "gone"} as google.rpc.Status.
  EXPECT_EQ(SerializeTtrpcResponse(absl::NotFoundError("gone"), ""),
            std::string("\x0a\x08\x08\x05\x12\x04gone", 10));
}

TEST(TtrpcFrameTest, GarbageRejected) {
  EXPECT_FALSE(ParseTtrpcRequest(std::string("\xff\xff\xff\xff", 4)).ok());
  EXPECT_FALSE(ParseTtrpcResponse(std::string("\x0a\x10", 2)).ok());
  EXPECT_EQ(TtrpcCodeToAbsl(99), absl::StatusCode::kUnknown);
}

TEST(TtrpcFrameTest, SocketPath) {
  EXPECT_EQ(TtrpcSocketPath("unix:///run/aa.sock"), "/run/aa.sock");
  EXPECT_EQ(TtrpcSocketPath("unix:/run/aa.sock"), "/run/aa.sock");
  EXPECT_EQ(TtrpcSocketPath("/run/aa.sock"), "/run/aa.sock");
}

}  // namespace
}  // namespace cocoon::rpc
