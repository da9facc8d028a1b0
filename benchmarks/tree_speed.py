"""Scan of ONE big tree (a site-packages taken as a single repository, which is what a repository that vendors
model libraries looks like) against `ast.parse` of every file, at three sizes, each measured in its own child
process: CPU time, peak memory (max RSS) and, for the scan, the wall time with 1 and 2 worker processes (and the
load average after each row: on a shared machine a second worker only helps when a core is free).

    .venv/bin/python benchmarks/tree_speed.py [SITE_PACKAGES]

A size is the first 1/4, 1/2 or all of the top-level folders (sorted by name). Both sides read the files from
disk inside the clock (parse: read and parse each `.py` file; scan: `scan_files`, which reads every file once
for its import lines and the analysed ones again). With 2 workers the CPU time counts the workers too.
"""

from __future__ import annotations

import ast
import json
import os
import resource
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

SKIP = (".dist-info", ".libs", ".pth", ".so", "__pycache__")


def tops(site: Path) -> list[str]:
    return sorted(p.name for p in site.iterdir() if not p.name.endswith(SKIP))


def _reader(path: Path):
    return lambda: path.read_bytes()


def measure(site: Path, names: list[str], mode: str) -> dict:
    """In this process: parse, or scan with 1 or 2 workers; CPU seconds (with children), wall, peak MiB."""
    from peatmoss.usage import scan_files
    from peatmoss.usage.model import SourceFile

    paths = []
    for top in names:
        for path in sorted((site / top).rglob("*.py")) if (site / top).is_dir() else [site / top]:
            if path.is_file() and path.suffix == ".py":
                paths.append(path)
    size = sum(p.stat().st_size for p in paths)
    wall, cpu = time.perf_counter(), time.process_time()
    if mode == "parse":
        for path in paths:
            try:
                ast.parse(path.read_bytes())
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass
        out = len(paths)
    else:
        files = [SourceFile(p.relative_to(site).as_posix(), p.stat().st_size, _reader(p)) for p in paths]
        out = len(scan_files(files, workers=int(mode[-1]), root=site).findings)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"files": len(paths), "mb": size / 1e6, "wall": time.perf_counter() - wall,
            "cpu": time.process_time() - cpu + children.ru_utime + children.ru_stime,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "out": out}


def child(site: Path, mode: str, names: list[str]) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", str(site), mode, *names],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        site, mode, names = Path(sys.argv[2]), sys.argv[3], sys.argv[4:]
        print(json.dumps(measure(site, names, mode)))
        return
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(sysconfig.get_paths()["purelib"])
    names = tops(site)
    print(f"tree: {site} ({len(names)} top-level entries); load average at start {os.getloadavg()[0]:.1f}")
    print("| share | files | MB | parse CPU | scan CPU | scan / parse | parse peak | scan peak | findings | "
          "scan wall 1 worker | 2 workers (CPU) | speed-up | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for share in (4, 2, 1):
        part = names[: len(names) // share]
        p, s1, s2 = (child(site, mode, part) for mode in ("parse", "scan1", "scan2"))
        assert s1["out"] == s2["out"], (s1, s2)
        print(f"| 1/{share} | {p['files']:,} | {p['mb']:.1f} | {p['cpu']:.1f} s | {s1['cpu']:.1f} s | "
              f"{s1['cpu'] / p['cpu']:.2f} | {p['peak_mib']:.0f} MiB | {s1['peak_mib']:.0f} MiB | {s1['out']} | "
              f"{s1['wall']:.1f} s | {s2['wall']:.1f} s ({s2['cpu']:.1f} s) | {s1['wall'] / s2['wall']:.2f}x | "
              f"{os.getloadavg()[0]:.1f} |", flush=True)
    print(f"load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
