-- wrk script: request every tile path listed in $TILE_LIST, round robin,
-- each wrk thread starting at a different offset.
local paths = {}
for line in io.lines(os.getenv("TILE_LIST")) do
  paths[#paths + 1] = line
end
local counter = 0
local next_thread = 0

function setup(thread)
  thread:set("offset", next_thread * 7919)
  next_thread = next_thread + 1
end

function init(args)
  counter = tonumber(offset) or 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
