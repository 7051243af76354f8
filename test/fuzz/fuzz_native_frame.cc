// Native protocol: frame splitting, request payloads and the value codec. A payload that parses
// re-encodes to a payload that parses to the same encoding (the encoder is canonical), and a
// value that decodes re-encodes to bytes that decode to an equal value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "native_proto/frame.h"
#include "native_proto/value_codec.h"

using namespace kv::native;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);

  // Frames, one after another, as a connection reads them.
  FrameParser parser({size % 2 ? kUnauthMaxPayloadSize : kMaxPayloadSize});
  size_t pos = 0;
  while (pos < data.size()) {
    Frame frame;
    size_t used = 0;
    const auto r = parser.Parse(data.substr(pos), &used, &frame);
    if (r != FrameParser::Result::kOk) break;
    FUZZ_CHECK(used >= kFrameHeaderSize && used <= data.size() - pos);
    FUZZ_CHECK(frame.payload.size() == used - kFrameHeaderSize);
    Request req;
    std::string err;
    if (ParseRequest(frame.code, frame.payload, &req, &err)) {
      const std::string once = EncodeRequestPayload(req);
      Request again;
      FUZZ_CHECK(ParseRequest(frame.code, once, &again, &err));
      FUZZ_CHECK(EncodeRequestPayload(again) == once);
    } else {
      FUZZ_CHECK(!err.empty());
    }
    pos += used;
  }

  // The whole input as one encoded value.
  ValueDecoder decoder;
  Value v;
  size_t consumed = 0;
  if (decoder.Decode(data, &consumed, &v) == kv::DecodeError::kOk) {
    FUZZ_CHECK(consumed > 0 && consumed <= data.size());
    const std::string encoded = EncodeValue(v);
    Value back;
    size_t consumed2 = 0;
    FUZZ_CHECK(decoder.Decode(encoded, &consumed2, &back) == kv::DecodeError::kOk);
    FUZZ_CHECK(consumed2 == encoded.size());
    FUZZ_CHECK(back == v);
    FUZZ_CHECK(EncodeValue(back) == encoded);
  }
  return 0;
}
