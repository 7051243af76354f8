#include "core/digest.h"

#include <openssl/evp.h>

#include <string_view>

#include "core/copy_value.h"
#include "core/entry.h"
#include "core/object.h"
#include "core/value_encoding.h"

namespace kv {

namespace {

Digest Sha1(std::string_view data) {
  Digest d;
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), d.bytes.data(), &len, EVP_sha1(), nullptr);
  return d;
}

// Length-prefixed, so that no two sequences of parts run together into the same bytes.
void AddPart(std::string_view part, std::string* out) {
  const uint64_t n = part.size();
  out->append(reinterpret_cast<const char*>(&n), sizeof n);
  out->append(part);
}

void AddElement(const ScalarView& v, std::string* out) {
  if (v.type == ScalarType::kNested) {
    out->push_back('N');
    AddPart(v.bytes, out);
    return;
  }
  char buf[kScalarBufSize];
  out->push_back('S');
  AddPart(CanonicalString(v, buf), out);
}

}  // namespace

std::string Digest::Hex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

Digest ValueDigest(const Entry& e) {
  std::string scratch;
  TransferForm form;
  const ScalarView v = EncodeForTransfer(e, &scratch, &form);
  std::string buf;
  buf.push_back(static_cast<char>('0' + static_cast<int>(form)));
  switch (form) {
    case TransferForm::kValue:
      if (IsContainer(e)) {  // a list: its elements in order
        buf.push_back('L');
        ForEachListElement(v.bytes, [&](const ScalarView& el) { AddElement(el, &buf); });
      } else {
        buf.push_back(static_cast<char>(e.type()));
        AddPart({e.value_data(), e.value_len()}, &buf);
      }
      break;
    case TransferForm::kStream:  // entries in ID order, then groups by name: deterministic
      AddPart(v.bytes, &buf);
      break;
    case TransferForm::kZSet:  // [member, score] pairs in score order: deterministic
      ForEachListElement(v.bytes, [&](const ScalarView& pair) {
        ForEachListElement(pair.bytes, [&](const ScalarView& el) { AddElement(el, &buf); });
      });
      break;
    case TransferForm::kSet:
    case TransferForm::kHashPairs:
    case TransferForm::kHashTriples: {
      // Members (or field groups) in whatever order the encoding holds them: XORed.
      const size_t group = form == TransferForm::kSet         ? 1
                           : form == TransferForm::kHashPairs ? 2
                                                              : 3;
      Digest acc;
      std::string member;
      size_t pos = 0;
      ForEachListElement(v.bytes, [&](const ScalarView& el) {
        AddElement(el, &member);
        if (++pos % group != 0) return;
        acc.Xor(Sha1(member));
        member.clear();
      });
      buf.append(reinterpret_cast<const char*>(acc.bytes.data()), acc.bytes.size());
      break;
    }
  }
  return Sha1(buf);
}

Digest KeyDigest(const Entry& e) {
  std::string buf;
  AddPart(e.key(), &buf);
  const int64_t expire = e.has_expire() ? e.expire_at() : -1;
  buf.append(reinterpret_cast<const char*>(&expire), sizeof expire);
  const Digest value = ValueDigest(e);
  buf.append(reinterpret_cast<const char*>(value.bytes.data()), value.bytes.size());
  return Sha1(buf);
}

}  // namespace kv
