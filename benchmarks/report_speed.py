"""Speed of `peatmoss report` and of the Table 3 queries on a synthetic full-size database (not a test).

    .venv/bin/python benchmarks/report_speed.py [--db PATH] [--keep] [--snapshots 3]

Builds 300,000 models over 30 months, 30,000 repositories, 45,000 current links and 15,000 extracted cards
(skewed like the Hub: Pareto downloads, Zipf tasks and licenses), then times `peatmoss report` in a child
process (wall time, peak RSS) and each query (best of 5 after a warm-up). Budgets: report <= 60 s and
<= 2 GiB; each query <= 200 ms. Results go to docs/performance.md (## Report) by hand.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peatmoss.analysis import queries
from peatmoss.analysis.synthetic import generate
from peatmoss.db import get_engine

REPORT_S, REPORT_GIB, QUERY_MS = 60.0, 2.0, 200.0


def time_report(url: str, out: Path) -> tuple[float, float]:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "peatmoss", "--db", url, "report", "--out", str(out)], check=True)
    wall = time.perf_counter() - start
    peak_gib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024  # KiB on Linux
    return wall, peak_gib


def time_queries(url: str) -> list[tuple[str, int, float]]:
    engine = get_engine(url)
    rows = []
    for q in queries.QUERIES:
        df, _ = queries.run(engine, q.name)  # warm-up (page cache)
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            queries.run(engine, q.name)
            best = min(best, time.perf_counter() - start)
        rows.append((q.name, len(df), best * 1000))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", help="SQLite file to create, or to reuse when it exists (default: a temporary one)")
    ap.add_argument("--snapshots", type=int, default=3)
    ap.add_argument("--models", type=int, default=300_000)
    ap.add_argument("--keep", action="store_true", help="keep the database and report")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="peatmoss-bench-"))
    path = Path(args.db) if args.db else tmp / "bench.db"
    url = f"sqlite:///{path}"
    if path.exists():
        print(f"reusing {path} ({path.stat().st_size / 2**20:.0f} MiB)")
    else:
        start = time.perf_counter()
        sizes = generate(url, models=args.models, months=30, repositories=30_000, links=45_000, extractions=15_000,
                         snapshots=args.snapshots)
        print(f"generated in {time.perf_counter() - start:.1f} s: {sizes} ({path.stat().st_size / 2**20:.0f} MiB)")
    wall, peak = time_report(url, tmp / "report")
    ok = wall <= REPORT_S and peak <= REPORT_GIB
    print(f"\n| step | result | budget |\n|---|---|---|\n| `peatmoss report` wall time | {wall:.1f} s | "
          f"<= {REPORT_S:.0f} s |\n| `peatmoss report` peak RSS | {peak:.2f} GiB | <= {REPORT_GIB:.0f} GiB |")
    print("\n| query | rows | best of 5 (ms) |\n|---|---|---|")
    for name, n, ms in time_queries(url):
        ok &= ms <= QUERY_MS
        print(f"| {name} | {n:,} | {ms:.0f} |")
    print(f"\nload average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("within budget" if ok else "OVER BUDGET")
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"kept {tmp}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
