"""Soak test: several clients against one gridmap server for a bounded time.

    python3 scripts/load/soak.py BASE TOKEN SECONDS PID

- tile clients: random tiles z13–z17 over the data's bounds;
- public clients: lookups at building points and name searches;
- planner clients: moves of one building at a time in a shared draft, sent
  with the version they last saw; a 409 is answered by retrying with the
  server's current version (not an error).

Prints the server's RSS (VmRSS of PID) at start, every minute and at the
end, then requests, errors and p50/p99 latency per kind. Exit status 1 if
any request failed. Needs httpx (pip install httpx).
"""
import asyncio
import json
import math
import random
import sys
import time

import httpx

BASE, TOKEN, SECONDS, PID = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
TILE_CLIENTS, PUBLIC_CLIENTS, EDIT_CLIENTS = 4, 2, 2
AUTH = {"Authorization": f"Bearer {TOKEN}"}

latencies: dict[str, list[float]] = {}
errors: dict[str, int] = {}
conflicts = 0
failures: list[str] = []


def rss_mib() -> float:
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    k = 2**z
    x = int((lon + 180) / 360 * k)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k)
    return min(x, k - 1), min(y, k - 1)


async def timed(client: httpx.AsyncClient, kind: str, method: str, url: str, ok=(200,), **kw):
    start = time.perf_counter()
    try:
        r = await client.request(method, url, **kw)
    except httpx.HTTPError as e:
        errors[kind] = errors.get(kind, 0) + 1
        failures.append(f"{kind} {method} {url}: {e!r}")
        return None
    latencies.setdefault(kind, []).append(time.perf_counter() - start)
    if r.status_code not in ok:
        errors[kind] = errors.get(kind, 0) + 1
        failures.append(f"{kind} {method} {url}: HTTP {r.status_code} {r.text[:200]}")
    return r


async def tile_client(client, tiles, deadline):
    rng = random.Random()
    while time.monotonic() < deadline:
        await timed(client, "tile", "GET", rng.choice(tiles))


async def public_client(client, buildings, words, deadline):
    rng = random.Random()
    while time.monotonic() < deadline:
        b = rng.choice(buildings)
        await timed(client, "lookup", "GET", "/api/lookup", ok=(200, 404),
                    params={"lon": b["lon"], "lat": b["lat"]})
        await timed(client, "search", "GET", "/api/buildings/search",
                    params={"q": rng.choice(words), "limit": 10})


async def edit_client(client, plan_id, deadline):
    global conflicts
    rng = random.Random()
    r = await timed(client, "edit", "GET", f"/api/plans/{plan_id}", headers=AUTH)
    if r is None or r.status_code != 200:
        return
    view = r.json()
    version = view["version"]
    assignment = view["state"]["assignment"]
    grid_keys = [g["key"] for g in view["grids"]]
    buildings = [int(b) for b in assignment]
    while time.monotonic() < deadline:
        body = {"version": version,
                "edit": {"kind": "move", "buildings": [rng.choice(buildings)], "to": rng.choice(grid_keys)}}
        r = await timed(client, "edit", "POST", f"/api/plans/{plan_id}/edits", ok=(200, 409),
                        headers=AUTH, json=body)
        if r is None:
            continue
        if r.status_code == 409:
            conflicts += 1
            version = r.json()["current_version"]
        elif r.status_code == 200:
            version = r.json()["version"]


async def monitor(deadline, started):
    minute = 1
    while True:
        wait = started + 60 * minute - time.monotonic()
        if started + 60 * minute > deadline:
            return
        await asyncio.sleep(wait)
        done = sum(len(v) for v in latencies.values())
        print(f"  minute {minute}: RSS {rss_mib():.1f} MiB, {done} requests, "
              f"{sum(errors.values())} errors", flush=True)
        minute += 1


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


async def main():
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(base_url=BASE, timeout=30, limits=limits) as client:
        tj = (await client.get("/tiles.json")).json()
        w, s, e, n = tj["bounds"]
        tiles = []
        for z in range(13, 18):
            x0, y0 = tile_of(w, n, z)
            x1, y1 = tile_of(e, s, z)
            tiles += [f"/tiles/{z}/{x}/{y}.mvt" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        words = ["大厦", "小区", "公寓", "中心", "花园", "新村", "路", "楼"]
        buildings = []
        for w_ in words:
            r = await client.get("/api/buildings/search", params={"q": w_, "limit": 50})
            buildings += r.json()["results"]
        community = next(b["community"]["id"] for b in buildings if b.get("community"))
        r = await client.post("/api/plans", headers=AUTH,
                              json={"community_id": community, "name": "soak"})
        r.raise_for_status()
        plan_id = r.json()["plan"]["id"]
        print(f"{len(tiles)} tiles z13–z17, {len(buildings)} buildings, plan {plan_id} "
              f"of community {community}; {TILE_CLIENTS} tile, {PUBLIC_CLIENTS} public and "
              f"{EDIT_CLIENTS} planner clients for {SECONDS:.0f} s", flush=True)
        rss_start = rss_mib()
        print(f"  start: RSS {rss_start:.1f} MiB", flush=True)
        started = time.monotonic()
        deadline = started + SECONDS
        await asyncio.gather(
            monitor(deadline, started),
            *[tile_client(client, tiles, deadline) for _ in range(TILE_CLIENTS)],
            *[public_client(client, buildings, words, deadline) for _ in range(PUBLIC_CLIENTS)],
            *[edit_client(client, plan_id, deadline) for _ in range(EDIT_CLIENTS)],
        )
        elapsed = time.monotonic() - started
        rss_end = rss_mib()
    total = sum(len(v) for v in latencies.values()) + sum(
        errors.values()) - sum(1 for f in failures if "HTTP " not in f)
    print(f"  end: RSS {rss_end:.1f} MiB")
    print(f"total {total} requests in {elapsed:.0f} s ({total / elapsed:.0f}/s), "
          f"{sum(errors.values())} errors, {conflicts} version conflicts retried")
    print(f"{'kind':<8}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for kind in ["tile", "lookup", "search", "edit"]:
        v = latencies.get(kind, [])
        if v:
            print(f"{kind:<8}{len(v):>10}{errors.get(kind, 0):>8}{pct(v, 50):>9.1f}{pct(v, 99):>9.1f}")
    for f in failures[:20]:
        print("  failure:", f)
    print(json.dumps({"requests": total, "errors": sum(errors.values()), "conflicts": conflicts,
                      "rss_start_mib": round(rss_start, 1), "rss_end_mib": round(rss_end, 1)}))
    return 1 if errors else 0


sys.exit(asyncio.run(main()))
