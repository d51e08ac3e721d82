-- Replays a pre-built request corpus (one request a line: method, path, headers, body, tab-separated;
-- headers joined by \31). Each wrk thread sends its own share of the lines, in order, once: no request is
-- sent twice. When a thread's share is used up it waits for its answers and stops. WRK_DELAY_MS paces
-- every connection. done() prints one JSON line: counts, statuses and latency percentiles.
local corpus = os.getenv("WRK_CORPUS")
local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
local pace = tonumber(os.getenv("WRK_DELAY_MS") or "0")
local keep = os.getenv("WRK_KEEP_BODIES") == "1"
local threads, counter = {}, 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(s, sep)
  local out, start = {}, 1
  while true do
    local i = string.find(s, sep, start, true)
    if not i then table.insert(out, string.sub(s, start)); return out end
    table.insert(out, string.sub(s, start, i - 1))
    start = i + 1
  end
end

function init(args)
  reqs, pos, sent, received, fillers = {}, 0, 0, 0, 0
  statuses, bodies, filler_answers = {}, {}, 0
  local n = 0
  for line in io.lines(corpus) do
    if n % nthreads == index then
      local f = split(line, "\t")
      local headers = {}
      if f[3] ~= "" then
        for _, h in ipairs(split(f[3], "\31")) do
          local c = string.find(h, ":", 1, true)
          headers[string.sub(h, 1, c - 1)] = string.sub(h, c + 2)
        end
      end
      local body = f[4] ~= "" and f[4] or nil
      table.insert(reqs, wrk.format(f[1], f[2], headers, body))
    end
    n = n + 1
  end
  total = #reqs
  filler = wrk.format("GET", "/__corpus_used_up__")
  primed = index ~= 0
end

function request()
  -- wrk calls request() once on the first thread's state to check it, and never sends that one.
  if not primed then primed = true; return filler end
  -- Past the end of the share (a connection reopened while the last answers are awaited): a request no
  -- server knows, answered 404, counted apart; a corpus request is never sent twice.
  if pos >= total then fillers = fillers + 1; return filler end
  pos = pos + 1
  sent = sent + 1
  return reqs[pos]
end

function delay()
  if pos >= total then return 3600000 end
  return pace
end

function finish()
  -- Tell the runner this thread is through (it then ends wrk's timer), and stop.
  local mark = io.open(os.getenv("WRK_RESULT") .. ".done." .. index, "w")
  mark:close()
  wrk.thread:stop()
end

function response(status, headers, body)
  if status == 404 and filler_answers < fillers then
    filler_answers = filler_answers + 1
    if pos >= total and received >= sent then finish() end
    return
  end
  received = received + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if keep then table.insert(bodies, body) end
  if pos >= total and received >= sent then finish() end
end

function done(summary, latency, requests)
  local all, used, exhausted = {}, 0, 0
  local out = io.open(os.getenv("WRK_RESULT"), "w")
  for _, thread in ipairs(threads) do
    for k, v in pairs(thread:get("statuses")) do all[k] = (all[k] or 0) + v end
    used = used + thread:get("sent")
    received = (received or 0) + thread:get("received")
    fill = (fill or 0) + thread:get("fillers")
    if thread:get("pos") >= thread:get("total") then exhausted = exhausted + 1 end
    if keep then
      for _, b in ipairs(thread:get("bodies")) do out:write("B\t", (string.gsub(b, "\n", " ")), "\n") end
    end
  end
  local parts = {}
  for k, v in pairs(all) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local e = summary.errors
  out:write(string.format('J\t{"requests": %d, "duration_us": %d, "sent": %d, "received": %d, "fillers": %d, "exhausted_threads": %d, ' ..
    '"connect_errors": %d, "read_errors": %d, "write_errors": %d, "timeouts": %d, "non_2xx": %d, ' ..
    '"statuses": {%s}, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, used, received, fill, exhausted, e.connect, e.read, e.write, e.timeout, e.status,
    table.concat(parts, ", "), latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
  out:close()
end
