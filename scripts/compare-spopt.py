#!/usr/bin/env python3
"""Run PySAL spopt max-p on the same inputs as gridmap's partition and print
quality and time side by side (a Markdown table for BENCHMARKS.md).

Usage:
  python3 -m venv /tmp/spopt-venv && /tmp/spopt-venv/bin/pip install spopt
  cargo run --release -p gridmap-analysis --example planning_compare -- /tmp/planning-compare
  /tmp/spopt-venv/bin/python scripts/compare-spopt.py /tmp/planning-compare [--skip-over N]

Each input file holds the buildings (households, local x/y in metres), the
Delaunay adjacency gridmap uses (spopt gets the same contiguity graph) and
gridmap's own result. spopt's max-p has a lower bound only: it is given
threshold = min households, and its regions are then checked against
[min, max] exactly as gridmap's are. Times are wall-clock seconds of
`MaxPHeuristic.solve()` (one run, seeded, default iterations) against
gridmap's best of five; a run over --timeout seconds is abandoned.
"""
import argparse
import glob
import json
import multiprocessing
import os
import random
import sys
import time

import numpy as np
import pandas as pd
from libpysal.weights import W
from spopt.region import MaxPHeuristic


def run_spopt(doc):
    n = len(doc["buildings"])
    df = pd.DataFrame(doc["buildings"])
    neighbours = {i: [int(j) for j in doc["neighbours"][i]] for i in range(n)}
    w = W(neighbours, silence_warnings=True)
    random.seed(0)
    np.random.seed(0)
    t = time.perf_counter()
    model = MaxPHeuristic(df, w, ["x", "y"], "households", doc["min"], top_n=2)
    model.solve()
    seconds = time.perf_counter() - t
    labels = np.asarray(model.labels_)
    hh = df["households"].to_numpy()
    regions = {}
    unassigned = 0
    for i, lab in enumerate(labels):
        if lab < 0:
            unassigned += 1
            continue
        regions[lab] = regions.get(lab, 0) + int(hh[i])
    sums = list(regions.values())
    over = sum(1 for s in sums if s > doc["max"])
    under = sum(1 for s in sums if s < doc["min"])
    return {
        "grids": len(sums),
        "households_min": min(sums) if sums else None,
        "households_max": max(sums) if sums else None,
        "breaks": over + under + (1 if unassigned else 0),
        "over": over,
        "unassigned": unassigned,
        "seconds": seconds,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--skip-over", type=int, default=10**9,
                    help="skip spopt on inputs with more buildings than this")
    ap.add_argument("--timeout", type=float, default=1800,
                    help="give up on one spopt run after this many seconds")
    args = ap.parse_args()
    rows = []
    for path in sorted(glob.glob(os.path.join(args.dir, "*.json"))):
        doc = json.load(open(path))
        n = len(doc["buildings"])
        ours = doc["ours"]
        theirs = None
        if n <= args.skip_over:
            pool = multiprocessing.Pool(1)
            try:
                theirs = pool.apply_async(run_spopt, (doc,)).get(args.timeout)
            except multiprocessing.TimeoutError:
                theirs = {"timeout": args.timeout}
            finally:
                pool.terminate()
        rows.append((doc, n, ours, theirs))
        print(f"{doc['name']}: ours {ours} spopt {theirs}", file=sys.stderr)
    print("| input | buildings | households | ⌈hh/max⌉ | gridmap grids | gridmap min–max hh | gridmap breaks | gridmap time | spopt grids | spopt min–max hh | spopt breaks (over max / under min / unassigned) | spopt time |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for doc, n, o, t in rows:
        ot = f"{o['seconds']*1000:.1f} ms"
        if "error" in o:
            ours = f"error: {o['error']} | – | – | {ot}"
        else:
            ours = f"{o['grids']} | {o['households_min']}–{o['households_max']} | {o['breaks']} | {ot}"
        if t is None:
            theirs = "not run | – | – | –"
        elif "timeout" in t:
            theirs = f"no result within {t['timeout']:.0f} s | – | – | > {t['timeout']:.0f} s"
        else:
            theirs = (f"{t['grids']} | {t['households_min']}–{t['households_max']} | "
                      f"{t['breaks']} ({t['over']} / {t['breaks'] - t['over'] - (1 if t['unassigned'] else 0)} / {t['unassigned']}) | "
                      f"{t['seconds']:.2f} s")
        print(f"| {doc['name']} | {n} | {doc['households']} | {doc['lower_bound']} | {ours} | {theirs} |")


if __name__ == "__main__":
    main()
