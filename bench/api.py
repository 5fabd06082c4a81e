"""API speed against the stack's floor, in one run: ecogrid and ``bench/floor_app.py`` (the thinnest FastAPI +
psycopg read of the same rows) on the same database, driven by the same load generator.

    python bench/api.py [--workers N] [--duration 10] [--connections 8]

With ``ECOGRID_DATA_DIR`` unset it builds a throw-away demo city (5,000 complaints) in a temp folder; with it
set it uses that data folder (loading the demo when empty). The mixed load writes complaints: use a scratch
folder. Needs ``wrk`` (Debian package). Prints req/s, p50/p99 and the ratios; never run in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-pass-2026"


@dataclass
class Load:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int = 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, script: str, *, connections: int, duration: int, threads: int = 2) -> Load:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    done = subprocess.run(["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{duration}s",
                           "--latency", "-s", f.name, url], capture_output=True, text=True, check=True)
    os.unlink(f.name)
    # wrk reports a script it cannot load on stderr and then measures plain GETs of the URL instead.
    if done.stderr.strip():
        raise SystemExit(f"wrk: {done.stderr.strip()}")
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return Load(rate, p50, p99, int(errors.group(1)) if errors else 0)


def lua_list(values: list[str]) -> str:
    # LuaJIT has no \u escapes: the UTF-8 bytes go into the script as they are.
    return "{" + ",".join(json.dumps(v, ensure_ascii=False) for v in values) + "}"


def case_read_script(ids: list[int], prefix: str, token: str | None) -> str:
    header = f'{{["Authorization"] = "Bearer {token}"}}' if token else "{}"
    return f"""
local ids = {lua_list([str(i) for i in ids])}
local i = 0
local headers = {header}
request = function()
  i = i + 1
  return wrk.format("GET", "{prefix}" .. ids[(i % #ids) + 1], headers)
end
"""


def mixed_script(ids: list[int], points: list[tuple[float, float]], token: str) -> str:
    bodies = [json.dumps({"channel": "hotline_12345", "kind": "complaint", "category": "odour",
                          "description": "bench: 夜间异味", "lon": lon, "lat": lat}, ensure_ascii=False)
              for lon, lat in points]
    return f"""
local ids = {lua_list([str(i) for i in ids])}
local bodies = {lua_list(bodies)}
local auth = "Bearer {token}"
math.randomseed(2026)
request = function()
  local r = math.random(100)
  if r <= 20 then
    return wrk.format("POST", "/api/v1/complaints",
      {{["Authorization"] = auth, ["Content-Type"] = "application/json"}}, bodies[math.random(#bodies)])
  elseif r <= 50 then
    return wrk.format("GET", "/api/v1/cases/" .. ids[math.random(#ids)], {{["Authorization"] = auth}})
  elseif r <= 75 then
    return wrk.format("GET", "/api/v1/cases?limit=20&offset=" .. math.random(0, 200), {{["Authorization"] = auth}})
  else
    return wrk.format("GET", "/api/v1/complaints?limit=20&offset=" .. math.random(0, 200),
      {{["Authorization"] = auth}})
  end
end
"""


async def open_loop_intake(base: str, token: str, points: list[tuple[float, float]], *, rate: float,
                           duration: int) -> Load:
    """Requests sent at fixed times whatever the server does; latency counted from each scheduled time, so a
    slow answer is not hidden by the generator waiting for it."""
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30,
                                 limits=httpx.Limits(max_connections=200)) as client:
        start = time.perf_counter() + 0.5

        async def one(n: int) -> None:
            nonlocal errors
            scheduled = start + n / rate
            await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
            lon, lat = points[n % len(points)]
            r = await client.post("/api/v1/complaints", json={
                "channel": "hotline_12345", "kind": "complaint", "category": "noise_construction",
                "description": "bench: 夜间施工噪声", "lon": lon, "lat": lat})
            latencies.append((time.perf_counter() - scheduled) * 1000)
            errors += r.status_code >= 300

        await asyncio.gather(*(one(n) for n in range(int(rate * duration))))
    latencies.sort()
    return Load(len(latencies) / duration, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)],
                errors)


def offset_cost(base: str, token: str, path: str, offsets: list[int]) -> dict[int, float]:
    out = {}
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for offset in offsets:
            runs = []
            for _ in range(15):
                t = time.perf_counter()
                client.get(path, params={"limit": 50, "offset": offset}).raise_for_status()
                runs.append((time.perf_counter() - t) * 1000)
            out[offset] = sorted(runs)[len(runs) // 2]
    return out


IDS_SQL = "SELECT DISTINCT case_id FROM complaints WHERE case_id IS NOT NULL ORDER BY 1 LIMIT 500"
POINTS_SQL = "SELECT ST_X(geom), ST_Y(geom) FROM complaints WHERE zone_id IS NOT NULL ORDER BY id LIMIT 300"


def prepare(env: dict[str, str]) -> tuple[str, list[int], list[tuple[float, float]]]:
    """The database URL, case ids with complaints, and points inside the zones (demo loaded if empty)."""
    os.environ.update(env)
    from sqlalchemy import text

    from ecogrid import demo
    from ecogrid.core.cli_common import open_database
    from ecogrid.core.database import resolve_url
    from ecogrid.core.settings import get_settings

    database = open_database()
    with database.sessionmaker() as session:
        if demo.is_empty(session):
            print("loading the demo city...", flush=True)
            demo.generate(session, password=PASSWORD)
            session.commit()
        ids = [int(i) for i in session.execute(text(IDS_SQL)).scalars()]
        points = [(float(x), float(y)) for x, y in session.execute(text(POINTS_SQL))]
    database.dispose()
    return resolve_url(get_settings()), ids, points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    owned = None
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if "ECOGRID_DATA_DIR" not in env and "DATABASE_URL" not in env:
        owned = tempfile.mkdtemp(prefix="ecogrid-bench-api-")
        env["ECOGRID_DATA_DIR"] = owned
    url, ids, points = prepare(env)
    random.Random(1).shuffle(ids)
    ours_port, floor_port = free_port(), free_port()
    ours = subprocess.Popen([sys.executable, "-m", "ecogrid.cli", "serve", "--workers", str(args.workers),
                             "--port", str(ours_port)], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    floor_env = dict(env, FLOOR_DATABASE_URL=url.replace("postgresql+psycopg://", "postgresql://"))
    floor = subprocess.Popen([sys.executable, "-m", "uvicorn", "bench.floor_app:app", "--workers", str(args.workers),
                              "--port", str(floor_port), "--no-access-log", "--log-level", "warning"],
                             env=floor_env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ours_base, floor_base = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{floor_port}"
        wait_up(f"{ours_base}/healthz")
        wait_up(f"{floor_base}/docs")
        token = httpx.post(f"{ours_base}/api/v1/auth/token",
                           data={"username": "clerk_a", "password": PASSWORD}).json()["access_token"]
        c, d = args.connections, args.duration
        # Warm both (imports, pools, caches) before anything is counted.
        wrk(ours_base, case_read_script(ids, "/api/v1/cases/", token), connections=c, duration=3)
        wrk(floor_base, case_read_script(ids, "/cases/", None), connections=c, duration=3)
        read_ours = wrk(ours_base, case_read_script(ids, "/api/v1/cases/", token), connections=c, duration=d)
        read_floor = wrk(floor_base, case_read_script(ids, "/cases/", None), connections=c, duration=d)
        health = wrk(f"{ours_base}/healthz", "", connections=c, duration=d)
        mixed = wrk(ours_base, mixed_script(ids, points, token), connections=16, duration=d)
        intake = asyncio.run(open_loop_intake(ours_base, token, points, rate=50, duration=d))
        offsets = offset_cost(ours_base, token, "/api/v1/cases", [0, 1000, 4000])
    finally:
        for proc in (ours, floor):
            proc.terminate()
            proc.wait(timeout=30)
        if owned:
            subprocess.run([sys.executable, "-m", "ecogrid.cli", "db", "stop"], env=env, capture_output=True)
            shutil.rmtree(owned, ignore_errors=True)

    print(f"workers={args.workers} connections={c} duration={d}s cases={len(ids)}")
    print(f"{'load':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}")
    for name, load in [("floor: case read", read_floor), ("ecogrid: case read", read_ours),
                       ("ecogrid: /healthz", health), ("ecogrid: mixed (16 conn)", mixed),
                       ("ecogrid: intake open loop 50/s", intake)]:
        print(f"{name:<34}{load.rate:>9.0f}{load.p50_ms:>9.1f}{load.p99_ms:>9.1f}{load.errors:>9}")
    print(f"case read / floor: {read_ours.rate / read_floor.rate:.2f}x (goal >= 0.5x)")
    print(f"mixed / floor case read: {mixed.rate / read_floor.rate:.2f}x (goal >= 0.35x, p99 <= 100 ms)")
    print(f"intake p99 at 50 req/s: {intake.p99_ms:.0f} ms (goal <= 50 ms)")
    print("case list median ms by offset: " + ", ".join(f"{k}: {v:.1f}" for k, v in offsets.items()))


if __name__ == "__main__":
    main()
