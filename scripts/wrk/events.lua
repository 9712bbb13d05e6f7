-- wrk script: each request appends a DTMF entry to the timeline of one of the calls whose ids
-- are in CALLS (comma-separated), in turn, with the API token in TOKEN.
local calls = {}
for id in string.gmatch(os.getenv("CALLS") or "", "[^,]+") do
  table.insert(calls, id)
end
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "")

request = function()
  n = n + 1
  local path = "/api/v1/calls/" .. calls[(n % #calls) + 1] .. "/events"
  return wrk.format(nil, path, nil, '{"type":"dtmf","data":{"digits":"' .. (n % 10) .. '"}}')
end
