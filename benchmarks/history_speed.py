"""Speed of scanning a repository's history, with and without sharing the analysis of unchanged files.

Runs `usage.history.history` twice over the same commits: once with one FileCache for all commits (what
`mine --since/--every` does), once with a cache that keeps nothing (every file that may load a model is
analysed at every commit). Prints wall and CPU time, files analysed and reused, and checks that both runs
find exactly the same loads at every commit. No database is written.

    .venv/bin/python benchmarks/history_speed.py REPO [--since YYYY-MM-DD] [--every N|weekly|monthly]

REPO: a local git repository (bare or not), or $PEATMOSS_HISTORY_REPO.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

from peatmoss.usage.filecache import FileCache
from peatmoss.usage.history import history


def cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def one_pass(repo: str, since, every, cache: FileCache) -> tuple[dict, list]:
    wall, start = time.monotonic(), cpu()
    analysed = reused = commits = 0
    found = []
    for c in history(repo, since=since, every=every, cache=cache, license=False):
        commits += 1
        analysed += c.result.analysed
        reused += c.result.reused
        found.append((c.commit, [f.to_dict() for f in c.result.findings]))
    return {"commits": commits, "analysed": analysed, "reused": reused,
            "wall_s": round(time.monotonic() - wall, 2), "cpu_s": round(cpu() - start, 2)}, found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("repo", nargs="?", default=os.environ.get("PEATMOSS_HISTORY_REPO"))
    ap.add_argument("--since")
    ap.add_argument("--every", default="1")
    args = ap.parse_args()
    if not args.repo:
        sys.exit("error: name a git repository (REPO or $PEATMOSS_HISTORY_REPO)")
    shared, with_cache = one_pass(args.repo, args.since, args.every, FileCache())
    alone, without = one_pass(args.repo, args.since, args.every, FileCache(max_entries=0))
    print(f"shared analysis: {shared}")
    print(f"no sharing:      {alone}")
    same = with_cache == without
    print(f"same findings at every commit: {same}")
    if not same:
        bad = [a[0][:12] for a, b in zip(with_cache, without) if a != b]
        sys.exit(f"findings differ at {len(bad)} commits: {', '.join(bad[:10])}")


if __name__ == "__main__":
    main()
