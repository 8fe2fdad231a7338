-- wrk script: request every tile path listed in $TILE_LIST, round robin,
-- each wrk thread starting at a different offset. The requests are
-- formatted once per thread, so the load generator spends its CPU (shared
-- with the server on a small machine) on sending, not on Lua strings.
local paths = {}
for line in io.lines(os.getenv("TILE_LIST")) do
  paths[#paths + 1] = line
end
local requests = {}
local counter = 0
local next_thread = 0

function setup(thread)
  thread:set("offset", next_thread * 7919)
  next_thread = next_thread + 1
end

function init(args)
  counter = tonumber(offset) or 0
  for i, p in ipairs(paths) do
    requests[i] = wrk.format("GET", p)
  end
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end
