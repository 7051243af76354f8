// On-disk building blocks shared by the WAL, the snapshots and kv-check.
//
// Every persisted byte sits inside a frame: [payload length u32][XXH3-64 of payload u64][payload],
// so a reader can tell a complete, intact record from a torn or damaged one and say at which
// offset. Integers are little-endian. docs/persistence.md is the normative description; this
// header only provides the primitives (no knowledge of commands, keyspaces or files).
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace kv::persist {

inline constexpr size_t kFrameHeaderSize = 12;
// A WAL record holds one command, and a command is bounded by client-query-buffer-limit (1 GB
// by default): 2 GiB leaves room and keeps a damaged length from asking for absurd buffers.
inline constexpr uint32_t kMaxFramePayload = 2u << 30;

// Appends little-endian integers and length-prefixed byte strings to a string.
class Encoder {
 public:
  explicit Encoder(std::string* out) : out_(out) {}
  void U8(uint8_t v) { out_->push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Raw(&v, 2); }
  void U32(uint32_t v) { Raw(&v, 4); }
  void U64(uint64_t v) { Raw(&v, 8); }
  void I64(int64_t v) { Raw(&v, 8); }
  void Bytes(std::string_view s) { out_->append(s.data(), s.size()); }
  void Str32(std::string_view s) {
    U32(static_cast<uint32_t>(s.size()));
    Bytes(s);
  }
  void Str8(std::string_view s) {
    U8(static_cast<uint8_t>(s.size()));
    Bytes(s);
  }
  std::string* out() { return out_; }

 private:
  // Host order is little-endian on every platform kv-server builds for (static_assert below).
  void Raw(const void* p, size_t n) { out_->append(static_cast<const char*>(p), n); }
  std::string* out_;
};

// Reads what Encoder wrote; after any short read ok() is false and every later read yields 0/"".
class Decoder {
 public:
  explicit Decoder(std::string_view in) : in_(in) {}
  uint8_t U8() { return Fixed<uint8_t>(); }
  uint16_t U16() { return Fixed<uint16_t>(); }
  uint32_t U32() { return Fixed<uint32_t>(); }
  uint64_t U64() { return Fixed<uint64_t>(); }
  int64_t I64() { return Fixed<int64_t>(); }
  std::string_view Bytes(size_t n) {
    if (!ok_ || in_.size() - pos_ < n) return Fail();
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string_view Str32() { return Bytes(U32()); }
  std::string_view Str8() { return Bytes(U8()); }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == in_.size(); }
  size_t pos() const { return pos_; }

 private:
  std::string_view Fail() {
    ok_ = false;
    return {};
  }
  template <typename T>
  T Fixed() {
    T v{};
    std::string_view b = Bytes(sizeof(T));
    if (ok_) std::memcpy(&v, b.data(), sizeof(T));
    return v;
  }
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the persistence formats are little-endian and written in host order");

// Frames. BeginFrame reserves the header; EndFrame fills in length and checksum of everything
// appended since. Returns false when the payload is over kMaxFramePayload (nothing is kept).
size_t BeginFrame(std::string* out);
bool EndFrame(std::string* out, size_t start);

enum class FrameStatus {
  kOk,
  kTruncated,    // the buffer ends inside the header or the payload
  kBadLength,    // zero or over kMaxFramePayload
  kBadChecksum,  // payload does not match its checksum
};
struct FrameView {
  FrameStatus status;
  std::string_view payload;  // valid when kOk
  size_t size = 0;           // header + payload bytes (when the length field was readable)
};
FrameView ReadFrame(std::string_view buf);
const char* FrameStatusText(FrameStatus s);

uint64_t Checksum(std::string_view data);

// Whether every byte of `s` is zero: a crash can leave a file's tail zero-filled (the size was
// updated, the data never came), which is a torn tail, not corruption.
bool AllZero(std::string_view s);

}  // namespace kv::persist
