-- wrk script: GET random children of one authority through the JSON API with an API token,
-- like bench/timeline.lua (children of the demo generator belong to authority i mod 13 in
-- creation order, so authority position P's children have IDs 13*k + P + 1), with the summary of
-- bench/report.lua. Environment: TOKEN, AUTHORITY_POS, CHILDREN, KIND ("timeline" for
-- /api/v1/children/{id}/timeline, "child" for /api/v1/children/{id}), LABEL.
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "report.lua")

local token = os.getenv("TOKEN") or error("set TOKEN")
local pos = tonumber(os.getenv("AUTHORITY_POS") or "7")
local children = tonumber(os.getenv("CHILDREN") or "300000")
local per_authority = math.floor(children / 13) - 1
local suffix = (os.getenv("KIND") or "timeline") == "child" and "" or "/timeline"
local label = os.getenv("LABEL") or "api"

function init(args)
  math.randomseed(id * 7919 + os.time())
end

function request()
  count_request("json")
  local child = 13 * math.random(0, per_authority) + pos + 1
  return wrk.format("GET", "/api/v1/children/" .. child .. suffix, { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
  count_response(status, headers)
end

function done(summary, latency, requests)
  report(summary, latency, label)
end
