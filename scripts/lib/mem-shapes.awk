# Writes the RESP commands that load one memory shape of scripts/bench-resp.sh, for redis-cli
# --pipe. Run with -v shape=NAME; the shapes are the issue's memory table:
#   lists   100k lists of 20 short items     hashes  100k hashes of 10 short fields
#   set     one set of 1M short strings      zset    one sorted set of 1M members
#   stream  one stream of 1M entries         streams 100 streams, 1M entries in all, each
#           "type done job <i> ts 1700000000"         entry one field of a 64-byte value
# Elements are what an application's would look like: "item:17", "field:3" / "value:3",
# "member:123456" with score 123456; stream entries get `*` IDs.
function cmd(n, args,    i, out) {
  out = "*" n "\r\n"
  for (i = 1; i <= n; i++) out = out "$" length(args[i]) "\r\n" args[i] "\r\n"
  printf "%s", out
}
BEGIN {
  if (shape == "lists") {
    for (k = 0; k < 100000; k++) {
      a[1] = "RPUSH"; a[2] = "list:" k
      for (j = 0; j < 20; j++) a[3 + j] = "item:" j
      cmd(22, a)
    }
  } else if (shape == "hashes") {
    for (k = 0; k < 100000; k++) {
      a[1] = "HSET"; a[2] = "hash:" k
      for (j = 0; j < 10; j++) { a[3 + 2 * j] = "field:" j; a[4 + 2 * j] = "value:" j }
      cmd(22, a)
    }
  } else if (shape == "set") {
    for (k = 0; k < 1000000; k += 100) {
      a[1] = "SADD"; a[2] = "set"
      for (j = 0; j < 100; j++) a[3 + j] = "member:" (k + j)
      cmd(102, a)
    }
  } else if (shape == "stream") {
    for (k = 0; k < 1000000; k++) {
      a[1] = "XADD"; a[2] = "stream"; a[3] = "*"; a[4] = "type"; a[5] = "done"
      a[6] = "job"; a[7] = k; a[8] = "ts"; a[9] = "1700000000"
      cmd(9, a)
    }
  } else if (shape == "streams") {
    for (k = 0; k < 1000000; k++) {
      a[1] = "XADD"; a[2] = "stream:" (k % 100); a[3] = "*"; a[4] = "payload"
      a[5] = sprintf("x%063d", k)
      cmd(5, a)
    }
  } else if (shape == "zset") {
    for (k = 0; k < 1000000; k += 100) {
      a[1] = "ZADD"; a[2] = "zset"
      for (j = 0; j < 100; j++) { a[3 + 2 * j] = k + j; a[4 + 2 * j] = "member:" (k + j) }
      cmd(202, a)
    }
  }
}
