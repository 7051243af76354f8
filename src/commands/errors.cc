#include "commands/errors.h"

#include <fmt/format.h>

namespace kv::errors {

std::string UnknownCommand(std::string_view name, std::span<const std::string_view> args) {
  // Redis quotes at most the first 128 bytes of the name and shows the arguments, each cut.
  std::string out = fmt::format("ERR unknown command '{}', with args beginning with: ",
                                name.substr(0, 128));
  for (std::string_view a : args) {
    if (out.size() >= 128 + 60) break;
    out += fmt::format("'{}' ", a.substr(0, 128));
  }
  for (char& c : out)
    if (c == '\r' || c == '\n') c = ' ';
  return out;
}

std::string WrongArity(std::string_view name) {
  return fmt::format("ERR wrong number of arguments for '{}' command", name);
}

std::string UnknownSubcommand(std::string_view cmd, std::string_view sub) {
  std::string upper(cmd);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return fmt::format("ERR unknown subcommand '{}'. Try {} HELP.", sub.substr(0, 128), upper);
}

std::string_view FromStatus(OpStatus s) {
  switch (s) {
    case OpStatus::kOk:
    case OpStatus::kKeyNotFound:
    case OpStatus::kSkipped:
      return {};
    case OpStatus::kWrongType:
      return kWrongType;
    case OpStatus::kNotAnInteger:
      return kNotInteger;
    case OpStatus::kNotAFloat:
      return kNotFloat;
    case OpStatus::kOutOfRange:
      return kOverflow;
    case OpStatus::kOutOfMemory:
      return kOom;
    case OpStatus::kInvalidFloat:
      return kIncrFloatNaN;
    case OpStatus::kTooBig:
      return kStringTooLong;
  }
  return {};
}

}  // namespace kv::errors
