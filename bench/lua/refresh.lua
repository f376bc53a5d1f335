-- Refresh-token rotation: every request spends one refresh token and its answer brings the next. Each thread
-- keeps a pool of tokens (lines of WRK_TOKENS, split between threads); a request takes one from the pool and its
-- response puts the rotated one back, so every token is used exactly once. The pool must hold more tokens than
-- the thread has connections. WRK_PATH is the path up to the token, e.g. "/auth/token/refresh?refresh_token=".
local path = os.getenv("WRK_PATH")
local file = os.getenv("WRK_TOKENS")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads - 1)
end

local pool, head, tail = {}, 1, 0

function init(args)
  local count = tonumber(os.getenv("WRK_THREADS") or "1")
  local line = 0
  for token in io.lines(file) do
    if line % count == index then
      tail = tail + 1
      pool[tail] = token
    end
    line = line + 1
  end
end

function request()
  if head > tail then
    -- Out of tokens (failed requests lose theirs): a request that will fail, counted as non-2xx.
    return wrk.format("GET", path .. "none")
  end
  local token = pool[head]
  pool[head] = nil
  head = head + 1
  return wrk.format("GET", path .. token)
end

function response(status, headers, body)
  local token = body:match('"refresh_token":"([%x%-]+)"')
  if token then
    tail = tail + 1
    pool[tail] = token
  end
end
