// What the keys family shares with other families: the encoding name OBJECT ENCODING answers,
// which DEBUG OBJECT reports too, so both always agree.
#pragma once

#include <string_view>

#include "core/entry.h"

namespace kv {

// Redis's encoding name for the value of `e` (docs/object-model.md). The caller holds the
// shard's lock.
std::string_view EncodingName(const Entry& e);

}  // namespace kv
