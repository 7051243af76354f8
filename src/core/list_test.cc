// The list container against a std::deque model: every encoding (one listpack, many nodes) and
// the conversion between them, with elements of every type and sizes across node limits.
#include <doctest/doctest.h>

#include <deque>
#include <random>
#include <string>

#include "core/list.h"
#include "core/listpack.h"
#include "core/object.h"
#include "core/quicklist.h"

namespace kv {

namespace {

// A model element: the canonical text plus the type, enough to tell elements apart.
std::string Describe(const ScalarView& v) {
  char buf[kScalarBufSize];
  if (IsNested(v.type)) return "nested:" + std::string(v.bytes);
  return std::to_string(static_cast<int>(v.type)) + ":" + std::string(CanonicalString(v, buf));
}

std::vector<std::string> Contents(const QuickList& q) {
  std::vector<std::string> out;
  if (q.size() == 0) return out;
  QuickList::Pos p = q.Seek(0);
  do {
    out.push_back(Describe(q.Get(p)));
  } while (q.Next(&p));
  return out;
}

std::vector<std::string> Backwards(const QuickList& q) {
  std::vector<std::string> out;
  if (q.size() == 0) return out;
  QuickList::Pos p = q.Seek(q.size() - 1);
  do {
    out.insert(out.begin(), Describe(q.Get(p)));
  } while (q.Prev(&p));
  return out;
}

// Random elements of every type, owning their bytes.
struct Maker {
  std::mt19937_64 rng;
  std::deque<std::string> store;
  ScalarView Make() {
    switch (rng() % 6) {
      case 0:
        return ScalarView::Int(static_cast<int64_t>(rng()));
      case 1:
        return ScalarView::Float(static_cast<double>(rng() % 1000) / 7);
      case 2:
        return ScalarView::Dec(*Decimal::Parse(std::to_string(rng() % 100000) + ".25"));
      case 3:
        store.push_back("s" + std::to_string(rng() % 50));
        return ScalarView::String(store.back());
      case 4:
        // Long enough, now and then, to need a multi-byte length and backlen, or a node alone.
        store.push_back(std::string(rng() % 3 == 0 ? rng() % 20000 : rng() % 200, 'x'));
        return ScalarView::Bytes(store.back());
      default:
        store.push_back(std::string(1, static_cast<char>(6)) + std::string(4, '\0'));  // []
        return ScalarView::Nested(store.back());
    }
  }
};

}  // namespace

TEST_CASE("listpack elements keep type and value, both directions") {
  char* lp = listpack::New();
  const std::string big(300, 'b');
  const ScalarView values[] = {ScalarView::Bytes("a"), ScalarView::Bytes(""),
                               ScalarView::Bytes(big), ScalarView::String("text"),
                               ScalarView::Int(-7), ScalarView::Float(2.5),
                               ScalarView::Dec(*Decimal::Parse("1.50"))};
  for (const ScalarView& v : values) lp = listpack::Insert(lp, listpack::Bytes(lp), v);
  CHECK(listpack::Count(lp) == 7);
  uint32_t off = listpack::First(lp);
  for (const ScalarView& v : values) {
    CHECK(SameValue(listpack::Get(lp, off), v));
    off = listpack::Next(lp, off);
  }
  CHECK(off == listpack::Bytes(lp));
  off = listpack::Last(lp);
  for (int i = 6; i >= 0; --i) {
    CHECK(SameValue(listpack::Get(lp, off), values[i]));
    off = listpack::Prev(lp, off);
  }
  CHECK(off == 0);
  // A short Bytes element costs its length + 2, as in Redis's listpack.
  CHECK(listpack::ElementSize(ScalarView::Bytes("foo")) == 5);
  lp = listpack::Replace(lp, listpack::Seek(lp, 2), ScalarView::Int(1));
  CHECK(SameValue(listpack::Get(lp, listpack::Seek(lp, 2)), ScalarView::Int(1)));
  lp = listpack::Erase(lp, listpack::Seek(lp, 1), 5);
  CHECK(listpack::Count(lp) == 2);
  CHECK(SameValue(listpack::Get(lp, listpack::Last(lp)), values[6]));
  CHECK(listpack::TextEquals(lp, listpack::First(lp), "a"));
  listpack::Free(lp);
}

TEST_CASE("quicklist matches a deque under random operations, for several node sizes") {
  for (int fill : {-1, -2, 3, 128}) {
    CAPTURE(fill);
    Maker maker{std::mt19937_64(static_cast<uint64_t>(fill + 100)), {}};
    QuickList q(fill);
    std::deque<std::string> model;
    for (int step = 0; step < 3000; ++step) {
      const int op = static_cast<int>(maker.rng() % 10);
      if (op < 4 || model.empty()) {
        const ScalarView v = maker.Make();
        const bool front = maker.rng() % 2;
        q.Push(front, v);
        front ? model.push_front(Describe(v)) : model.push_back(Describe(v));
      } else if (op == 4) {
        const uint64_t i = maker.rng() % model.size();
        const ScalarView v = maker.Make();
        q.Replace(q.Seek(i), v);
        model[i] = Describe(v);
      } else if (op == 5) {
        const uint64_t i = maker.rng() % model.size();
        const bool after = maker.rng() % 2;
        const ScalarView v = maker.Make();
        q.Insert(q.Seek(i), after, v);
        model.insert(model.begin() + static_cast<long>(i + (after ? 1 : 0)), Describe(v));
      } else if (op == 6) {
        const uint64_t start = maker.rng() % model.size();
        const uint64_t n = maker.rng() % (model.size() - start + 1) % 40;
        q.EraseRange(start, n);
        model.erase(model.begin() + static_cast<long>(start),
                    model.begin() + static_cast<long>(start + n));
      } else if (op == 7) {
        const int64_t count = static_cast<int64_t>(maker.rng() % 5) - 2;
        const std::string text = "s" + std::to_string(maker.rng() % 50);
        const uint64_t removed = q.RemoveText(text, count);
        uint64_t expect = 0;
        const std::string key = "4:" + text;
        const uint64_t limit = count == 0 ? UINT64_MAX : static_cast<uint64_t>(std::abs(count));
        if (count >= 0) {
          for (size_t i = 0; i < model.size() && expect < limit;)
            if (model[i] == key) {
              model.erase(model.begin() + static_cast<long>(i));
              ++expect;
            } else {
              ++i;
            }
        } else {
          for (size_t i = model.size(); i-- > 0 && expect < limit;)
            if (model[i] == key) {
              model.erase(model.begin() + static_cast<long>(i));
              ++expect;
            }
        }
        CHECK(removed == expect);
      } else {
        const uint64_t i = maker.rng() % model.size();
        CHECK(Describe(q.Get(q.Seek(i))) == model[i]);
      }
      REQUIRE(q.size() == model.size());
      for (size_t n = 1; n < q.node_count(); ++n) REQUIRE_FALSE(q.FitsWithPrevious(n));
    }
    const std::vector<std::string> expect(model.begin(), model.end());
    CHECK(Contents(q) == expect);
    CHECK(Backwards(q) == expect);
    CHECK(q.node_count() > 1);
  }
}

TEST_CASE("deletions merge the nodes they leave small") {
  QuickList q(8);  // 8 elements per node
  for (int i = 0; i < 80; ++i) q.Push(false, ScalarView::Bytes(i % 2 ? "odd" : "even"));
  CHECK(q.node_count() == 10);
  const size_t full = q.memory();
  CHECK(q.RemoveText("odd", 0) == 40);  // 4 left per node: pairs merge
  CHECK(q.node_count() == 5);
  CHECK(q.memory() < full);
  q.EraseRange(4, 24);  // empties the middle nodes and leaves two halves that fit together
  CHECK(q.size() == 16);
  CHECK(q.node_count() == 2);
  q.EraseRange(0, 1);
  q.EraseRange(14, 1);
  CHECK(q.node_count() == 2);  // 7 + 7 elements still need two nodes of 8
  q.EraseRange(0, 6);
  CHECK(q.node_count() == 1);  // 1 + 7
  CHECK(q.size() == 8);
  for (uint64_t i = 0; i < q.size(); ++i) CHECK(q.Get(q.Seek(i)).bytes == "even");

  // A replace that shrinks a big element lets its node join the next one.
  QuickList big(-1);  // 4 KB nodes
  big.Push(false, ScalarView::Bytes(std::string(3000, 'x')));
  big.Push(false, ScalarView::Bytes(std::string(3000, 'y')));
  CHECK(big.node_count() == 2);
  big.Replace(big.Seek(0), ScalarView::Bytes("x"));
  CHECK(big.node_count() == 1);
  CHECK(big.size() == 2);
}

TEST_CASE("a list entry is a listpack until it needs a second node, then a quicklist") {
  Entry* e = Entry::CreateEncoded("k", static_cast<uint8_t>(Encoding::kListPack), 8, false);
  e->set_container(listpack::New());
  CHECK(TypeOf(*e) == ObjType::kList);
  CHECK(EncodingName(*e) == "listpack");
  const std::string value(100, 'v');
  int64_t accounted = static_cast<int64_t>(ContainerBytes(*e));
  for (int i = 0; i < 200 && Is(*e, Encoding::kListPack); ++i) {
    ListRef list(e);
    list->Push(false, ScalarView::Bytes(value));
    accounted += list.Commit();
  }
  // 8 KB nodes (list-max-listpack-size -2): about 80 elements of 100 bytes fit one.
  CHECK(Is(*e, Encoding::kQuickList));
  CHECK(EncodingName(*e) == "quicklist");
  CHECK(accounted == static_cast<int64_t>(ContainerBytes(*e)));
  std::string scratch;
  const ScalarView whole = WholeValue(*e, &scratch);
  CHECK(EncodedTypeOf(whole.bytes) == EncodedType::kList);
  size_t n = 0;
  ForEachListElement(whole.bytes, [&](const ScalarView& v) {
    CHECK(v.bytes == value);
    ++n;
  });
  {
    ListRef list(e);
    CHECK(list->size() == n);
  }
  DestroyEntry(e);
}

}  // namespace kv
