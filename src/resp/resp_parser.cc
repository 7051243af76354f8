// Incremental RESP request parser. The rules and error texts follow redis-server 7.0's
// processInlineBuffer / processMultibulkBuffer (networking.c) and sdssplitargs (sds.c), with two
// deliberate differences: a header line's '\r' must be followed by '\n', and bulk data must be
// followed by "\r\n" (Redis skips those bytes unchecked, silently desynchronizing on a wrong
// length).
#include "resp/resp_parser.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <optional>
#include <utility>

#include "core/scalar.h"

namespace kv::resp {

namespace {

constexpr std::string_view kInvalidMultibulkLen = "Protocol error: invalid multibulk length";
constexpr std::string_view kInvalidBulkLen = "Protocol error: invalid bulk length";
constexpr std::string_view kTooBigInline = "Protocol error: too big inline request";
constexpr std::string_view kTooBigMbulkCount = "Protocol error: too big mbulk count string";
constexpr std::string_view kTooBigBulkCount = "Protocol error: too big bulk count string";
constexpr std::string_view kUnauthMultibulkLen = "Protocol error: unauthenticated multibulk length";
constexpr std::string_view kUnauthBulkLen = "Protocol error: unauthenticated bulk length";
constexpr std::string_view kUnbalancedQuotes = "Protocol error: unbalanced quotes in request";

// Redis allocates argv up front but caps the first allocation so that a huge announced count
// cannot reserve memory the client never sends.
constexpr size_t kMaxInitialArgs = 1024;

// isspace() in the C locale, without its locale lookup and sign pitfalls.
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// The character a backslash followed by `c` stands for inside double quotes.
char UnescapeDoubleQuoted(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;  // \\, \" and unknown escapes stand for the character itself
  }
}

// sdssplitargs over [line.begin, line.end), the end playing the part of the C string's NUL
// (an embedded NUL byte is an ordinary character here). Returns false on unbalanced quotes.
// Views point into *storage, which is reserved up front so appending never moves it: unescaping
// only ever shrinks the text.
bool SplitInlineArgs(std::string_view line, std::string* storage,
                     std::vector<std::string_view>* args) {
  storage->clear();
  storage->reserve(line.size());
  const char* p = line.data();
  const char* const end = p + line.size();
  while (true) {
    while (p < end && IsSpace(*p)) ++p;
    if (p == end) return true;

    const size_t start = storage->size();
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      if (in_double) {
        if (p == end) return false;
        if (*p == '\\' && end - p >= 4 && p[1] == 'x' && IsHexDigit(p[2]) && IsHexDigit(p[3])) {
          storage->push_back(static_cast<char>(HexValue(p[2]) * 16 + HexValue(p[3])));
          p += 3;
        } else if (*p == '\\' && end - p >= 2) {
          ++p;
          storage->push_back(UnescapeDoubleQuoted(*p));
        } else if (*p == '"') {
          // A closing quote must end the argument: `"a"b` is an error, not "ab".
          if (end - p >= 2 && !IsSpace(p[1])) return false;
          done = true;
        } else {
          storage->push_back(*p);
        }
      } else if (in_single) {
        if (p == end) return false;
        if (*p == '\\' && end - p >= 2 && p[1] == '\'') {
          ++p;
          storage->push_back('\'');
        } else if (*p == '\'') {
          if (end - p >= 2 && !IsSpace(p[1])) return false;
          done = true;
        } else {
          storage->push_back(*p);
        }
      } else if (p == end) {
        done = true;
      } else {
        // Only these end an unquoted argument; \v and \f are skipped between arguments but are
        // part of one. Quotes may open mid-argument: a"b c" is `ab c`.
        switch (*p) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            storage->push_back(*p);
            break;
        }
      }
      if (p < end) ++p;
    }
    args->emplace_back(storage->data() + start, storage->size() - start);
  }
}

}  // namespace

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {}

void RequestParser::Reset() {
  FinishRequest();
  state_ = State::kIdle;
  error_.clear();
}

void RequestParser::FinishRequest() {
  state_ = State::kIdle;
  pos_ = 0;
  scanned_to_ = 0;
  args_left_ = 0;
  have_bulk_len_ = false;
  bulk_len_ = 0;
  pending_ = 0;
  // A request with a million arguments should not pin 16 MB to the connection for its lifetime.
  if (spans_.capacity() > kMaxInitialArgs) {
    std::vector<Span>().swap(spans_);
  } else {
    spans_.clear();
  }
}

RequestParser::Result RequestParser::Fail(std::string msg) {
  state_ = State::kError;
  pending_ = 0;
  error_ = std::move(msg);
  return Result::kError;
}

RequestParser::Result RequestParser::Parse(std::string_view buf, size_t* consumed,
                                           std::vector<std::string_view>* args) {
  *consumed = 0;
  if (state_ == State::kError) return Result::kError;
  // Bytes already parsed must still be there; if a caller broke that, start the request over
  // rather than read past the end.
  if (buf.size() < pos_ || buf.size() < scanned_to_) FinishRequest();
  if (state_ == State::kMultibulk) return ParseMultibulk(buf, consumed, args);
  if (buf.empty()) return Result::kNeedMore;
  if (buf[0] == '*') return ParseMultibulk(buf, consumed, args);
  return ParseInline(buf, consumed, args);
}

RequestParser::LineStatus RequestParser::FindLineEnd(std::string_view buf, char terminator,
                                                     size_t* at) {
  const size_t available = buf.size() - pos_;
  const bool over_limit = available > limits_.max_inline_len;
  // The terminator may sit at most max_inline_len bytes after the line's start.
  const size_t window_end = over_limit ? pos_ + limits_.max_inline_len + 1 : buf.size();
  const size_t from = std::max(pos_, scanned_to_);
  if (from < window_end) {
    const void* hit = std::memchr(buf.data() + from, terminator, window_end - from);
    if (hit != nullptr) {
      *at = static_cast<size_t>(static_cast<const char*>(hit) - buf.data());
      scanned_to_ = *at;
      return LineStatus::kFound;
    }
  }
  scanned_to_ = window_end;
  return over_limit ? LineStatus::kTooBig : LineStatus::kNeedMore;
}

RequestParser::Result RequestParser::ParseInline(std::string_view buf, size_t* consumed,
                                                 std::vector<std::string_view>* args) {
  size_t newline = 0;
  switch (FindLineEnd(buf, '\n', &newline)) {
    case LineStatus::kFound:
      break;
    case LineStatus::kNeedMore:
      return Result::kNeedMore;
    case LineStatus::kTooBig:
      return Fail(std::string(kTooBigInline));
  }
  size_t line_len = newline;
  if (line_len > 0 && buf[line_len - 1] == '\r') --line_len;
  args->clear();
  if (!SplitInlineArgs(buf.substr(0, line_len), &inline_storage_, args)) {
    args->clear();
    return Fail(std::string(kUnbalancedQuotes));
  }
  *consumed = newline + 1;
  FinishRequest();
  return Result::kOk;
}

RequestParser::Result RequestParser::ParseMultibulk(std::string_view buf, size_t* consumed,
                                                    std::vector<std::string_view>* args) {
  if (state_ == State::kIdle) {
    size_t cr = 0;
    switch (FindLineEnd(buf, '\r', &cr)) {
      case LineStatus::kFound:
        break;
      case LineStatus::kNeedMore:
        return Result::kNeedMore;
      case LineStatus::kTooBig:
        return Fail(std::string(kTooBigMbulkCount));
    }
    if (cr + 1 >= buf.size()) return Result::kNeedMore;
    if (buf[cr + 1] != '\n') return Fail(std::string(kInvalidMultibulkLen));
    const std::optional<int64_t> count = ParseInt64(buf.substr(1, cr - 1));
    if (!count || *count > INT_MAX) return Fail(std::string(kInvalidMultibulkLen));
    if (limits_.unauthenticated && *count > static_cast<int64_t>(kUnauthMaxArgs))
      return Fail(std::string(kUnauthMultibulkLen));
    if (*count > 0 && static_cast<uint64_t>(*count) > limits_.max_multibulk_len)
      return Fail(std::string(kInvalidMultibulkLen));
    pos_ = cr + 2;
    scanned_to_ = pos_;
    if (*count <= 0) {
      // Redis reads "*0" and "*-1" (and any negative count) as an empty request.
      args->clear();
      *consumed = pos_;
      FinishRequest();
      return Result::kOk;
    }
    args_left_ = static_cast<size_t>(*count);
    spans_.reserve(std::min(args_left_, kMaxInitialArgs));
    state_ = State::kMultibulk;
  }

  while (args_left_ > 0) {
    if (!have_bulk_len_) {
      size_t cr = 0;
      switch (FindLineEnd(buf, '\r', &cr)) {
        case LineStatus::kFound:
          break;
        case LineStatus::kNeedMore:
          pending_ = 0;
          return Result::kNeedMore;
        case LineStatus::kTooBig:
          return Fail(std::string(kTooBigBulkCount));
      }
      if (cr + 1 >= buf.size()) {
        pending_ = 0;
        return Result::kNeedMore;
      }
      if (buf[pos_] != '$') {
        // Redis prints the byte with %c and then turns CR/LF into spaces.
        const char got = (buf[pos_] == '\r' || buf[pos_] == '\n') ? ' ' : buf[pos_];
        std::string msg = "Protocol error: expected '$', got '";
        msg.push_back(got);
        msg.push_back('\'');
        return Fail(std::move(msg));
      }
      if (buf[cr + 1] != '\n') return Fail(std::string(kInvalidBulkLen));
      const std::optional<int64_t> len = ParseInt64(buf.substr(pos_ + 1, cr - pos_ - 1));
      if (!len || *len < 0 || static_cast<uint64_t>(*len) > limits_.max_bulk_len) {
        return Fail(std::string(kInvalidBulkLen));
      }
      if (limits_.unauthenticated && static_cast<uint64_t>(*len) > kUnauthMaxBulkLen)
        return Fail(std::string(kUnauthBulkLen));
      bulk_len_ = static_cast<size_t>(*len);
      have_bulk_len_ = true;
      pos_ = cr + 2;
    }
    const size_t need = bulk_len_ + 2;
    const size_t available = buf.size() - pos_;
    if (available < need) {
      pending_ = need - available;
      return Result::kNeedMore;
    }
    if (buf[pos_ + bulk_len_] != '\r' || buf[pos_ + bulk_len_ + 1] != '\n') {
      return Fail(std::string(kInvalidBulkLen));
    }
    spans_.push_back({pos_, bulk_len_});
    pos_ += need;
    scanned_to_ = pos_;
    have_bulk_len_ = false;
    --args_left_;
  }

  args->clear();
  args->reserve(spans_.size());
  for (const Span& s : spans_) args->emplace_back(buf.data() + s.offset, s.len);
  *consumed = pos_;
  FinishRequest();
  return Result::kOk;
}

}  // namespace kv::resp
