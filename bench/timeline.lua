-- wrk script: GET random children's timelines as one authority's social worker.
-- Children of the demo generator belong to authority i mod 13 (creation order), so the children
-- of authority position P (0-based) have IDs 13*k + P + 1. Set TOKEN, AUTHORITY_POS and CHILDREN.
local token = os.getenv("TOKEN")
local pos = tonumber(os.getenv("AUTHORITY_POS") or "7")
local children = tonumber(os.getenv("CHILDREN") or "300000")
local per_authority = math.floor(children / 13) - 1

request = function()
  local id = 13 * math.random(0, per_authority) + pos + 1
  return wrk.format("GET", "/api/v1/children/" .. id .. "/timeline", { ["Authorization"] = "Bearer " .. token })
end

done = function(summary, latency, requests)
  io.write(string.format("requests/s %.0f  p50 %.2f ms  p99 %.2f ms  errors %d (non-2xx %d)\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
