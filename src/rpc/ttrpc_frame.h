// ttrpc framing: the 10-byte big-endian message header, the Request/Response payloads and
// blocking frame I/O on a connected socket. There is no C++ ttrpc library; this follows the wire
// format of containerd/ttrpc and Rust ttrpc 0.9, which the attestation agent and the
// confidential-data-hub speak over unix sockets.
//
// Header: u32 payload length (at most 4 MiB), u32 stream id (client-initiated streams are odd,
// starting at 1), u8 message type (1 request, 2 response, 3 data), u8 flags.
#ifndef COCOON_RPC_TTRPC_FRAME_H_
#define COCOON_RPC_TTRPC_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cocoon::rpc {

inline constexpr size_t kTtrpcHeaderSize = 10;
inline constexpr uint32_t kTtrpcMaxPayload = 4u << 20;

enum class TtrpcMessageType : uint8_t { kRequest = 1, kResponse = 2, kData = 3 };

struct TtrpcFrameHeader {
  uint32_t length = 0;
  uint32_t stream_id = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
};

std::string EncodeTtrpcHeader(const TtrpcFrameHeader& header);
// Decodes exactly kTtrpcHeaderSize bytes. A length above kTtrpcMaxPayload is kResourceExhausted.
absl::StatusOr<TtrpcFrameHeader> DecodeTtrpcHeader(absl::string_view bytes);

struct TtrpcRequest {
  std::string service;  // fully qualified proto service name, e.g.
                        // "attestation_agent.AttestationAgentService"
  std::string method;   // rpc name, e.g. "GetEvidence"
  std::string payload;  // serialized request message
  int64_t timeout_nano = 0;
  std::vector<std::pair<std::string, std::string>> metadata;
};

std::string SerializeTtrpcRequest(const TtrpcRequest& request);
absl::StatusOr<TtrpcRequest> ParseTtrpcRequest(absl::string_view bytes);

struct TtrpcResponse {
  absl::Status status;  // the peer's status; codes are the gRPC/absl numbers
  std::string payload;
};

std::string SerializeTtrpcResponse(const absl::Status& status, absl::string_view payload);
absl::StatusOr<TtrpcResponse> ParseTtrpcResponse(absl::string_view bytes);

// Maps a wire status code to an absl code (unknown numbers become kUnknown).
absl::StatusCode TtrpcCodeToAbsl(int32_t code);

struct TtrpcFrame {
  TtrpcFrameHeader header;
  std::string payload;
};

// Reads one frame. A clean end of stream before the first header byte is kCancelled ("connection
// closed"); a truncated frame is kDataLoss; an oversized length is kResourceExhausted (the payload
// is not read, so the caller must drop the connection).
absl::StatusOr<TtrpcFrame> ReadTtrpcFrame(int fd);
// Writes one frame (header and payload in one call sequence; the caller serializes writers).
absl::Status WriteTtrpcFrame(int fd, uint32_t stream_id, TtrpcMessageType type,
                             absl::string_view payload, uint8_t flags = 0);

// "unix:///abs/path", "unix:path" or a plain path → the file system path.
std::string TtrpcSocketPath(absl::string_view address);

}  // namespace cocoon::rpc

#endif  // COCOON_RPC_TTRPC_FRAME_H_
