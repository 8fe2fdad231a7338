"""Print the path of every tile between two zooms over a TileJSON's bounds."""
import json
import math
import sys
import urllib.request

base, zmin, zmax = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with urllib.request.urlopen(f"{base}/tiles.json") as r:
    w, s, e, n = json.load(r)["bounds"]


def tile(lon, lat, z):
    k = 2**z
    x = int((lon + 180) / 360 * k)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * k)
    return min(x, k - 1), min(y, k - 1)


for z in range(zmin, zmax + 1):
    x0, y0 = tile(w, n, z)
    x1, y1 = tile(e, s, z)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            print(f"/tiles/{z}/{x}/{y}.mvt")
