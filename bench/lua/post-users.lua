-- POST a JSON body naming one of USERS accounts in turn: WRK_PATH, WRK_BODY (each "{n}" becomes the account number
-- 0..WRK_USERS-1). Threads start at different accounts, so no account has more than one request in flight while
-- connections <= WRK_USERS (latchkey counts guesses per account while a check runs).
local path = os.getenv("WRK_PATH")
local template = os.getenv("WRK_BODY")
local users = tonumber(os.getenv("WRK_USERS") or "64")
local threads = 0

function setup(thread)
  thread:set("first", threads)
  threads = threads + 1
end

local n = nil
function request()
  if n == nil then n = (first or 0) * 7919 end
  n = n + 1
  local body = template:gsub("{n}", tostring(n % users))
  return wrk.format("POST", path, { ["content-type"] = "application/json" }, body)
end
