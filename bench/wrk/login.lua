-- login.lua - POST of {"email", "password"} to the URL given to wrk
-- (P/login), for `make bench`: each request logs in a random one of the
-- seeded users $BENCH_LOGIN_PREFIX<i>@bench.local, i in 1..$BENCH_LOGIN_USERS,
-- whose password is $BENCH_PASSWORD.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local prefix = bench.env("BENCH_LOGIN_PREFIX", "c4u")
local users = tonumber(bench.env("BENCH_LOGIN_USERS", "100"))
local password = bench.env("BENCH_PASSWORD", "Bench-Passw0rd")
local headers = { ["Content-Type"] = "application/json" }

function init(args)
   math.randomseed(os.time() * 16 + (thread_no or 0))
end

function request()
   return wrk.format("POST", nil, headers, string.format(
      '{"email": "%s%d@bench.local", "password": "%s"}',
      prefix, math.random(users), password))
end
