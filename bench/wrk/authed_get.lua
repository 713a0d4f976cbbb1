-- authed_get.lua - GET of the URL given to wrk (P/profile or P/token) with a
-- valid token in the token header, for `make bench`.  Tokens are read from
-- $BENCH_TOKENS (one a line); each request takes the next one, so that the
-- reads spread over many users.  $BENCH_TOKEN_HEADER names the header
-- (default Authentication-Token).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local header = bench.env("BENCH_TOKEN_HEADER", "Authentication-Token")
local requests = {}
local next_one = 0

function init(args)
   local path = os.getenv("BENCH_TOKENS")
   assert(path, "BENCH_TOKENS unset")
   local file = assert(io.open(path, "r"))
   for token in file:lines() do
      if token ~= "" then
         requests[#requests + 1] = wrk.format("GET", nil, { [header] = token })
      end
   end
   file:close()
   assert(#requests > 0, "no token in " .. path)
   -- threads start at different places in the list
   next_one = (thread_no or 0) * math.floor(#requests / 2)
end

function request()
   next_one = next_one + 1
   return requests[next_one % #requests + 1]
end
