// Redis's sdscatrepr: a byte string as a double-quoted word with C escapes and \xHH for every
// byte that is not printable ASCII. MONITOR shows arguments this way, and CONFIG REWRITE
// writes values this way so that the config reader (Redis's sdssplitargs rules) reads the
// same bytes back.
#pragma once

#include <string>
#include <string_view>

namespace kv {

void AppendRepr(std::string& out, std::string_view s);

}  // namespace kv
