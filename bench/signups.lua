-- wrk script for the sign-up benchmark (bench/run, bench/ab-signups): every request signs up a new address to the
-- morning briefing through POST /api/public/subscriptions, and every answer must be 200 with "success".
-- Arguments (after --): NAME (the RESULT line's name) RUN (makes this run's addresses differ from any other run's).
-- Prints one line in the C# load generator's format: RESULT name rate/s p50-ms p99-ms ok errors completed.
local threads = {}
local counter = 0
errors = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  id = wrk.thread:get("id")
  name = args[1] or "signups"
  run = args[2] or "x"
  wrk.thread:set("name", name)
end

function request()
  counter = counter + 1
  local body = '{"email":"wrk-' .. run .. '-' .. id .. '-' .. counter .. '@bench.example.com","newsletters":["morning-briefing"]}'
  return wrk.format("POST", "/api/public/subscriptions", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"success"', 1, true) then errors = errors + 1 end
end

function done(summary, latency, requests)
  local bad = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, t in ipairs(threads) do bad = bad + t:get("errors") end
  local seconds = summary.duration / 1e6
  io.write(string.format("RESULT\t%s\t%.0f\t%.2f\t%.2f\t%d\t%d\t%d\n", threads[1]:get("name"), (summary.requests - bad) / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.requests - bad, bad, summary.requests))
end
