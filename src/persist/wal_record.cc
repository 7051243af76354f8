#include "persist/wal_record.h"

#include "core/value_encoding.h"

#include <fmt/format.h>

#include "persist/format.h"

namespace kv::persist {

RecordBodyWriter::RecordBodyWriter(std::string* body, uint32_t commands) : body_(body) {
  Encoder(body_).U32(commands);
}

void SetRecordBodyCount(std::string* body, uint32_t commands) {
  std::string count;
  Encoder(&count).U32(commands);
  body->replace(0, count.size(), count);
}

void RecordBodyWriter::AddCommand(std::string_view ns, uint32_t argc) {
  Encoder e(body_);
  e.Str8(ns);
  e.U32(argc);
}

void RecordBodyWriter::AddArg(std::string_view bytes) {
  Encoder e(body_);
  e.U8(static_cast<uint8_t>(ScalarType::kBytes));
  e.Str32(bytes);
}

void RecordBodyWriter::AddArg(const ScalarView& typed) {
  Encoder e(body_);
  e.U8(static_cast<uint8_t>(typed.type));
  const uint32_t len = RawSize(typed);
  e.U32(len);
  const size_t at = body_->size();
  body_->resize(at + len);
  WriteRaw(typed, body_->data() + at);
}

void EncodeRecordPayload(std::string* out, uint64_t lsn, int64_t time_ms, std::string_view body) {
  Encoder e(out);
  e.U64(lsn);
  e.I64(time_ms);
  e.Bytes(body);
}

std::string DecodeRecord(std::string_view payload, WalRecord* out) {
  Decoder d(payload);
  out->lsn = d.U64();
  out->time_ms = d.I64();
  const uint32_t count = d.U32();
  if (!d.ok()) return "record shorter than its header";
  out->commands.clear();
  // Each command takes at least 5 bytes: a count past that is damage, not a reason to allocate.
  if (count == 0 || count > payload.size() / 5) return "invalid command count";
  out->commands.resize(count);
  for (LoggedCommand& c : out->commands) {
    c.ns = d.Str8();
    const uint32_t argc = d.U32();
    if (!d.ok() || argc == 0 || argc > payload.size() / 5) return "invalid argument count";
    c.args.resize(argc);
    for (LoggedArg& a : c.args) {
      const uint8_t type = d.U8();
      a.raw = d.Str32();
      if (!d.ok()) return "argument runs past the record";
      if (!KnownScalarType(type)) return fmt::format("unknown value type {}", type);
      a.type = static_cast<ScalarType>(type);
      ScalarView probe;
      if (!ReadRawChecked(type, a.raw, &probe)) return "argument size does not match its type";
      // The engine trusts a stored List's counts; a checksum can be right over bytes that never
      // were a value.
      if (probe.type == ScalarType::kNested && !IsWholeEncodedValue(probe.bytes))
        return "a nested argument is not a whole encoded value";
    }
  }
  if (!d.done()) return "trailing bytes after the last command";
  return "";
}

std::string DescribeRecord(const WalRecord& r) {
  std::string out;
  for (const LoggedCommand& c : r.commands) {
    if (!out.empty()) out += '\n';
    out += fmt::format("lsn={} time_ms={} ns={}", r.lsn, r.time_ms, c.ns);
    for (const LoggedArg& a : c.args) {
      out += ' ';
      if (IsText(a.type)) {
        if (a.type == ScalarType::kString) out += "(string)";
        out += QuoteBytes(a.raw);
        continue;
      }
      if (IsNested(a.type)) {  // a native client's List, Map or Null
        out += EncodedValueText(a.raw);
        continue;
      }
      char buf[kScalarBufSize];
      const ScalarView v = ReadRaw(a.type, a.raw.data(), static_cast<uint32_t>(a.raw.size()));
      const char* tag = a.type == ScalarType::kInt     ? "(int)"
                        : a.type == ScalarType::kFloat ? "(float)"
                                                       : "(decimal)";
      out += tag;
      out += CanonicalString(v, buf);
    }
  }
  return out;
}

}  // namespace kv::persist
