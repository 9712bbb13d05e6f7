-- wrk script: each request appends a DTMF entry to the timeline of one of the calls whose ids
-- are in CALLS (comma-separated), in turn, with the API token in TOKEN. The requests are
-- formatted once, up front, so the load generator spends its time sending, not in Lua.
local requests = {}
local n = 0

init = function()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or "")
  local calls = {}
  for id in string.gmatch(os.getenv("CALLS") or "", "[^,]+") do
    table.insert(calls, id)
  end
  for digit = 0, 9 do
    for _, id in ipairs(calls) do
      local path = "/api/v1/calls/" .. id .. "/events"
      local body = '{"type":"dtmf","data":{"digits":"' .. digit .. '"}}'
      table.insert(requests, wrk.format(nil, path, nil, body))
    end
  end
end

request = function()
  n = n + 1
  return requests[(n % #requests) + 1]
end
