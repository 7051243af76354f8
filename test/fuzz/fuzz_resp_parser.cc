// RESP request parser: any bytes, whole or in two pieces, give the same requests and the same
// outcome (the parser is incremental: a split must never change what it reads), and consumed
// offsets stay inside the input.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "resp/resp_parser.h"

namespace {

using kv::resp::ParserLimits;
using kv::resp::RequestParser;

struct Outcome {
  std::vector<std::vector<std::string>> requests;
  RequestParser::Result last = RequestParser::Result::kNeedMore;
  std::string error;
};

// Feeds `data` in chunks ending at `splits`, consuming complete requests from the front the way
// a connection does.
Outcome Run(std::string_view data, const std::vector<size_t>& splits, ParserLimits limits) {
  RequestParser parser(limits);
  Outcome out;
  std::string pending;
  size_t fed = 0;
  std::vector<size_t> ends = splits;
  ends.push_back(data.size());
  for (size_t end : ends) {
    pending.append(data.substr(fed, end - fed));
    fed = end;
    while (true) {
      size_t consumed = 0;
      std::vector<std::string_view> args;
      out.last = parser.Parse(pending, &consumed, &args);
      if (out.last != RequestParser::Result::kOk) break;
      FUZZ_CHECK(consumed > 0 && consumed <= pending.size());
      out.requests.emplace_back(args.begin(), args.end());
      pending.erase(0, consumed);
    }
    if (out.last == RequestParser::Result::kError) {
      out.error = std::string(parser.error());
      break;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the limits and the split point; the rest is the stream.
  ParserLimits limits;
  limits.max_bulk_len = 64 + bytes[0] * 16;
  limits.max_multibulk_len = 1 + bytes[0] % 32;
  limits.max_inline_len = 32 + bytes[1] * 4;
  limits.unauthenticated = (bytes[1] & 1) != 0;
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 2, size - 2);
  const Outcome whole = Run(data, {}, limits);
  const size_t split = data.empty() ? 0 : (bytes[0] * 257u + bytes[1]) % data.size();
  const Outcome pieces = Run(data, {split}, limits);
  FUZZ_CHECK(whole.requests == pieces.requests);
  FUZZ_CHECK(whole.last == pieces.last);
  FUZZ_CHECK(whole.error == pieces.error);
  return 0;
}
