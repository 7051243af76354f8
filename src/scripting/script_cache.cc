#include "scripting/script_cache.h"

#include <openssl/evp.h>

#include <memory>

#include "core/ascii.h"

namespace kv::scripting {

std::string Sha1Hex(std::string_view data) {
  // Every EVAL hashes its body. EVP_Digest with EVP_sha1() allocates a context and makes
  // OpenSSL 3 look the implementation up again each time, several times the cost of the hash
  // of a short script; the implementation is fetched once and each thread reuses a context.
  static EVP_MD* const sha1 = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (sha1 == nullptr || ctx == nullptr || !EVP_DigestInit_ex2(ctx.get(), sha1, nullptr) ||
      !EVP_DigestUpdate(ctx.get(), data.data(), data.size()) ||
      !EVP_DigestFinal_ex(ctx.get(), md, &len))
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * len, '\0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[md[i] >> 4];
    out[2 * i + 1] = kHex[md[i] & 0xf];
  }
  return out;
}

void LowercaseSha(std::string& sha) { AsciiLowerInPlace(sha); }

std::string ScriptCache::Add(std::string_view body) {
  std::string sha = Sha1Hex(body);
  std::lock_guard lock(mu_);
  auto [it, inserted] = bodies_.try_emplace(sha);
  if (inserted) {
    it->second = std::make_shared<const std::string>(body);
    body_bytes_ += body.size();
    if (body.starts_with("#!")) any_shebang_.store(true, std::memory_order_relaxed);
  }
  return sha;
}

std::shared_ptr<const std::string> ScriptCache::Find(std::string_view sha) const {
  if (sha.size() != 40) return nullptr;
  std::string key(sha);
  LowercaseSha(key);
  std::lock_guard lock(mu_);
  auto it = bodies_.find(key);
  return it == bodies_.end() ? nullptr : it->second;
}

std::vector<bool> ScriptCache::Exists(std::span<const std::string_view> shas) const {
  std::vector<bool> out;
  out.reserve(shas.size());
  for (std::string_view sha : shas) out.push_back(Find(sha) != nullptr);
  return out;
}

void ScriptCache::Flush() {
  std::lock_guard lock(mu_);
  bodies_.clear();
  body_bytes_ = 0;
  any_shebang_.store(false, std::memory_order_relaxed);
  epoch_.fetch_add(1, std::memory_order_release);
}

uint64_t ScriptCache::epoch() const { return epoch_.load(std::memory_order_acquire); }

size_t ScriptCache::size() const {
  std::lock_guard lock(mu_);
  return bodies_.size();
}

size_t ScriptCache::body_bytes() const {
  std::lock_guard lock(mu_);
  return body_bytes_;
}

}  // namespace kv::scripting
