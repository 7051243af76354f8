// The RDB value codec's pieces shared by its type files (rdb_value.cc holds them, rdb_stream.cc
// uses them): Redis's length and string encodings, listpacks, and the bounds-checked reader.
// Internal to src/persist.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kv {
class Stream;
}  // namespace kv

namespace kv::rdb {

void PutLe(std::string* out, uint64_t v, int bytes);
void PutLen(std::string* out, uint64_t len);
// Redis's rdbSaveRawString (integers, LZF, raw).
void PutString(std::string* out, std::string_view s);
// A listpack of `items` [first, last) in Redis's encoding (canonical integers as integers).
std::string Listpack(const std::vector<std::string>& items, size_t first, size_t last);
// Appends a Redis listpack's elements (integers as their text); false when malformed.
bool ParseListpack(std::string_view lp, std::vector<std::string>* out);
uint64_t GetLe(const char* p, int bytes);

// The payload reader (rdb_value.cc); every call checks the bytes left.
class Reader;
bool ReadLen(Reader& r, uint64_t* n);
// A length of things that each take at least one more byte (0 refused).
bool ReadCount(Reader& r, uint64_t* n);
bool ReadString(Reader& r, std::string* out);
bool ReadRaw(Reader& r, uint64_t n, std::string_view* out);
size_t Remaining(const Reader& r);

// RDB_TYPE_STREAM_LISTPACKS (15) and _2 (19) bodies (rdb_stream.cc); nullptr when malformed.
std::unique_ptr<Stream> ParseStreamBody(Reader& r, bool v2);

}  // namespace kv::rdb
