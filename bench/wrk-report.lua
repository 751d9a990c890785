-- wrk reporter used by bench/http-vs-lsns.sh: prints one machine-readable
-- line after wrk's normal output. Times are in microseconds.
--   wrk ... -s bench/wrk-report.lua URL | grep '^WRK_RESULT'
done = function(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "WRK_RESULT requests=%d secs=%.6f rps=%.2f lat_mean_us=%.2f lat_stdev_us=%.2f " ..
    "lat_p50_us=%d lat_p99_us=%d lat_max_us=%d bytes=%d " ..
    "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
    summary.requests, secs, summary.requests / secs, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(99), latency.max, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout))
end
