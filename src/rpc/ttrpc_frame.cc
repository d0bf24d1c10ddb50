#include "rpc/ttrpc_frame.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "rpc/ttrpc.pb.h"

namespace cocoon::rpc {
namespace {

void PutU32(std::string* out, uint32_t v) {
  out->push_back(static_cast<char>(v >> 24));
  out->push_back(static_cast<char>(v >> 16));
  out->push_back(static_cast<char>(v >> 8));
  out->push_back(static_cast<char>(v));
}

uint32_t GetU32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Reads exactly `len` bytes. Returns the number read before EOF (less than len) or an error.
absl::StatusOr<size_t> ReadFull(int fd, char* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::read(fd, buf + done, len - done);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      if (err == ECONNRESET || err == EBADF || err == ENOTCONN) {
        return absl::CancelledError(absl::StrCat("ttrpc: connection closed: ", std::strerror(err)));
      }
      return absl::UnavailableError(absl::StrCat("ttrpc: read failed: ", std::strerror(err)));
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

absl::Status WriteFull(int fd, const char* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::send(fd, buf + done, len - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("ttrpc: write failed: ", std::strerror(errno)));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace

std::string EncodeTtrpcHeader(const TtrpcFrameHeader& header) {
  std::string out;
  out.reserve(kTtrpcHeaderSize);
  PutU32(&out, header.length);
  PutU32(&out, header.stream_id);
  out.push_back(static_cast<char>(header.type));
  out.push_back(static_cast<char>(header.flags));
  return out;
}

absl::StatusOr<TtrpcFrameHeader> DecodeTtrpcHeader(absl::string_view bytes) {
  if (bytes.size() != kTtrpcHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttrpc header: expected ", kTtrpcHeaderSize, " bytes, got ", bytes.size()));
  }
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  TtrpcFrameHeader h;
  h.length = GetU32(p);
  h.stream_id = GetU32(p + 4);
  h.type = p[8];
  h.flags = p[9];
  if (h.length > kTtrpcMaxPayload) {
    return absl::ResourceExhaustedError(absl::StrCat("ttrpc header: payload length ", h.length,
                                                     " at offset 0 exceeds the limit of ",
                                                     kTtrpcMaxPayload, " bytes"));
  }
  return h;
}

std::string SerializeTtrpcRequest(const TtrpcRequest& request) {
  ttrpc::Request pb;
  pb.set_service(request.service);
  pb.set_method(request.method);
  pb.set_payload(request.payload);
  pb.set_timeout_nano(request.timeout_nano);
  for (const auto& [k, v] : request.metadata) {
    ttrpc::KeyValue* kv = pb.add_metadata();
    kv->set_key(k);
    kv->set_value(v);
  }
  return pb.SerializeAsString();
}

absl::StatusOr<TtrpcRequest> ParseTtrpcRequest(absl::string_view bytes) {
  ttrpc::Request pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ttrpc request: not a valid ttrpc.Request message (", bytes.size(), " bytes)"));
  }
  TtrpcRequest r;
  r.service = pb.service();
  r.method = pb.method();
  r.payload = pb.payload();
  r.timeout_nano = pb.timeout_nano();
  for (const auto& kv : pb.metadata()) r.metadata.emplace_back(kv.key(), kv.value());
  return r;
}

absl::StatusCode TtrpcCodeToAbsl(int32_t code) {
  if (code < 0 || code > 16) return absl::StatusCode::kUnknown;
  return static_cast<absl::StatusCode>(code);
}

std::string SerializeTtrpcResponse(const absl::Status& status, absl::string_view payload) {
  ttrpc::Response pb;
  pb.mutable_status()->set_code(static_cast<int32_t>(status.code()));
  if (!status.ok()) pb.mutable_status()->set_message(std::string(status.message()));
  pb.set_payload(std::string(payload));
  return pb.SerializeAsString();
}

absl::StatusOr<TtrpcResponse> ParseTtrpcResponse(absl::string_view bytes) {
  ttrpc::Response pb;
  if (!pb.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ttrpc response: not a valid ttrpc.Response message (", bytes.size(), " bytes)"));
  }
  TtrpcResponse r;
  int32_t code = pb.has_status() ? pb.status().code() : 0;
  if (code != 0) {
    r.status = absl::Status(TtrpcCodeToAbsl(code), pb.status().message());
  }
  r.payload = pb.payload();
  return r;
}

absl::StatusOr<TtrpcFrame> ReadTtrpcFrame(int fd) {
  char hdr[kTtrpcHeaderSize];
  auto got = ReadFull(fd, hdr, sizeof(hdr));
  if (!got.ok()) return got.status();
  if (*got == 0) return absl::CancelledError("ttrpc: connection closed");
  if (*got < sizeof(hdr)) {
    return absl::DataLossError(
        absl::StrCat("ttrpc: connection closed inside a frame header after ", *got, " bytes"));
  }
  auto header = DecodeTtrpcHeader(absl::string_view(hdr, sizeof(hdr)));
  if (!header.ok()) return header.status();
  TtrpcFrame frame;
  frame.header = *header;
  frame.payload.resize(header->length);
  if (header->length > 0) {
    auto n = ReadFull(fd, frame.payload.data(), header->length);
    if (!n.ok()) return n.status();
    if (*n < header->length) {
      return absl::DataLossError(
          absl::StrCat("ttrpc: connection closed inside a payload at offset ",
                       kTtrpcHeaderSize + *n, " of ", kTtrpcHeaderSize + header->length));
    }
  }
  return frame;
}

absl::Status WriteTtrpcFrame(int fd, uint32_t stream_id, TtrpcMessageType type,
                             absl::string_view payload, uint8_t flags) {
  if (payload.size() > kTtrpcMaxPayload) {
    return absl::ResourceExhaustedError(absl::StrCat("ttrpc: payload of ", payload.size(),
                                                     " bytes exceeds the limit of ",
                                                     kTtrpcMaxPayload, " bytes"));
  }
  TtrpcFrameHeader h;
  h.length = static_cast<uint32_t>(payload.size());
  h.stream_id = stream_id;
  h.type = static_cast<uint8_t>(type);
  h.flags = flags;
  std::string buf = EncodeTtrpcHeader(h);
  buf.append(payload.data(), payload.size());
  return WriteFull(fd, buf.data(), buf.size());
}

std::string TtrpcSocketPath(absl::string_view address) {
  if (absl::StartsWith(address, "unix://")) return std::string(address.substr(7));
  if (absl::StartsWith(address, "unix:")) return std::string(address.substr(5));
  return std::string(address);
}

}  // namespace cocoon::rpc
