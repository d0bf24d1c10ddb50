// Fuzzes the ttrpc frame header and the Request/Response payload parsers a server and a client
// apply to bytes from the peer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rpc/ttrpc_frame.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  if (in.size() >= cocoon::rpc::kTtrpcHeaderSize) {
    auto header = cocoon::rpc::DecodeTtrpcHeader(in.substr(0, cocoon::rpc::kTtrpcHeaderSize));
    if (header.ok()) {
      std::string payload = in.substr(cocoon::rpc::kTtrpcHeaderSize);
      auto request = cocoon::rpc::ParseTtrpcRequest(payload);
      if (request.ok()) (void)cocoon::rpc::SerializeTtrpcRequest(*request);
      (void)cocoon::rpc::ParseTtrpcResponse(payload);
    }
  }
  (void)cocoon::rpc::ParseTtrpcRequest(in);
  return 0;
}
