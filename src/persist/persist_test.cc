#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/keyspace.h"
#include "persist/files.h"
#include "persist/format.h"
#include "persist/manifest.h"
#include "persist/recovery.h"
#include "persist/snapshot.h"
#include "persist/wal.h"
#include "persist/wal_record.h"
#include "temp_dir.h"

namespace kv::persist {
namespace {

using test::TempDir;

std::string Record(uint64_t lsn, int64_t time, std::string_view ns,
                   std::initializer_list<std::string_view> args) {
  std::string body;
  RecordBodyWriter w(&body, 1);
  w.AddCommand(ns, static_cast<uint32_t>(args.size()));
  for (std::string_view a : args) w.AddArg(a);
  std::string frame;
  const size_t start = BeginFrame(&frame);
  EncodeRecordPayload(&frame, lsn, time, body);
  REQUIRE(EndFrame(&frame, start));
  return frame;
}

std::string Segment(uint64_t first, int records) {
  std::string s(kSegmentMagic);
  Encoder(&s).U64(first);
  for (int i = 0; i < records; ++i)
    s += Record(first + static_cast<uint64_t>(i), 1000 + i, "0", {"SET", "k", std::to_string(i)});
  return s;
}

}  // namespace

TEST_CASE("frames round-trip and detect damage") {
  std::string buf;
  const size_t start = BeginFrame(&buf);
  buf += "payload";
  REQUIRE(EndFrame(&buf, start));
  FrameView f = ReadFrame(buf);
  CHECK(f.status == FrameStatus::kOk);
  CHECK(f.payload == "payload");
  CHECK(f.size == buf.size());
  for (size_t cut = 0; cut < buf.size(); ++cut)
    CHECK(ReadFrame(std::string_view(buf).substr(0, cut)).status == FrameStatus::kTruncated);
  std::string flipped = buf;
  flipped[kFrameHeaderSize + 2] ^= 0x01;
  CHECK(ReadFrame(flipped).status == FrameStatus::kBadChecksum);
  CHECK(ReadFrame(std::string(20, '\0')).status == FrameStatus::kBadLength);
  std::string empty;
  CHECK_FALSE(EndFrame(&empty, BeginFrame(&empty)));
  CHECK(empty.empty());
}

TEST_CASE("WAL records keep typed arguments") {
  std::string body;
  RecordBodyWriter w(&body, 1);
  w.AddCommand("my_app", 3);
  w.AddArg("SET");
  w.AddArg("price");
  w.AddArg(ScalarView::Dec(*Decimal::Parse("19.99")));
  std::string payload;
  EncodeRecordPayload(&payload, 42, 1700000000123, body);
  WalRecord r;
  REQUIRE(DecodeRecord(payload, &r) == "");
  CHECK(r.lsn == 42);
  CHECK(r.time_ms == 1700000000123);
  REQUIRE(r.commands.size() == 1);
  CHECK(r.commands[0].ns == "my_app");
  REQUIRE(r.commands[0].args.size() == 3);
  CHECK(r.commands[0].args[1].raw == "price");
  CHECK(r.commands[0].args[2].type == ScalarType::kDecimal);
  const LoggedArg& a = r.commands[0].args[2];
  char buf[kScalarBufSize];
  CHECK(CanonicalString(ReadRaw(a.type, a.raw.data(), static_cast<uint32_t>(a.raw.size())), buf) ==
        "19.99");
  CHECK(DescribeRecord(r) == "lsn=42 time_ms=1700000000123 ns=my_app \"SET\" \"price\" (decimal)19.99");
  // Damage that passes the checksum (a writer bug) is still refused, not misread.
  CHECK(DecodeRecord(payload.substr(0, payload.size() - 1), &r) != "");
  std::string bad_type = payload;
  bad_type[8 + 8 + 4 + 1 + 6 + 4] = 99;
  CHECK(DecodeRecord(bad_type, &r).find("unknown value type") != std::string::npos);
}

TEST_CASE("segment scan: torn tails at every byte, corruption in the middle") {
  const std::string seg = Segment(10, 5);
  SegmentScan scan;
  ScanSegment(seg, true, nullptr, &scan);
  CHECK(scan.problem == SegmentScan::Problem::kNone);
  CHECK(scan.first_lsn == 10);
  CHECK(scan.last_lsn == 14);
  CHECK(scan.records == 5);
  const size_t four = Segment(10, 4).size();
  for (size_t cut = four + 1; cut < seg.size(); ++cut) {
    ScanSegment(std::string_view(seg).substr(0, cut), true, nullptr, &scan);
    CHECK(scan.problem == SegmentScan::Problem::kTornTail);
    CHECK(scan.valid_end == four);
    CHECK(scan.last_lsn == 13);
    // The same damage in a segment that is not the last one is corruption.
    ScanSegment(std::string_view(seg).substr(0, cut), false, nullptr, &scan);
    CHECK(scan.problem == SegmentScan::Problem::kCorrupt);
  }
  // A zero-filled tail (size updated, data never written) is torn too.
  ScanSegment(seg + std::string(100, '\0'), true, nullptr, &scan);
  CHECK(scan.problem == SegmentScan::Problem::kTornTail);
  CHECK(scan.valid_end == seg.size());
  // A flipped byte in the middle, with good records after it, is corruption.
  std::string flipped = seg;
  flipped[kSegmentHeaderSize + 20] ^= 0x40;
  ScanSegment(flipped, true, nullptr, &scan);
  CHECK(scan.problem == SegmentScan::Problem::kCorrupt);
  CHECK(scan.bad_offset == kSegmentHeaderSize);
  // A flipped bit in a length field makes a middle record look as if it ran past the end of
  // the file, like a torn one; the good records after it make it corruption.
  for (size_t byte : {1, 2, 3}) {
    std::string long_len = seg;
    const size_t second = Segment(10, 1).size();
    long_len[second + byte] ^= 0x01;
    ScanSegment(long_len, true, nullptr, &scan);
    CHECK(scan.problem == SegmentScan::Problem::kCorrupt);
    CHECK(scan.bad_offset == second);
  }
  // The same flip in the last record is indistinguishable from a tear: cut.
  std::string last_len = seg;
  last_len[four + 2] ^= 0x01;
  ScanSegment(last_len, true, nullptr, &scan);
  CHECK(scan.problem == SegmentScan::Problem::kTornTail);
  CHECK(scan.valid_end == four);
  // A record out of sequence.
  std::string gap = Segment(10, 2) + Record(13, 0, "0", {"DEL", "k"});
  ScanSegment(gap, true, nullptr, &scan);
  CHECK(scan.problem == SegmentScan::Problem::kCorrupt);
  CHECK(scan.message.find("sequence gap") != std::string::npos);
}

TEST_CASE("segment scan: a torn last record followed by zeros is a torn tail") {
  // What a power cut leaves on a file system that extended the file before the data reached the
  // disk: the newest record cut anywhere, then a block of zeros of any size.
  const std::string seg = Segment(10, 5);
  const size_t four = Segment(10, 4).size();
  SegmentScan scan;
  for (size_t zeros : {size_t{1}, size_t{7}, size_t{512}, size_t{4096}, size_t{65536}}) {
    for (size_t cut = four; cut < seg.size(); ++cut) {
      const std::string image = seg.substr(0, cut) + std::string(zeros, '\0');
      ScanSegment(image, true, nullptr, &scan);
      INFO("cut at ", cut, " then ", zeros, " zero bytes");
      CHECK(scan.problem == SegmentScan::Problem::kTornTail);
      CHECK(scan.valid_end == four);
      CHECK(scan.last_lsn == 13);
      CHECK(scan.records == 4);
      // Not the last segment: the same image is corruption.
      ScanSegment(image, false, nullptr, &scan);
      CHECK(scan.problem == SegmentScan::Problem::kCorrupt);
    }
  }
  // The page-boundary shape: the record is all there in length, but its last bytes were zeroed
  // (the page holding them never written), and zeros follow.
  for (size_t zeroed = 1; zeroed < seg.size() - four; ++zeroed) {
    std::string image = seg;
    std::fill(image.end() - static_cast<long>(zeroed), image.end(), '\0');
    image += std::string(4096, '\0');
    ScanSegment(image, true, nullptr, &scan);
    INFO("last ", zeroed, " bytes zeroed");
    CHECK(scan.problem == SegmentScan::Problem::kTornTail);
    CHECK(scan.valid_end == four);
  }
}

TEST_CASE("segment scan: a damaged record followed by an intact one is corruption, zeros or not") {
  const std::string seg = Segment(10, 5);
  const size_t three = Segment(10, 3).size();
  SegmentScan scan;
  for (size_t at : {three + 2, three + 13, three + 20}) {
    std::string image = seg;
    image[at] ^= 0x10;  // inside record 13, record 14 intact after it
    for (size_t zeros : {size_t{0}, size_t{4096}}) {
      ScanSegment(image + std::string(zeros, '\0'), true, nullptr, &scan);
      INFO("flip at ", at, ", ", zeros, " zeros after");
      CHECK(scan.problem == SegmentScan::Problem::kCorrupt);
      CHECK(scan.bad_offset == three);
    }
  }
  // A bad last frame followed by bytes that are not zeros is no tear either.
  const size_t four = Segment(10, 4).size();
  ScanSegment(seg.substr(0, seg.size() - 3) + "junk" + std::string(64, '\0'), true, nullptr,
              &scan);
  CHECK(scan.problem == SegmentScan::Problem::kCorrupt);
  CHECK(scan.bad_offset == four);
  // Zeros then an intact record (a hole in the middle of the log) are corruption too.
  std::string hole = seg.substr(0, three) + std::string(four - three, '\0') + seg.substr(four);
  ScanSegment(hole, true, nullptr, &scan);
  CHECK(scan.problem == SegmentScan::Problem::kCorrupt);
}

TEST_CASE("manifest text round-trips and rejects garbage") {
  Manifest m;
  m.snapshot = SnapshotName(7);
  m.snapshot_lsn = 7;
  m.segments = {SegmentName(8), SegmentName(20)};
  Manifest back;
  REQUIRE(Manifest::Parse(m.Serialize(), &back) == "");
  CHECK(back.snapshot == m.snapshot);
  CHECK(back.snapshot_lsn == 7);
  CHECK(back.segments == m.segments);
  CHECK(Manifest::Parse("hello\n", &back) != "");
  CHECK(Manifest::Parse("kv-manifest 1\nsegment ../etc/passwd\n", &back) != "");
  CHECK(Manifest::Parse("kv-manifest 1\nsnapshot x.kvs\n", &back) != "");
}

TEST_CASE("snapshot round trip keeps types, expiry and namespaces") {
  TempDir dir;
  Store src(4);
  Keyspace* a = src.Get("0");
  Keyspace* b = src.Get("my_app");
  a->ShardFor("s").Set("s", ScalarView::Bytes("hello"), kNoExpire);
  a->ShardFor("i").Set("i", ScalarView::Int(-42), kNoExpire);
  b->ShardFor("d").Set("d", ScalarView::Dec(*Decimal::Parse("19.99")), 4000000000000);
  b->ShardFor("f").Set("f", ScalarView::Float(2.5), kNoExpire);
  b->ShardFor("gone").Set("gone", ScalarView::Bytes("x"), 1000);  // expired at now=2000
  const std::string path = dir.path + "/" + SnapshotName(99);
  SnapshotInfo info;
  REQUIRE(WriteSnapshot(src.All(), path, 99, 2000, &info) == "");
  CHECK(info.keys == 4);
  Store dst(8);
  SnapshotInfo loaded;
  REQUIRE(LoadSnapshot(path, dst, nullptr, &loaded) == "");
  CHECK(loaded.lsn == 99);
  CHECK(loaded.keys == 4);
  Entry* e = dst.Get("my_app")->ShardFor("d").Find("d", 2000);
  REQUIRE(e != nullptr);
  CHECK(e->type() == ScalarType::kDecimal);
  CHECK(e->expire_at() == 4000000000000);
  e = dst.Get("0")->ShardFor("i").Find("i", 2000);
  REQUIRE(e != nullptr);
  CHECK(e->value().i == -42);
  CHECK(dst.Get("my_app")->ShardFor("gone").Find("gone", 0) == nullptr);

  std::string data;
  REQUIRE(ReadWholeFile(path, &data) == "");
  size_t bad = SIZE_MAX;
  SnapshotSink none;
  // Every truncation is refused (no trailer), and so is any flipped byte.
  for (size_t cut = 0; cut < data.size(); cut += 7) {
    CHECK(ReadSnapshot(std::string_view(data).substr(0, cut), none, &loaded, &bad) != "");
  }
  for (size_t at = 0; at < data.size(); at += 5) {
    std::string flipped = data;
    flipped[at] ^= 0x10;
    CHECK(ReadSnapshot(flipped, none, &loaded, &bad) != "");
  }
}

TEST_CASE("WAL writer: records reach the segment in order, rotation starts a new file") {
  TempDir dir;
  std::vector<std::string> segments;
  Wal::Options o;
  o.dir = dir.path;
  o.next_lsn = 5;
  o.policy = FsyncPolicy::kAlways;
  o.on_segment = [&](const std::string& name, uint64_t) {
    segments.push_back(name);
    return std::string();
  };
  Wal wal(o);
  REQUIRE(wal.Start() == "");
  std::string body;
  RecordBodyWriter w(&body, 1);
  w.AddCommand("0", 2);
  w.AddArg("DEL");
  w.AddArg("k");
  CHECK(wal.Append(1, body) == 5);
  CHECK(wal.Append(2, body) == 6);
  CHECK(wal.Sync());
  CHECK(wal.durable_lsn() == 6);
  wal.Rotate();
  CHECK(wal.Append(3, body) == 7);
  CHECK(wal.Sync());
  wal.Stop();
  REQUIRE(segments == std::vector<std::string>{SegmentName(5), SegmentName(7)});
  std::string first, second;
  REQUIRE(ReadWholeFile(dir.path + "/" + segments[0], &first) == "");
  REQUIRE(ReadWholeFile(dir.path + "/" + segments[1], &second) == "");
  SegmentScan scan;
  ScanSegment(first, false, nullptr, &scan);
  CHECK(scan.problem == SegmentScan::Problem::kNone);
  CHECK(scan.first_lsn == 5);
  CHECK(scan.last_lsn == 6);
  ScanSegment(second, true, nullptr, &scan);
  CHECK(scan.problem == SegmentScan::Problem::kNone);
  CHECK(scan.last_lsn == 7);
}

}  // namespace kv::persist
