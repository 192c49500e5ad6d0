-- Shared by bench/pages.lua, bench/api.lua and bench/mix.lua (loaded with dofile): counts every
-- response's status per thread and, in done(), prints one line "BENCH {json}" with the run's
-- figures. wrk gives each thread its own Lua state, so setup() keeps the threads and done() adds
-- up their counters with thread:get().
--
-- What wrk 4.1 counts, and what this adds (read before quoting the figures):
--  * "timeout" (errors.timeout) is the number of responses that arrived after --timeout; wrk does
--    not close the connection, it keeps waiting, and such a response is left out of the latency
--    histogram, so p50/p99/max are of the responses answered within --timeout (and wrk adds
--    coordinated-omission samples to that histogram before done() sees it);
--  * a request still unanswered when the run stops is counted nowhere by wrk: "unanswered" here is
--    requests sent minus responses received (at most one per connection, plus any lost to socket
--    errors). wrk does not say which request a response answers, so how long the unanswered ones
--    had waited is an estimate, "unanswered_over_timeout": the send instants are kept in a queue per
--    kind of request (pages, API: the response's content type tells which) and each response is
--    taken to answer the oldest outstanding request of its kind. It is exact when all the run's
--    requests take about as long, and can be too low when some are stuck far longer than others;
--  * errors.status is wrk's own count of statuses >= 400; "non2xx" counts every status outside
--    200-299 (a 303 to /sign-in means the session was lost, so it counts too).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
unsigned long pthread_self(void);
]]
local ts = ffi.new("bench_timespec")
local function now() -- CLOCK_MONOTONIC, shared by the threads of the process
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("id", next_id)
  thread:set("main_thread", tonumber(ffi.C.pthread_self()))
  table.insert(threads, thread)
end

statuses = {}
non2xx = 0
html = 0
json = 0
sent = 0
received = 0
-- Send instants of the outstanding requests, oldest first, per kind ("html" pages, "json" API):
-- flat tables, as thread:get() cannot copy nested ones.
q_html, q_json = {}, {}
local queues = { html = { q = q_html, head = 1, tail = 0 }, json = { q = q_json, head = 1, tail = 0 } }

-- count_request(kind): call from request(); kind is "html" (a page) or "json" (an API call).
function count_request(kind)
  -- wrk calls request() once from its main thread to check the request parses (in the first
  -- thread's Lua state in wrk 4.1); that request is never sent.
  if tonumber(ffi.C.pthread_self()) == main_thread then return end
  sent = sent + 1
  local k = queues[kind or "html"]
  k.tail = k.tail + 1
  k.q[k.tail] = now()
end

local function pop(k)
  if k.head <= k.tail then
    k.q[k.head] = nil
    k.head = k.head + 1
    return true
  end
  return false
end

function count_response(status, headers)
  received = received + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  local ct = headers["content-type"] or headers["Content-Type"] or ""
  local kind
  if ct:find("text/html", 1, true) then
    html = html + 1
    kind = "html"
  elseif ct:find("json", 1, true) then
    json = json + 1
    kind = "json"
  end
  if not (kind and pop(queues[kind])) then
    -- Unknown kind (a redirect, an empty body): the oldest outstanding request of either kind.
    local h, j = queues.html, queues.json
    local h_old = h.head <= h.tail and h.q[h.head] or math.huge
    local j_old = j.head <= j.tail and j.q[j.head] or math.huge
    pop(h_old <= j_old and h or j)
  end
end

local function ms(us)
  return string.format("%.2f", us / 1000)
end

local function waiting_longer_than(instants, limit, at)
  local n = 0
  for _, t in pairs(instants or {}) do
    if at - t > limit then n = n + 1 end
  end
  return n
end

function report(summary, latency, label)
  local at = now()
  local limit = tonumber(os.getenv("TIMEOUT_S") or "10")
  local t_non2xx, t_html, t_json, t_sent, t_received, merged = 0, 0, 0, 0, 0, {}
  local over = 0
  for _, t in ipairs(threads) do
    t_non2xx = t_non2xx + (t:get("non2xx") or 0)
    t_html = t_html + (t:get("html") or 0)
    t_json = t_json + (t:get("json") or 0)
    t_sent = t_sent + (t:get("sent") or 0)
    t_received = t_received + (t:get("received") or 0)
    for k, v in pairs(t:get("statuses") or {}) do
      merged[k] = (merged[k] or 0) + v
    end
    over = over + waiting_longer_than(t:get("q_html"), limit, at) + waiting_longer_than(t:get("q_json"), limit, at)
  end
  local parts = {}
  for k, v in pairs(merged) do
    table.insert(parts, string.format('"%s":%d', k, v))
  end
  table.sort(parts)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local answered = summary.requests > e.timeout
  local function pct(p) return answered and ms(latency:percentile(p)) or "null" end
  io.write(string.format(
    'BENCH {"label":"%s","duration_s":%.2f,"requests":%d,"requests_per_s":%.2f,"bytes":%d,' ..
    '"p50_ms":%s,"p90_ms":%s,"p99_ms":%s,"max_ms":%s,"mean_ms":%s,' ..
    '"non2xx":%d,"html":%d,"json":%d,"statuses":{%s},"sent":%d,"unanswered":%d,' ..
    '"unanswered_over_timeout":%d,"timeout_s":%g,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}}\n',
    label, seconds, summary.requests, summary.requests / seconds, summary.bytes,
    pct(50), pct(90), pct(99), answered and ms(latency.max) or "null",
    answered and ms(latency.mean) or "null",
    t_non2xx, t_html, t_json, table.concat(parts, ","), t_sent, t_sent - t_received,
    over, limit,
    e.connect, e.read, e.write, e.timeout, e.status))
end
