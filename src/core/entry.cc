#include "core/entry.h"

#include <malloc.h>

#include <cstdlib>
#include <new>

namespace kv {

Entry* Entry::CreateEncoded(std::string_view key, uint8_t encoding, uint32_t val_len,
                            bool has_expire) {
  if (encoding >= kFirstContainerEncoding) val_len = 0;  // the pointer is in the header
  const size_t size = sizeof(Entry) + (has_expire ? 16 : 0) + key.size() + val_len;
  void* mem = std::malloc(size);
  if (!mem) throw std::bad_alloc();
  Entry* e = new (mem) Entry();
  e->type_ = encoding;
  e->flags_ = has_expire ? kHasExpire : 0;
  e->reserved_ = 0;
  e->lru_ = 0;
  e->key_len_ = static_cast<uint32_t>(key.size());
  e->val_len_ = val_len;
  if (has_expire) {
    e->set_expire_at(kNoExpire);
    e->set_volatile_index(0);
  }
  std::memcpy(e->data() + e->ExpiryBytes(), key.data(), key.size());
  return e;
}

Entry* Entry::CreateContainer(std::string_view key, uint8_t encoding, void* container,
                              bool has_expire) {
  Entry* e = CreateEncoded(key, encoding, 0, has_expire);
  e->set_container(container);
  return e;
}

void Entry::Destroy(Entry* e) { std::free(e); }

size_t Entry::AllocSize(const Entry* e) { return malloc_usable_size(const_cast<Entry*>(e)); }

ScalarView Entry::value() const { return ReadRaw(type(), value_data(), value_len()); }

int64_t Entry::expire_at() const {
  if (!has_expire()) return kNoExpire;
  int64_t v;
  std::memcpy(&v, data(), 8);
  return v;
}

void Entry::set_expire_at(int64_t at) { std::memcpy(data(), &at, 8); }

uint32_t Entry::volatile_index() const {
  uint32_t v;
  std::memcpy(&v, data() + 8, 4);
  return v;
}

void Entry::set_volatile_index(uint32_t i) { std::memcpy(data() + 8, &i, 4); }

}  // namespace kv
