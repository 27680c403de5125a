-- wrk script for bench_api.py: POST with a JSON body, and print the run as one JSON line.
-- `wrk ... -- order <run>` sends a new order (ref_id "<run>-<thread>-<n>", shop item from
-- BENCH_ITEM_ID); anything else sends `{}`. The key comes from BENCH_API_KEY. The line carries the latency histogram
-- (microseconds -> count), so rounds can be merged into exact percentiles.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  kind = args[1]
  run = args[2]
  item_id = os.getenv("BENCH_ITEM_ID")
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY")
  wrk.body = "{}"
end

function request()
  if kind ~= "order" then
    return wrk.format()
  end
  counter = counter + 1
  local body = string.format(
    '{"ref_id":"%s-%d-%d","item_id":%s,"customer_data":{"user_id":"12345678"}}',
    run, id, counter, item_id)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local buckets = {}
  for i = 1, #latency do
    local us, count = latency(i)
    table.insert(buckets, string.format('"%d":%d', us, count))
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bad_status":%d,"socket_errors":%d,"latency_us":{%s}}\n',
    summary.requests, summary.duration, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout, table.concat(buckets, ",")))
end
