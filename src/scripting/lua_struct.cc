#include "scripting/lua_struct.h"

#include <lua.hpp>

#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>

namespace kv::scripting {
namespace {

// The widest integer the formats take (i32) and the largest alignment `!` may ask for: the
// platform's strictest (what struct.c computes with offsetof).
constexpr int kMaxIntSize = 32;
constexpr int kMaxAlign = alignof(max_align_t) > 8 ? 8 : static_cast<int>(alignof(max_align_t));

enum class Endian { kLittle, kBig };

constexpr Endian NativeEndian() {
  return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__ ? Endian::kBig : Endian::kLittle;
}

struct Header {
  Endian endian = NativeEndian();
  int align = 1;
};

bool IsPowerOf2(int x) { return x > 0 && (x & (x - 1)) == 0; }

// Digits after an option (its size), or `fallback` when none follow.
int ReadNumber(lua_State* L, const char** fmt, int fallback) {
  if (!std::isdigit(static_cast<unsigned char>(**fmt))) return fallback;
  int n = 0;
  do {
    const int digit = **fmt - '0';
    if (n > INT_MAX / 10 || n * 10 > INT_MAX - digit) luaL_error(L, "integral size overflow");
    n = n * 10 + digit;
    ++*fmt;
  } while (std::isdigit(static_cast<unsigned char>(**fmt)));
  return n;
}

// The byte size of option `opt` (0 for the control options and `s`, and for `c0`).
size_t OptionSize(lua_State* L, char opt, const char** fmt) {
  switch (opt) {
    case 'B': case 'b': return sizeof(char);
    case 'H': case 'h': return sizeof(short);
    case 'L': case 'l': return sizeof(long);
    case 'T': return sizeof(size_t);
    case 'f': return sizeof(float);
    case 'd': return sizeof(double);
    case 'x': return 1;
    case 'c': return static_cast<size_t>(ReadNumber(L, fmt, 1));
    case 'i': case 'I': {
      const int size = ReadNumber(L, fmt, sizeof(int));
      if (size > kMaxIntSize)
        luaL_error(L, "integral size %d is larger than limit of %d", size, kMaxIntSize);
      return static_cast<size_t>(size);
    }
    default: return 0;
  }
}

// Padding before an option of `size` bytes at offset `len` (strings are never aligned).
size_t Padding(size_t len, const Header& h, char opt, size_t size) {
  if (size == 0 || opt == 'c') return 0;
  if (size > static_cast<size_t>(h.align)) size = static_cast<size_t>(h.align);
  return (size - (len & (size - 1))) & (size - 1);
}

void ControlOption(lua_State* L, char opt, const char** fmt, Header* h) {
  switch (opt) {
    case ' ': return;
    case '>': h->endian = Endian::kBig; return;
    case '<': h->endian = Endian::kLittle; return;
    case '!': {
      const int a = ReadNumber(L, fmt, kMaxAlign);
      if (!IsPowerOf2(a)) luaL_error(L, "alignment %d is not a power of 2", a);
      h->align = a;
      return;
    }
    default: {
      const std::string msg = std::string("invalid format option '") + opt + "'";
      luaL_argerror(L, 1, msg.c_str());
    }
  }
}

bool IsInteger(char opt) { return std::strchr("bBhHlLTiI", opt) != nullptr; }

// As struct.c: a Lua number converted through the 64-bit integer types; bytes past the eighth
// are zero (a negative number is not sign-extended there either).
void PutInteger(lua_State* L, std::string* out, int arg, Endian endian, size_t size) {
  const lua_Number n = luaL_checknumber(L, arg);
  uint64_t value = n < 0 ? static_cast<uint64_t>(static_cast<int64_t>(n)) : static_cast<uint64_t>(n);
  char buf[kMaxIntSize] = {};
  for (size_t i = 0; i < size && i < 8; ++i) {
    buf[endian == Endian::kLittle ? i : size - 1 - i] = static_cast<char>(value & 0xff);
    value >>= 8;
  }
  out->append(buf, size);
}

lua_Number GetInteger(const char* p, Endian endian, bool is_signed, size_t size) {
  uint64_t v = 0;
  for (size_t i = 0; i < size; ++i) {
    const auto byte = static_cast<unsigned char>(p[endian == Endian::kBig ? i : size - 1 - i]);
    v = (v << 8) | byte;
  }
  if (!is_signed) return static_cast<lua_Number>(v);
  if (size < 8) {
    const uint64_t sign = uint64_t{1} << (size * 8 - 1);
    if (v & sign) v |= ~uint64_t{0} << (size * 8 - 1);
  }
  return static_cast<lua_Number>(static_cast<int64_t>(v));
}

// Floats are stored in the header's byte order.
void OrderBytes(char* p, size_t size, Endian endian) {
  if (endian == NativeEndian()) return;
  for (size_t i = 0, j = size - 1; i < j; ++i, --j) std::swap(p[i], p[j]);
}

template <typename Float>
void PutFloat(Float v, Endian endian, std::string* out) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  OrderBytes(b, sizeof b, endian);
  out->append(b, sizeof b);
}

template <typename Float>
Float GetFloat(const char* p, Endian endian) {
  char b[sizeof(Float)];
  std::memcpy(b, p, sizeof b);
  OrderBytes(b, sizeof b, endian);
  Float v;
  std::memcpy(&v, b, sizeof v);
  return v;
}

int Pack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  int arg = 2;
  // struct.c pushes a nil past the arguments (its buffer's mark), so a missing argument reads
  // as nil: "number expected, got nil", as Redis says.
  lua_pushnil(L);
  std::string out;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    out.append(Padding(out.size(), h, opt, size), '\0');
    if (IsInteger(opt)) {
      PutInteger(L, &out, arg++, h.endian, size);
    } else if (opt == 'x') {
      out.push_back('\0');
    } else if (opt == 'f') {
      PutFloat(static_cast<float>(luaL_checknumber(L, arg++)), h.endian, &out);
    } else if (opt == 'd') {
      PutFloat(static_cast<double>(luaL_checknumber(L, arg++)), h.endian, &out);
    } else if (opt == 'c' || opt == 's') {
      size_t len;
      const char* s = luaL_checklstring(L, arg++, &len);
      if (size == 0) size = len;
      // struct.c names the argument after the string's (arg was already advanced).
      luaL_argcheck(L, len >= size, arg, "string too short");
      out.append(s, size);
      if (opt == 's') out.push_back('\0');
    } else {
      ControlOption(L, opt, &fmt, &h);
    }
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

int Unpack(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  size_t len;
  const char* data = luaL_checklstring(L, 2, &len);
  // A negative offset wraps, as in struct.c, and then fails as "data string too short".
  size_t pos = static_cast<size_t>(luaL_optinteger(L, 3, 1));
  luaL_argcheck(L, pos > 0, 3, "offset must be 1 or greater");
  --pos;
  Header h;
  int results = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(pos, h, opt, size);
    luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
    luaL_checkstack(L, 2, "too many results");
    if (IsInteger(opt)) {
      lua_pushnumber(L, GetInteger(data + pos, h.endian, std::islower(opt) != 0, size));
      ++results;
    } else if (opt == 'f') {
      lua_pushnumber(L, GetFloat<float>(data + pos, h.endian));
      ++results;
    } else if (opt == 'd') {
      lua_pushnumber(L, GetFloat<double>(data + pos, h.endian));
      ++results;
    } else if (opt == 'c') {
      if (size == 0) {
        // c0: the length is the previous result.
        if (results == 0 || !lua_isnumber(L, -1)) luaL_error(L, "format 'c0' needs a previous size");
        size = static_cast<size_t>(lua_tonumber(L, -1));
        lua_pop(L, 1);
        --results;
        luaL_argcheck(L, size <= len && pos <= len - size, 2, "data string too short");
      }
      lua_pushlstring(L, data + pos, size);
      ++results;
    } else if (opt == 's') {
      const void* end = std::memchr(data + pos, '\0', len - pos);
      if (end == nullptr) luaL_error(L, "unfinished string in data");
      size = static_cast<size_t>(static_cast<const char*>(end) - (data + pos)) + 1;
      lua_pushlstring(L, data + pos, size - 1);
      ++results;
    } else if (opt != 'x') {
      ControlOption(L, opt, &fmt, &h);
    }
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos + 1));  // where the next value starts
  return results + 1;
}

int Size(lua_State* L) {
  const char* fmt = luaL_checkstring(L, 1);
  Header h;
  size_t pos = 0;
  while (*fmt != '\0') {
    const char opt = *fmt++;
    const size_t size = OptionSize(L, opt, &fmt);
    pos += Padding(pos, h, opt, size);
    if (opt == 's')
      luaL_argerror(L, 1, "option 's' has no fixed size");
    else if (opt == 'c' && size == 0)
      luaL_argerror(L, 1, "option 'c0' has no fixed size");
    if (!std::isalnum(static_cast<unsigned char>(opt))) ControlOption(L, opt, &fmt, &h);
    pos += size;
  }
  lua_pushinteger(L, static_cast<lua_Integer>(pos));
  return 1;
}

}  // namespace

int OpenStruct(lua_State* L) {
  static const luaL_Reg kFunctions[] = {
      {"pack", Pack}, {"unpack", Unpack}, {"size", Size}, {nullptr, nullptr}};
  luaL_register(L, "struct", kFunctions);
  return 1;
}

}  // namespace kv::scripting
