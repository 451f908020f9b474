-- wrk script: POST the request stream's bodies in order, cycling; print a JSON summary.
-- WRK_BODIES (folder of 0.json, 1.json, ...), WRK_COUNT and WRK_PATH come from the environment.
local bodies = {}
local index = 0
local path = os.getenv("WRK_PATH")
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  local folder = os.getenv("WRK_BODIES")
  for n = 0, tonumber(os.getenv("WRK_COUNT")) - 1 do
    local file = assert(io.open(folder .. "/" .. n .. ".json", "rb"))
    bodies[n + 1] = file:read("*a")
    file:close()
  end
end

function request()
  index = index % #bodies + 1
  return wrk.format("POST", path, headers, bodies[index])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.6f, "non_2xx": %d, "socket_errors": %d, ' ..
    '"timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
