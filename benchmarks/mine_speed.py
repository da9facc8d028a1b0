"""`peatmoss mine -j 1` against `-j 2` on the benchmark corpus, end to end (the command as a user runs it, into a
fresh SQLite database each), and a check that no process it started is left once it has finished.

The corpus is the bare git mirrors under --mirrors / $PEATMOSS_MIRRORS (<owner>+<name>/repo, as
`benchmarks/eval_mining.py` reads them), each mined at HEAD. Every run carries a marker in its environment;
after it exits, any process still holding the marker is one left behind (it is reported, then killed).

    .venv/bin/python benchmarks/mine_speed.py [--mirrors DIR] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from peatmoss.core.paths import mirrors_dir

MARK = "PEATMOSS_BENCH_RUN"


def tagged(mark: str) -> list[int]:
    """Pids of the processes whose environment holds MARK=mark."""
    needle = f"{MARK}={mark}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


def run(specs: list[str], workers: int, tmp: Path) -> dict:
    mark = uuid.uuid4().hex
    listing = tmp / "list.txt"
    listing.write_text("\n".join(specs) + "\n")
    db = tmp / f"mine-{workers}.db"
    start = time.perf_counter()
    before = os.times()
    done = subprocess.run([sys.executable, "-m", "peatmoss", "--db", f"sqlite:///{db}", "mine", "-j", str(workers),
                           "--no-progress", "--list", str(listing)], env={**os.environ, MARK: mark},
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = os.times()
    left = tagged(mark)
    for pid in left:  # never leave them running, but say so
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return {"workers": workers, "seconds": seconds, "cpu": (after.children_user + after.children_system)
            - (before.children_user + before.children_system), "left": left, "rc": done.returncode,
            "summary": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-300:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirrors", type=Path, default=None, help="Folder of bare git mirrors [$PEATMOSS_MIRRORS].")
    ap.add_argument("--limit", type=int, default=None, help="Mine only the first N mirrors.")
    args = ap.parse_args()
    folder = mirrors_dir(args.mirrors)
    if folder is None:
        sys.exit("no mirrors: pass --mirrors DIR or set PEATMOSS_MIRRORS")
    specs = sorted(str(p / "repo") for p in folder.iterdir() if (p / "repo").is_dir())[: args.limit]
    print(f"corpus: {len(specs)} repositories under {folder}; load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="peatmoss-mine-speed-") as tmp:
        one = run(specs, 1, Path(tmp))
        two = run(specs, 2, Path(tmp))
    for r in (one, two):
        print(f"-j {r['workers']}: wall {r['seconds']:.1f} s  CPU (all processes) {r['cpu']:.1f} s  exit {r['rc']}  "
              f"processes left behind: {len(r['left'])}  | {r['summary']}")
    print(f"speed-up -j 2 over -j 1: {one['seconds'] / two['seconds']:.2f}x wall; "
          f"load average at end {os.getloadavg()[0]:.1f}")
    if one["left"] or two["left"]:
        sys.exit("processes were left behind")


if __name__ == "__main__":
    main()
