-- wrk script: many clients over a mix of caseworker pages and API reads, as one authority's
-- user: 70 % pages (My work, Missing now, Children, an episode page; a quarter each) signed in
-- with the HTML session cookie, 30 % API reads with an API token (a child's record and a child's
-- timeline, half each). Environment: COOKIE, TOKEN, EPISODES (comma-separated episode IDs the
-- user may see), AUTHORITY_POS and CHILDREN (which child IDs belong to the authority; see
-- bench/timeline.lua), LABEL. done() prints one line "BENCH {json}" (see bench/report.lua),
-- with the responses split by content type (html = pages, json = API).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

local cookie = os.getenv("COOKIE") or error("set COOKIE")
local token = os.getenv("TOKEN") or error("set TOKEN")
local label = os.getenv("LABEL") or "mix"
local pos = tonumber(os.getenv("AUTHORITY_POS") or "7")
local children = tonumber(os.getenv("CHILDREN") or "240")
local per_authority = math.floor(children / 13) - 1
local episodes = {}
for e in string.gmatch(os.getenv("EPISODES") or "", "[^,]+") do
  table.insert(episodes, e)
end
if #episodes == 0 then error("set EPISODES") end
local pages = { "/my-work", "/missing-now", "/children" }

function init(args)
  math.randomseed(id * 7919 + os.time())
end

local function child_id()
  return 13 * math.random(0, per_authority) + pos + 1
end

function request()
  local r = math.random(100)
  if r <= 70 then
    local k = (r - 1) % 4 + 1
    local path = pages[k] or ("/episodes/" .. episodes[math.random(#episodes)])
    count_request("html")
    return wrk.format("GET", path, { ["Cookie"] = "homeward_session=" .. cookie })
  end
  local path = "/api/v1/children/" .. child_id()
  if r > 85 then
    path = path .. "/timeline"
  end
  count_request("json")
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
  count_response(status, headers)
end

function done(summary, latency, requests)
  report(summary, latency, label)
end
