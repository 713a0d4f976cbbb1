-- floor.lua - plain GET of the URL given to wrk (the HTTP floor server of
-- `make bench`), with the summary line of common.lua.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")
