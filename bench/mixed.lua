-- Mixed reading for the load test: rotate through the public pages.
local paths = {
  "/", "/cases/", "/cases/?phase=co-deliver&type=collective", "/cases/?q=community",
  "/cases/?q=marmalade", "/cases/?page=40", "/cases/synthetic-000777/", "/matrix/",
  "/guide/", "/api/cases/?phase=co-assess", "/cases/?sort=title&area=health",
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "socket_errors": %d, "bad_status": %d, "timeouts": %d, "p95_ms": %.1f}\n',
    summary.requests, e.connect + e.read + e.write + e.timeout, e.status, e.timeout,
    latency:percentile(95) / 1000))
end
