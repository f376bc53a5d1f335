-- A light, paced client: each connection waits WRK_PACE_MS between requests (used to measure /healthz latency
-- while another wrk saturates the server with logins).
local pace = tonumber(os.getenv("WRK_PACE_MS") or "10")
function delay()
  return pace
end
