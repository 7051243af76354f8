// test/vectors/native/vectors.txt: every request and response decodes with the codec and
// re-encodes to the same bytes, and every opcode 0x01-0x16 has a vector.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "native_proto/frame.h"
#include "native_proto/vectors_dir.h"

namespace kv::native {
namespace {

struct Vector {
  std::string name;
  std::string request;
  std::string response;
  bool close = false;
};

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  return s.substr(i);
}

std::string Unhex(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c != ' ') digits.push_back(c);
  }
  REQUIRE(digits.size() % 2 == 0);
  std::string out;
  for (size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<Vector> LoadVectors() {
  std::ifstream in(std::string(KV_NATIVE_VECTORS_DIR) + "/vectors.txt");
  REQUIRE(in.good());
  std::vector<Vector> out;
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    const size_t colon = line.find(':');
    REQUIRE(colon != std::string::npos);
    const std::string field = line.substr(0, colon);
    const std::string value = Trim(line.substr(colon + 1));
    if (field == "name") {
      out.push_back({value, "", "", false});
      continue;
    }
    REQUIRE(!out.empty());
    if (field == "request") {
      out.back().request = Unhex(value);
    } else if (field == "response") {
      out.back().response = Unhex(value);
    } else if (field == "close") {
      out.back().close = value == "yes";
    } else {
      FAIL("unknown field " << field);
    }
  }
  return out;
}

TEST_CASE("Vectors: every request and response round trips through the codec") {
  const std::vector<Vector> vectors = LoadVectors();
  REQUIRE(vectors.size() >= 22);
  std::set<int> covered;
  for (const Vector& v : vectors) {
    CAPTURE(v.name);
    REQUIRE(!v.request.empty());
    REQUIRE(!v.response.empty());
    FrameParser parser;
    size_t consumed = 0;
    Frame req;
    const FrameParser::Result r = parser.Parse(v.request, &consumed, &req);

    // The response frame is one whole frame.
    Frame resp;
    size_t resp_consumed = 0;
    REQUIRE(FrameParser().Parse(v.response, &resp_consumed, &resp) == FrameParser::Result::kOk);
    CHECK(resp_consumed == v.response.size());
    REQUIRE(resp.code <= static_cast<uint8_t>(Status::kInvalid));
    const auto status = static_cast<Status>(resp.code);

    if (r == FrameParser::Result::kTooLarge) {
      CHECK(v.request.size() == kFrameHeaderSize);
      CHECK(status == Status::kInvalid);
      CHECK(resp.payload == kPayloadTooLargeMessage);
      CHECK(v.close);
      continue;
    }
    CHECK(!v.close);
    REQUIRE(r == FrameParser::Result::kOk);
    CHECK(consumed == v.request.size());

    Request parsed;
    std::string err;
    if (!ParseRequest(req.code, req.payload, &parsed, &err)) {
      // A malformed request: the vector's INVALID message is ParseRequest's.
      CHECK(status == Status::kInvalid);
      CHECK(resp.payload == err);
      continue;
    }
    covered.insert(req.code);
    std::string again;
    AppendRequest(&again, parsed.info->op, EncodeRequestPayload(parsed));
    CHECK(again == v.request);

    std::string resp_again;
    switch (status) {
      case Status::kOk:
        switch (parsed.info->reply) {
          case ReplyShape::kEmpty:
            CHECK(resp.payload.empty());
            AppendResponse(&resp_again, Status::kOk);
            break;
          case ReplyShape::kText:
            AppendResponse(&resp_again, Status::kOk, resp.payload);
            break;
          case ReplyShape::kValue: {
            Value value;
            size_t used = 0;
            REQUIRE(ValueDecoder().Decode(resp.payload, &used, &value) == DecodeError::kOk);
            CHECK(used == resp.payload.size());
            AppendOkValue(&resp_again, value);
            break;
          }
        }
        break;
      case Status::kNull:
        CHECK(resp.payload.empty());
        AppendNull(&resp_again);
        break;
      case Status::kError:
        AppendError(&resp_again, resp.payload);
        break;
      case Status::kInvalid:
        AppendInvalid(&resp_again, resp.payload);
        break;
    }
    CHECK(resp_again == v.response);
  }
  for (int code = kFirstOpcode; code <= kLastOpcode; ++code) {
    CAPTURE(code);
    CHECK(covered.count(code) == 1);
  }
}

}  // namespace
}  // namespace kv::native
