"""Scan of ONE big tree (a site-packages taken as a single repository, which is what a repository that vendors
model libraries looks like) against `ast.parse` of every file, at three sizes, each measured in its own child
process: CPU time and peak memory (max RSS).

    .venv/bin/python benchmarks/tree_speed.py [SITE_PACKAGES]

A size is the first 1/4, 1/2 or all of the top-level folders (sorted by name). Files are read into memory
before the clock starts. `scan --workers N` does not exist yet, so no worker speed-up is measured.
"""

from __future__ import annotations

import ast
import json
import resource
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

SKIP = (".dist-info", ".libs", ".pth", ".so", "__pycache__")


def tops(site: Path) -> list[str]:
    return sorted(p.name for p in site.iterdir() if not p.name.endswith(SKIP))


def measure(site: Path, names: list[str], mode: str) -> dict:
    """In this process: read the files, then parse or scan them; CPU seconds and peak MiB."""
    from peatmoss.usage import scan_files
    from peatmoss.usage.model import SourceFile

    files = []
    for top in names:
        for path in sorted((site / top).rglob("*.py")) if (site / top).is_dir() else [site / top]:
            if path.is_file() and path.suffix == ".py":
                data = path.read_bytes()
                files.append(SourceFile(path.relative_to(site).as_posix(), len(data), lambda d=data: d))
    cpu = time.process_time()
    if mode == "parse":
        for f in files:
            try:
                ast.parse(f.read())
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass
        out = len(files)
    else:
        out = len(scan_files(files).findings)
    return {"files": len(files), "mb": sum(f.size for f in files) / 1e6, "cpu": time.process_time() - cpu,
            "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "out": out}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        site, mode, names = Path(sys.argv[2]), sys.argv[3], sys.argv[4:]
        print(json.dumps(measure(site, names, mode)))
        return
    site = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(sysconfig.get_paths()["purelib"])
    names = tops(site)
    print(f"tree: {site} ({len(names)} top-level entries)")
    print("| share | files | MB | parse CPU s | scan CPU s | scan / parse | parse peak MiB | scan peak MiB |")
    print("|---|---|---|---|---|---|---|---|")
    for share in (4, 2, 1):
        part = names[: len(names) // share]
        runs = {}
        for mode in ("parse", "scan"):
            done = subprocess.run([sys.executable, __file__, "--child", str(site), mode, *part],
                                  capture_output=True, text=True, check=True)
            runs[mode] = json.loads(done.stdout.strip().splitlines()[-1])
        p, s = runs["parse"], runs["scan"]
        print(f"| 1/{share} | {p['files']} | {p['mb']:.1f} | {p['cpu']:.1f} | {s['cpu']:.1f} | "
              f"{s['cpu'] / p['cpu']:.2f} | {p['peak_mib']:.0f} | {s['peak_mib']:.0f} |")
    print("worker speed-up (1 -> 2): not measured, `scan --workers` is not built")


if __name__ == "__main__":
    main()
