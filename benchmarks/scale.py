"""Mining throughput with 1 and 2 workers on the same corpus, and the ratio (target >= 1.7x on 2 cores).

The corpus is real Python: the bare git mirrors of the 40 development repositories of real PTM-using
projects (`--mirrors`, as `benchmarks/eval_mining.py` reads them), or, without them, the top-level packages
of the venv's site-packages, each mined as one repository (a folder) by `peatmoss.usage.mine.mine` into a fresh SQLite database - open, walk, scan in the
workers, one writer in batches. Local process pool by default; `--dask local` (a local Dask cluster of N
worker processes) or `--dask ADDRESS` (a running scheduler, workers already attached) routes the scans
through Dask instead.

    .venv/bin/python benchmarks/scale.py [--repos 40] [--min-files 20] [--max-files 400] [--dask local|ADDRESS]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sysconfig
import tempfile
import time
from pathlib import Path

from peatmoss.core.paths import mirrors_dir
from peatmoss.db import dispose_all, init_db
from peatmoss.usage.mine import mine


def mirrors(folder: Path, copies: int, tmp: Path) -> list[str]:
    """Bare git mirrors of real PTM-using repositories (<owner>+<name>/repo), as eval_mining.py reads them,
    each cloned `copies` times (hard links) under tmp so the corpus is large enough to time."""
    out = []
    for src in sorted(p / "repo" for p in folder.iterdir() if (p / "repo").is_dir()):
        for i in range(copies):
            dest = tmp / f"{src.parent.name}-{i}.git"
            subprocess.run(["git", "clone", "-q", "--bare", "--local", str(src), str(dest)], check=True,
                           capture_output=True)
            out.append(str(dest))
    return out


def corpus(site: Path, repos: int, min_files: int, max_files: int) -> list[str]:
    """Folders of site-packages with min..max Python files, largest first (a fixed order)."""
    sizes = []
    for folder in sorted(p for p in site.iterdir() if p.is_dir() and not p.name.endswith((".dist-info", "__pycache__"))):
        n = sum(1 for _ in folder.rglob("*.py"))
        if min_files <= n <= max_files:
            sizes.append((-n, folder.name, str(folder)))
    return [path for _, _, path in sorted(sizes)[:repos]]


def run(specs: list[str], workers: int, dask: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="peatmoss-scale-") as tmp:
        url = f"sqlite:///{tmp}/scale.db"
        init_db(url)
        extra = {"dask": dask} if dask else {}
        start = time.perf_counter()
        s = mine(url, specs, workers=workers, progress=False, **extra)
        seconds = time.perf_counter() - start
        dispose_all()
    return {"workers": workers, "executor": "dask" if dask else "local", "seconds": round(seconds, 2),
            "repos": s.scanned, "files": s.files, "links": s.links, "repos_per_s": round(s.scanned / seconds, 2),
            "files_per_s": round(s.files / seconds, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirrors", type=Path, default=None,
                    help="Folder of bare git mirrors of real repositories [default: $PEATMOSS_MIRRORS].")
    ap.add_argument("--copies", type=int, default=10, help="Clones of each mirror in the corpus.")
    ap.add_argument("--site", type=Path, default=Path(sysconfig.get_paths()["purelib"]),
                    help="Otherwise: packages of this site-packages, one repository each.")
    ap.add_argument("--repos", type=int, default=40)
    ap.add_argument("--min-files", type=int, default=20)
    ap.add_argument("--max-files", type=int, default=400)
    ap.add_argument("--dask", default=None, help="local, or a scheduler address")
    ap.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="peatmoss-corpus-"))
    try:
        folder = mirrors_dir(args.mirrors)
        specs = mirrors(folder, args.copies, tmp) if folder is not None else []
        specs = specs or corpus(args.site, args.repos, args.min_files, args.max_files)
        measure(specs, args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def measure(specs: list[str], args) -> None:
    run(specs[:2], 1, None)  # warm-up: imports, the catalog, the file cache
    one = run(specs, 1, args.dask)
    two = run(specs, 2, args.dask)
    assert (one["repos"], one["files"], one["links"]) == (two["repos"], two["files"], two["links"])
    ratio = one["seconds"] / two["seconds"]
    for r in (one, two):
        print(f"{r['executor']:5} workers={r['workers']}  {r['seconds']:7.2f} s  {r['repos']} repos  "
              f"{r['files']} files  {r['links']} links  {r['repos_per_s']} repos/s  {r['files_per_s']} files/s")
    print(f"ratio 2 vs 1 workers: {ratio:.2f}x (target >= 1.7x on 2 cores)")
    if args.json:
        args.json.write_text(json.dumps({"one": one, "two": two, "ratio": round(ratio, 2)}, indent=1))


if __name__ == "__main__":
    main()
