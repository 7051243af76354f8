#include "core/intset.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace kv::intset {

namespace {

constexpr uint32_t kHeader = 8;

uint32_t WidthFor(int64_t v) {
  if (v >= INT16_MIN && v <= INT16_MAX) return 2;
  if (v >= INT32_MIN && v <= INT32_MAX) return 4;
  return 8;
}

uint32_t U32At(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
void PutU32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }

int64_t At(const char* is, uint32_t width, uint32_t i) {
  const char* p = is + kHeader + static_cast<size_t>(i) * width;
  switch (width) {
    case 2: {
      int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

void PutAt(char* is, uint32_t width, uint32_t i, int64_t v) {
  char* p = is + kHeader + static_cast<size_t>(i) * width;
  if (width == 2) {
    const auto x = static_cast<int16_t>(v);
    std::memcpy(p, &x, 2);
  } else if (width == 4) {
    const auto x = static_cast<int32_t>(v);
    std::memcpy(p, &x, 4);
  } else {
    std::memcpy(p, &v, 8);
  }
}

// Index of `v` or of where it would be inserted; *found says which.
uint32_t Search(const char* is, int64_t v, bool* found) {
  const uint32_t width = Width(is);
  uint32_t lo = 0, hi = Count(is);
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    const int64_t m = At(is, width, mid);
    if (m == v) {
      *found = true;
      return mid;
    }
    if (m < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  *found = false;
  return lo;
}

char* Resize(char* is, uint32_t width, uint32_t count) {
  void* p = std::realloc(is, kHeader + static_cast<size_t>(width) * count);
  if (!p) throw std::bad_alloc();
  return static_cast<char*>(p);
}

}  // namespace

char* New() {
  char* is = static_cast<char*>(std::malloc(kHeader));
  if (!is) throw std::bad_alloc();
  PutU32(is, 2);
  PutU32(is + 4, 0);
  return is;
}

void Free(char* is) { std::free(is); }
uint32_t Count(const char* is) { return U32At(is + 4); }
uint32_t Width(const char* is) { return U32At(is); }
size_t AllocSize(const char* is) { return malloc_usable_size(const_cast<char*>(is)); }

int64_t Get(const char* is, uint32_t index) { return At(is, Width(is), index); }

bool Contains(const char* is, int64_t v) {
  if (WidthFor(v) > Width(is)) return false;
  bool found;
  Search(is, v, &found);
  return found;
}

char* Add(char* is, int64_t v, bool* added) {
  const uint32_t width = Width(is), count = Count(is);
  const uint32_t need = WidthFor(v);
  if (need > width) {
    // A value wider than every member is below or above all of them: rewrite from the back so
    // no member is overwritten before it is read.
    is = Resize(is, need, count + 1);
    const bool front = v < 0;
    for (uint32_t i = count; i-- > 0;) PutAt(is, need, i + (front ? 1 : 0), At(is, width, i));
    PutAt(is, need, front ? 0 : count, v);
    PutU32(is, need);
    PutU32(is + 4, count + 1);
    *added = true;
    return is;
  }
  bool found;
  const uint32_t at = Search(is, v, &found);
  if (found) {
    *added = false;
    return is;
  }
  is = Resize(is, width, count + 1);
  char* base = is + kHeader;
  std::memmove(base + static_cast<size_t>(at + 1) * width, base + static_cast<size_t>(at) * width,
               static_cast<size_t>(count - at) * width);
  PutAt(is, width, at, v);
  PutU32(is + 4, count + 1);
  *added = true;
  return is;
}

char* Remove(char* is, int64_t v, bool* removed) {
  *removed = false;
  if (WidthFor(v) > Width(is)) return is;
  bool found;
  const uint32_t at = Search(is, v, &found);
  if (!found) return is;
  const uint32_t width = Width(is), count = Count(is);
  char* base = is + kHeader;
  std::memmove(base + static_cast<size_t>(at) * width, base + static_cast<size_t>(at + 1) * width,
               static_cast<size_t>(count - at - 1) * width);
  PutU32(is + 4, count - 1);
  *removed = true;
  return Resize(is, width, count - 1);
}

}  // namespace kv::intset
