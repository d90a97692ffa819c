-- Prints wrk's summary as one JSON line that bench/wrk.ts parses.
-- Latencies are in microseconds, the duration too.
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_WRK {"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"connectErrors":%d,"readErrors":%d,"writeErrors":%d,' ..
    '"statusErrors":%d,"timeouts":%d,"p50Us":%d,"p99Us":%d,' ..
    '"meanUs":%.1f,"maxUs":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency:percentile(50.0), latency:percentile(99.0),
    latency.mean, latency.max))
end
