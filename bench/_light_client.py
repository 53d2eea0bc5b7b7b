"""A light load generator for the benchmarks: `wrk` (C, Debian's package), driven by a Lua script that
sends a list of paths in turn, beside the Python client (httpx) the benchmarks use for their own
checks. On two cores the Python client spends 2.0–2.5 ms of CPU a request — as much as the server's
cheapest answer — so a figure taken with it is the client's as much as the server's; wrk spends a
few microseconds. Both are printed; neither replaces the other.

    stats = wrk_load(base_url, paths, clients=20, seconds=10, headers={"If-None-Match": etag})

Returns requests, requests/s, p50/p95/p99 (ms, wrk's HdrHistogram-like percentiles), the number of
answers whose status was not the expected one, and socket errors. None when wrk is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

SCRIPT = """
local paths = {%(paths)s}
local expected = %(expected)d
local headers = {%(headers)s}
local counter = 0
bad = 0  -- global: done() reads it from each thread
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  counter = math.random(0, #paths - 1)
end

function request()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  if status ~= expected then bad = bad + 1 end
end

function done(summary, latency, requests)
  local unexpected = 0
  for _, thread in ipairs(threads) do unexpected = unexpected + thread:get("bad") end
  io.write(string.format(
    '{"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "max": %%f, "bad": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, unexpected,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string for these characters (ASCII paths)


def wrk_load(
    base_url: str,
    paths: list[str],
    *,
    clients: int,
    seconds: int,
    expected: int = 200,
    headers: dict[str, str] | None = None,
    threads: int = 2,
) -> dict | None:
    if shutil.which("wrk") is None:
        return None
    script = SCRIPT % {
        "paths": ", ".join(_lua_string(p) for p in paths),
        "expected": expected,
        "headers": ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in (headers or {}).items()),
    }
    with tempfile.TemporaryDirectory() as folder:
        lua = Path(folder) / "paths.lua"
        lua.write_text(script, encoding="utf-8")
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(clients),
                "-d",
                f"{seconds}s",
                "--timeout",
                "30s",
                "-s",
                str(lua),
                base_url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 120,
            check=True,
        )
    line = [row for row in out.stdout.splitlines() if row.startswith("{")][-1]
    found = json.loads(line)
    found["rps"] = found["requests"] / found["seconds"] if found["seconds"] else float("nan")
    return found
