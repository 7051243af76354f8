// NativeWriter: a reply described through ReplyBuilder becomes one typed Value.
#include "native_proto/native_writer.h"

#include <doctest/doctest.h>

namespace kv::native {

TEST_CASE("NativeWriter: a deferred array takes every element until it is closed") {
  NativeWriter w;
  const size_t outer = w.StartDeferredArray();
  w.SendLong(1);
  const size_t inner = w.StartDeferredArray();
  w.SendBulk("x");
  w.StartArray(1);
  w.SendLong(2);
  w.EndDeferredArray(inner, 2);
  w.EndDeferredArray(w.StartDeferredArray(), 0);
  w.EndDeferredArray(outer, 3);
  CHECK_FALSE(w.nil());
  CHECK(ToDebugString(w.value()) == ToDebugString(Value::MakeList(
                                        {Value::Int(1),
                                         Value::MakeList({Value::Bytes("x"),
                                                          Value::MakeList({Value::Int(2)})}),
                                         Value::MakeList()})));
}

}  // namespace kv::native
