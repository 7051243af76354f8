# The request rate of a redis-benchmark run with --threads (or --cluster, which implies them),
# from its output with carriage returns turned into newlines, not --csv and not -q. When the run
# has several tests (-t lrange_100 runs the LPUSH that fills its list first), the last test's.
#
# With threads redis-benchmark stops only at its 250 ms progress tick, so the run time it
# reports, and the "throughput summary" drawn from it, are rounded up to that grid. Each tick
# prints "TITLE: rps=<last 250 ms> (overall: <requests done / time since the start>) ...": the
# overall rate of the last tick before the end is exact over all of the run but its last
# < 250 ms. Runs shorter than one tick have no such line: then the summary is all there is.
# (The first tick fires 1 ms after the start, so it is skipped.)
/: rps=[0-9.]+ \(overall: / {
  # The first line comes 1 ms after the threads start: a rate over a few requests, or none.
  if (++ticks == 1) next
  match($0, /\(overall: [0-9.]+\)/)  # the first one: the second is the average latency
  rate = substr($0, RSTART + 10, RLENGTH - 11)
  if (rate + 0 > 0) last = rate
}
# A test's summary follows its ticks: the next test's ticks start afresh.
/^====== / { titled = 1; test_rate = last; ticks = 0; last = "" }
/throughput summary:/ { summary = $3 }
END {
  if (!titled) test_rate = last
  print (test_rate != "" ? test_rate : summary)
}
