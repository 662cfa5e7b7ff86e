"""HTTP latency under concurrency, measured with wrk on loopback.

    python bench/http_latency.py [--connections 50] [--duration 10]

Loads the 2k demo dataset into a fresh server, then runs wrk against GET /health and against
GET /indexes/packages/documents/{id} (ids cycled by a wrk Lua script). Prints p50/p99 latency
and requests/s for each. Needs `wrk` (Debian package `wrk`).
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from common import REPO, Server

LUA = """
ids = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/indexes/packages/documents/" .. ids[(counter %% #ids) + 1])
end
"""


def wrk(url: str, connections: int, duration: int, script: str | None = None) -> dict[str, str]:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if script:
        args[1:1] = ["-s", script]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    rps = re.search(r"Requests/sec:\s+(\S+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50": latency.get("50"), "p99": latency.get("99"), "rps": rps,
            "errors": non2xx.group(1) if non2xx else "0"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is required: apt-get install wrk")
    data = REPO / "data" / "debian-packages-2k.ndjson"
    ids = [json.loads(line)["id"] for line in data.read_text().splitlines()]
    server = Server()
    try:
        task = server.call("POST", "/indexes/packages/documents?primaryKey=id", data.read_bytes(),
                           "application/x-ndjson")
        assert server.wait(task["taskUid"])["status"] == "succeeded"
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(LUA % ",".join(f'"{i}"' for i in ids))
        for name, url, script in (("GET /health", server.url + "/health", None),
                                  ("GET /indexes/packages/documents/{id}", server.url, f.name)):
            r = wrk(url, args.connections, args.duration, script)
            print(f"{name:40s} {args.connections} conns: p50 {r['p50']:>8s}  p99 {r['p99']:>8s}  "
                  f"{r['rps']:>9s} req/s  non-2xx {r['errors']}")
        Path(f.name).unlink()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
