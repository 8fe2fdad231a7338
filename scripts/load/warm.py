"""Request every tile path on stdin once (4 at a time) to fill the cache."""
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

base = sys.argv[1]
paths = [line.strip() for line in sys.stdin if line.strip()]


def get(path):
    with urllib.request.urlopen(base + path) as r:
        r.read()


with ThreadPoolExecutor(4) as pool:
    list(pool.map(get, paths))
