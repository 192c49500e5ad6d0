-- wrk script: GET caseworker pages as one signed-in user (the HTML session cookie).
-- Environment: COOKIE (the homeward_session value), PATHS (comma-separated paths; each request
-- takes one at random, e.g. "/my-work" or "/episodes/12,/episodes/40"), LABEL (names the run in
-- the summary). done() prints one line "BENCH {json}" (see bench/report.lua).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

local cookie = os.getenv("COOKIE") or error("set COOKIE")
local label = os.getenv("LABEL") or "pages"
local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "/my-work", "[^,]+") do
  table.insert(paths, p)
end

function init(args)
  math.randomseed(id * 7919 + os.time())
end

function request()
  count_request("html")
  return wrk.format("GET", paths[math.random(#paths)], { ["Cookie"] = "homeward_session=" .. cookie })
end

function response(status, headers, body)
  count_response(status, headers)
end

function done(summary, latency, requests)
  report(summary, latency, label)
end
