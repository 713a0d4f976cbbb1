-- register.lua - POST of a new account to the URL given to wrk (P/register),
-- for `make bench`: every request registers an address never used before,
-- r<$BENCH_RUN_TAG>t<thread>n<counter>@bench.local, so that each is a real
-- registration (hash, insert, mail, token), never a 409.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local tag = bench.env("BENCH_RUN_TAG", tostring(os.time()))
local password = bench.env("BENCH_PASSWORD", "Bench-Passw0rd")
local headers = { ["Content-Type"] = "application/json" }
local counter = 0

function request()
   counter = counter + 1
   return wrk.format("POST", nil, headers, string.format(
      '{"email": "r%st%dn%d@bench.local", "password1": "%s", "password2": "%s"}',
      tag, thread_no or 0, counter, password, password))
end
