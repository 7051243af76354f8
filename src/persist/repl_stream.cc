#include "persist/repl_stream.h"

#include <vector>

#include <fmt/format.h>

#include "core/scalar.h"
#include "persist/format.h"

namespace kv::persist {

namespace {

void AppendBulk(std::string_view s, std::string* out) {
  fmt::format_to(std::back_inserter(*out), "${}\r\n", s.size());
  out->append(s);
  out->append("\r\n");
}

struct Arg {
  uint8_t type;
  std::string_view raw;
};

void AppendCommand(const std::vector<Arg>& args, std::string* out) {
  bool typed = false;
  for (const Arg& a : args) typed |= a.type != static_cast<uint8_t>(ScalarType::kBytes);
  if (!typed) {
    fmt::format_to(std::back_inserter(*out), "*{}\r\n", args.size());
    for (const Arg& a : args) AppendBulk(a.raw, out);
    return;
  }
  std::string types;
  for (const Arg& a : args) types.push_back(static_cast<char>('0' + a.type));
  fmt::format_to(std::back_inserter(*out), "*{}\r\n", args.size() + 2);
  AppendBulk(kTypedCommand, out);
  AppendBulk(types, out);
  for (const Arg& a : args) AppendBulk(a.raw, out);
}

}  // namespace

void AppendRespCommand(std::initializer_list<std::string_view> args, std::string* out) {
  fmt::format_to(std::back_inserter(*out), "*{}\r\n", args.size());
  for (std::string_view a : args) AppendBulk(a, out);
}

void AppendRecordAsResp(std::string_view body, std::string* stream_ns, std::string* out) {
  Decoder d(body);
  const uint32_t count = d.U32();
  const bool wrap = count > 1;
  if (wrap) AppendRespCommand({"MULTI"}, out);
  thread_local std::vector<Arg> args;
  for (uint32_t i = 0; i < count && d.ok(); ++i) {
    const std::string_view ns = d.Str8();
    const uint32_t argc = d.U32();
    args.clear();
    for (uint32_t j = 0; j < argc && d.ok(); ++j) {
      const uint8_t type = d.U8();
      args.push_back({type, d.Str32()});
    }
    if (!d.ok()) break;
    if (ns != *stream_ns) {
      AppendRespCommand({"SELECT", ns}, out);
      stream_ns->assign(ns);
    }
    AppendCommand(args, out);
  }
  if (wrap) AppendRespCommand({"EXEC"}, out);
}

}  // namespace kv::persist
