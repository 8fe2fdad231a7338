"""One line about the server's tile cache, from /health on stdin."""
import json
import sys

c = json.load(sys.stdin)["tile_cache"]
print(f"cache {c['entries']} tiles, {c['bytes'] / 1048576:.1f} MiB")
