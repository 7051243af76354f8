// RESP2/RESP3 reply encoding. Every reply is appended with at most a few memcpy-style appends into
// the output string and numbers are formatted with std::to_chars on the stack: the hot replies
// (bulk, integer, status) never allocate beyond the output buffer's own growth.
#include "resp/resp_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include "core/value_encoding.h"

namespace kv::resp {

namespace {

// Room for a prefix byte, a sign, 20 digits and CRLF.
constexpr size_t kLineBufSize = 32;

template <typename Int>
size_t FormatLine(char* buf, char prefix, Int v) {
  buf[0] = prefix;
  char* end = std::to_chars(buf + 1, buf + kLineBufSize - 2, v).ptr;
  end[0] = '\r';
  end[1] = '\n';
  return static_cast<size_t>(end + 2 - buf);
}

// Reserves geometrically: an exact reserve per reply would reallocate on every call.
void EnsureRoom(std::string* out, size_t extra) {
  const size_t size = out->size();
  if (out->capacity() - size < extra) out->reserve(std::max(size + extra, 2 * out->capacity()));
}

bool IsCrOrLf(char c) { return c == '\r' || c == '\n'; }

}  // namespace

void RespWriter::AppendHeader(char prefix, uint64_t n) {
  char buf[kLineBufSize];
  out_->append(buf, FormatLine(buf, prefix, n));
}

void RespWriter::SendSimple(std::string_view s) {
  EnsureRoom(out_, s.size() + 3);
  out_->push_back('+');
  out_->append(s.data(), s.size());
  out_->append("\r\n", 2);
}

void RespWriter::SendError(std::string_view msg) {
  NoteError(msg);
  // sdstrim(s, "\r\n") then sdsmapchars(s, "\r\n", "  "), as in addReplyErrorFormat.
  while (!msg.empty() && IsCrOrLf(msg.front())) msg.remove_prefix(1);
  while (!msg.empty() && IsCrOrLf(msg.back())) msg.remove_suffix(1);
  // The text already carries its code; a caller passing "-ERR ..." gets one dash, not two.
  if (!msg.empty() && msg.front() == '-') msg.remove_prefix(1);
  EnsureRoom(out_, msg.size() + 3);
  out_->push_back('-');
  const size_t start = out_->size();
  out_->append(msg.data(), msg.size());
  if (msg.find_first_of("\r\n") != std::string_view::npos) {
    std::replace_if(out_->begin() + static_cast<std::ptrdiff_t>(start), out_->end(), IsCrOrLf, ' ');
  }
  out_->append("\r\n", 2);
}

void RespWriter::SendLong(int64_t v) {
  char buf[kLineBufSize];
  out_->append(buf, FormatLine(buf, ':', v));
}

void RespWriter::SendDouble(double v) {
  // Redis 7.0 spells infinities itself (libc spellings vary); NaN is normalized the same way.
  char text[32];
  size_t len;
  if (std::isinf(v)) {
    len = v > 0 ? 3 : 4;
    std::copy_n(v > 0 ? "inf" : "-inf", len, text);
  } else if (std::isnan(v)) {
    len = 3;
    std::copy_n("nan", len, text);
  } else {
    // Same text as printf("%.17g"): 17 significant digits, trailing zeros dropped.
    len = static_cast<size_t>(
        std::to_chars(text, text + sizeof(text), v, std::chars_format::general, 17).ptr - text);
  }
  if (resp3_) {
    EnsureRoom(out_, len + 3);
    out_->push_back(',');
    out_->append(text, len);
    out_->append("\r\n", 2);
  } else {
    SendBulk({text, len});
  }
}

void RespWriter::SendDoubleText(double /*v*/, std::string_view text) {
  if (!resp3_) {
    SendBulk(text);
    return;
  }
  EnsureRoom(out_, text.size() + 3);
  out_->push_back(',');
  out_->append(text);
  out_->append("\r\n", 2);
}

void RespWriter::SendBulk(std::string_view s) {
  char header[kLineBufSize];
  const size_t header_len = FormatLine(header, '$', s.size());
  EnsureRoom(out_, header_len + s.size() + 2);
  out_->append(header, header_len);
  out_->append(s.data(), s.size());
  out_->append("\r\n", 2);
}

void RespWriter::SendVerbatim(std::string_view s, std::string_view format) {
  if (!resp3_) {
    SendBulk(s);
    return;
  }
  // "=<len>\r\n<fmt>:<text>\r\n"; len counts the format and its colon.
  char header[kLineBufSize];
  const size_t header_len = FormatLine(header, '=', format.size() + 1 + s.size());
  EnsureRoom(out_, header_len + format.size() + 1 + s.size() + 2);
  out_->append(header, header_len);
  out_->append(format.data(), format.size());
  out_->push_back(':');
  out_->append(s.data(), s.size());
  out_->append("\r\n", 2);
}

void RespWriter::SendNull() {
  if (resp3_) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("$-1\r\n", 5);
  }
}

void RespWriter::SendNullArray() {
  if (resp3_) {
    out_->append("_\r\n", 3);
  } else {
    out_->append("*-1\r\n", 5);
  }
}

void RespWriter::SendBool(bool v) {
  if (resp3_) {
    out_->append(v ? "#t\r\n" : "#f\r\n", 4);
  } else {
    out_->append(v ? ":1\r\n" : ":0\r\n", 4);
  }
}

void RespWriter::StartArray(uint32_t n) { AppendHeader('*', n); }

void RespWriter::EndDeferredArray(size_t handle, uint32_t n) {
  char buf[kLineBufSize];
  out_->insert(handle, buf, FormatLine(buf, '*', n));
}

void RespWriter::StartMap(uint32_t pairs) {
  if (resp3_) {
    AppendHeader('%', pairs);
  } else {
    AppendHeader('*', 2 * static_cast<uint64_t>(pairs));
  }
}

void RespWriter::StartSet(uint32_t n) { AppendHeader(resp3_ ? '~' : '*', n); }

void RespWriter::SendScalar(const ScalarView& v) {
  // A stored Null, List or Map replies as the RESP aggregate (docs/native-protocol.md section 7).
  if (IsNested(v.type)) return SendEncodedValue(v.bytes, *this);
  char buf[kScalarBufSize];
  SendBulk(CanonicalString(v, buf));
}

}  // namespace kv::resp
