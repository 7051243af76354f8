// kv-cli's literal parser: any line either splits into arguments or is refused with a message;
// every argument has a text or a value form that the native codec can encode and decode back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "native_proto/value_codec.h"
#include "tools/kv_cli/literal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view line(reinterpret_cast<const char*>(bytes), size);
  const auto parsed = kv::cli::ParseLine(line);
  if (parsed) {
    for (const auto& arg : parsed.value()) {
      const auto text = kv::cli::ArgText(arg);
      const auto value = kv::cli::ArgValue(arg);
      FUZZ_CHECK(text.ok() || value.ok());
      if (value.ok()) {
        const std::string encoded = kv::native::EncodeValue(value.value());
        kv::native::Value back;
        size_t consumed = 0;
        FUZZ_CHECK(kv::native::ValueDecoder().Decode(encoded, &consumed, &back) ==
                   kv::DecodeError::kOk);
        FUZZ_CHECK(back == value.value());
      }
    }
  }
  (void)kv::cli::ParseWord(line);
  (void)kv::cli::BareValue(line);
  return 0;
}
