"""Usage-mining speed over a large body of real Python: the site-packages of the project's venv.

Each top-level folder of site-packages is scanned as one repository with `scan_files` (prefilter,
then full analysis of the files that may hold a load). The baseline is `ast.parse` on every file, in
the same run. Files are read into memory first, so both timings exclude disk reads.

    .venv/bin/python benchmarks/mine_speed.py [SITE_PACKAGES] [--no-prefilter]
"""

from __future__ import annotations

import ast
import sys
import sysconfig
import time
from collections import defaultdict
from pathlib import Path

from peatmoss.usage import scan_files
from peatmoss.usage.model import SourceFile


def load(site: Path) -> dict[str, list[SourceFile]]:
    repos: dict[str, list[SourceFile]] = defaultdict(list)
    for path in sorted(site.rglob("*.py")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        rel = path.relative_to(site).as_posix()
        top, _, inner = rel.partition("/")
        repos[top if inner else "_top"].append(SourceFile(inner or rel, len(data), lambda d=data: d))
    return repos


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    site = Path(args[0]) if args else Path(sysconfig.get_paths()["purelib"])
    prefilter = "--no-prefilter" not in sys.argv
    repos = load(site)
    files = [f for fs in repos.values() for f in fs]
    size = sum(f.size for f in files)

    start, cpu = time.perf_counter(), time.process_time()
    parsed = 0
    for f in files:
        try:
            ast.parse(f.read())
            parsed += 1
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    parse_s, parse_cpu = time.perf_counter() - start, time.process_time() - cpu

    start, cpu = time.perf_counter(), time.process_time()
    findings = analysed = 0
    for fs in repos.values():
        result = scan_files(fs, prefilter=prefilter)
        findings += len(result.findings)
        analysed += sum(1 for r in result.files if not (r.message or "").startswith("prefilter"))
    mine_s, mine_cpu = time.perf_counter() - start, time.process_time() - cpu

    mb = size / 1e6
    print(f"corpus: {site}  repositories: {len(repos)}  files: {len(files)}  MB: {mb:.1f}")
    print(f"ast.parse every file: wall {parse_s:.2f} s  CPU {parse_cpu:.2f} s  "
          f"{len(files) / parse_cpu:,.0f} files/s  {mb / parse_cpu:.1f} MB/s (CPU)")
    print(f"mining (prefilter={prefilter}): wall {mine_s:.2f} s  CPU {mine_cpu:.2f} s  "
          f"{len(files) / mine_cpu:,.0f} files/s  {mb / mine_cpu:.1f} MB/s (CPU)  "
          f"fully analysed: {analysed}  findings: {findings}")
    print(f"speed-up over ast.parse: {parse_cpu / mine_cpu:.1f}x CPU, {parse_s / mine_s:.1f}x wall")


if __name__ == "__main__":
    main()
