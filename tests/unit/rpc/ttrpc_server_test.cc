#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "base/file_util.h"
#include "rpc/ttrpc_client.h"
#include "rpc/ttrpc_frame.h"
#include "rpc/ttrpc_server.h"

namespace cocoon::rpc {
namespace {

constexpr char kSvc[] = "test.Echo";

class TtrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("/tmp/ttrpc_test_");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
    address_ = "unix://" + dir_ + "/sub/agent.sock";
    server_.Register(kSvc, "Echo", [](absl::string_view req) -> absl::StatusOr<std::string> {
      return std::string("echo:") + std::string(req);
    });
    server_.Register(kSvc, "Sleep", [](absl::string_view req) -> absl::StatusOr<std::string> {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoi(std::string(req))));
      return std::string(req);
    });
    server_.Register(kSvc, "Deny", [](absl::string_view) -> absl::StatusOr<std::string> {
      return absl::PermissionDeniedError("no");
    });
    server_.Register(kSvc, "Huge", [](absl::string_view) -> absl::StatusOr<std::string> {
      return std::string(kTtrpcMaxPayload + 10, 'x');
    });
    ASSERT_TRUE(server_.Start(address_).ok());
  }
  void TearDown() override {
    server_.Stop();
    (void)RemoveAll(dir_);
  }

  int RawConnect() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string path = server_.socket_path();
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    return fd;
  }

  std::string dir_;
  std::string address_;
  TtrpcServer server_;
};

TEST_F(TtrpcServerTest, RoundTrip) {
  auto client = TtrpcClient::Connect(address_);
  ASSERT_TRUE(client.ok()) << client.status();
  for (int i = 0; i < 3; ++i) {
    auto r = (*client)->Call(kSvc, "Echo", "hello");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r, "echo:hello");
  }
  auto empty = (*client)->Call(kSvc, "Echo", "");
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "echo:");
}

TEST_F(TtrpcServerTest, UnknownMethodIsNotFound) {
  auto client = TtrpcClient::Connect(address_);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Call(kSvc, "BindInitData", "x");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "/test.Echo/BindInitData is not supported");
}

TEST_F(TtrpcServerTest, HandlerStatusIsMapped) {
  auto client = TtrpcClient::Connect(address_);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Call(kSvc, "Deny", "");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(r.status().message(), "no");
  auto huge = (*client)->Call(kSvc, "Huge", "");
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kResourceExhausted);
}

TEST_F(TtrpcServerTest, ConcurrentCallsOnOneConnection) {
  // Each "Gather" call waits until all of them are in their handlers at once, which only happens
  // if the server runs the streams of one connection concurrently.
  constexpr int kCalls = 6;
  std::atomic<int> arrived{0};
  TtrpcServer server;
  server.Register(kSvc, "Gather", [&](absl::string_view) -> absl::StatusOr<std::string> {
    ++arrived;
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (arrived.load() < kCalls && absl::Now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return std::string(arrived.load() >= kCalls ? "together" : "alone");
  });
  std::string address = "unix://" + dir_ + "/gather.sock";
  ASSERT_TRUE(server.Start(address).ok());
  auto client = TtrpcClient::Connect(address);
  ASSERT_TRUE(client.ok());
  TtrpcClient* c = client->get();
  std::vector<std::thread> threads;
  std::atomic<int> together{0};
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&] {
      auto r = c->Call(kSvc, "Gather", "");
      if (r.ok() && *r == "together") ++together;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(together.load(), kCalls);
}

TEST_F(TtrpcServerTest, ClientTimeout) {
  auto client = TtrpcClient::Connect(address_);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Call(kSvc, "Sleep", "400", absl::Milliseconds(50));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  // The late response is dropped and the connection keeps working.
  auto next = (*client)->Call(kSvc, "Echo", "after");
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(*next, "echo:after");
}

TEST_F(TtrpcServerTest, ServerStopWhileClientWaits) {
  auto client = TtrpcClient::Connect(address_);
  ASSERT_TRUE(client.ok());
  absl::StatusOr<std::string> result;
  std::thread caller([&] { result = (*client)->Call(kSvc, "Sleep", "300", absl::Seconds(10)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server_.Stop();
  caller.join();
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  auto after = (*client)->Call(kSvc, "Echo", "x");
  EXPECT_EQ(after.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(TtrpcClient::Connect(address_).ok());
}

TEST_F(TtrpcServerTest, OversizedFrameClosesConnection) {
  int fd = RawConnect();
  TtrpcFrameHeader h;
  h.length = kTtrpcMaxPayload + 1;
  h.stream_id = 1;
  h.type = 1;
  std::string bytes = EncodeTtrpcHeader(h);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  char buf[16];
  EXPECT_EQ(::read(fd, buf, sizeof(buf)), 0);  // closed without a response
  ::close(fd);
  // The server keeps serving other connections.
  auto client = TtrpcClient::Connect(address_);
  ASSERT_TRUE(client.ok());
  EXPECT_TRUE((*client)->Call(kSvc, "Echo", "x").ok());
}

TEST_F(TtrpcServerTest, GarbageRequestGetsInvalidArgument) {
  int fd = RawConnect();
  ASSERT_TRUE(
      WriteTtrpcFrame(fd, 1, TtrpcMessageType::kRequest, std::string("\xff\xff\xff", 3)).ok());
  auto frame = ReadTtrpcFrame(fd);
  ASSERT_TRUE(frame.ok()) << frame.status();
  EXPECT_EQ(frame->header.stream_id, 1u);
  EXPECT_EQ(frame->header.type, 2);
  auto response = ParseTtrpcResponse(frame->payload);
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status.code(), absl::StatusCode::kInvalidArgument);
  // A truncated frame ends the connection.
  ASSERT_EQ(::write(fd, "\x00\x00\x00\x10\x00", 5), 5);
  ::shutdown(fd, SHUT_WR);
  char buf[16];
  EXPECT_EQ(::read(fd, buf, sizeof(buf)), 0);
  ::close(fd);
}

TEST_F(TtrpcServerTest, StaleSocketReplaced) {
  TtrpcServer second;
  second.Register(kSvc, "Echo", [](absl::string_view) -> absl::StatusOr<std::string> {
    return std::string("second");
  });
  server_.Stop();
  // Stop removed the socket; leave a stale one behind by binding a raw socket.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = TtrpcSocketPath(address_);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  ASSERT_TRUE(second.Start(address_).ok());
  auto client = TtrpcClient::Connect(address_);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->Call(kSvc, "Echo", "");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "second");
}

}  // namespace
}  // namespace cocoon::rpc
