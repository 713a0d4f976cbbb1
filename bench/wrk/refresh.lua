-- refresh.lua - POST of {"refresh_token"} to the URL given to wrk
-- (P/token?grant_type=refresh_token), for `make bench`.  A refresh token is
-- single use: each answer carries its successor, which a later request of
-- the same thread presents.  Each thread starts with its share of the
-- tokens of $BENCH_REFRESH_TOKENS (one a line, fresh for this wrk run: a
-- token already exchanged would be a replay) and keeps them in a queue:
-- a request takes the oldest, an answer puts its successor at the end.  A
-- failed answer loses its token; when none is left, requests go out with
-- a token that fails, and wrk counts them as errors.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local headers = { ["Content-Type"] = "application/json" }
local queue, first, last = {}, 1, 0

function init(args)
   local path = os.getenv("BENCH_REFRESH_TOKENS")
   assert(path, "BENCH_REFRESH_TOKENS unset")
   local threads = tonumber(bench.env("BENCH_WRK_THREADS", "1"))
   local n = 0
   local file = assert(io.open(path, "r"))
   for token in file:lines() do
      if token ~= "" then
         -- the thread's share: every threads-th token
         if n % threads == (thread_no or 0) % threads then
            last = last + 1
            queue[last] = token
         end
         n = n + 1
      end
   end
   file:close()
   assert(last >= first, "no refresh token for this thread in " .. path)
end

function request()
   local token = "none-left"
   if first <= last then
      token = queue[first]
      queue[first] = nil
      first = first + 1
   end
   return wrk.format("POST", nil, headers,
      string.format('{"refresh_token": "%s"}', token))
end

function response(status, headers, body)
   if status == 200 then
      local successor = body:match('"refresh_token":%s*"([%w_%-]+)"')
      if successor then
         last = last + 1
         queue[last] = successor
      end
   end
end
