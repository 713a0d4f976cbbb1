-- common.lua - shared by the wrk scripts of `make bench` (scripts/bench.sh):
-- numbers the threads, and after the run prints one line the script parses:
--   BENCH requests=N seconds=S rps=R p50_ms=X p90_ms=X p99_ms=X max_ms=X
--         non2xx=N connect=N read=N write=N timeout=N
bench = {}

local threads_seen = 0
function setup(thread)
   thread:set("thread_no", threads_seen)
   threads_seen = threads_seen + 1
end

function done(summary, latency, requests)
   local seconds = summary.duration / 1000000
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d seconds=%.3f rps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f " ..
      "non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000,
      e.status, e.connect, e.read, e.write, e.timeout))
end

-- the environment variable name, or default when it is unset or empty
function bench.env(name, default)
   local v = os.getenv(name)
   if v == nil or v == "" then return default end
   return v
end
