"""Ingest speed: collect a synthetic Hub listing from a loopback server into SQLite.

    python benchmarks/ingest.py [--models 1000000] [--shared DIR (default: $PEATMOSS_SHARED_DATA)]

The listing is generated from the shapes of real Feb-2022 Hub list records (tags, siblings,
config, library, pipeline tag), each made unique by its id. A child process serves it; this
process runs the real collector (`huggingface_hub` HTTP, normalisation, bulk upserts).
Then the identical rows are copied table by table into an empty database of the same schema
with bare `sqlite3.executemany`, and the two times are compared. Prints models/s, peak RSS
and the ratio. Targets: >= 20,000 models/s, <= 1 GiB peak RSS, <= 3x the bare insert.
"""

from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import random
import resource
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from peatmoss.core.paths import require_shared  # noqa: E402
from peatmoss.db import dispose_all, init_db  # noqa: E402
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface  # noqa: E402
from peatmoss.registries.hubserver import HubServer  # noqa: E402


class SyntheticSource:
    """`total` records built on demand from real record templates; nothing is held per model."""

    def __init__(self, templates: list[dict], total: int):
        self.templates, self.total = templates, total

    def record(self, i: int) -> dict:
        rec = dict(self.templates[i % len(self.templates)])
        rec["modelId"] = f"user{i % 50000}/model-{i}"
        rec["sha"] = f"{i:040x}"
        rec["downloads"] = (i * 7919) % 100000
        return rec

    def page(self, params: dict, offset: int, limit: int):
        end = min(offset + limit, self.total)
        return [self.record(i) for i in range(offset, end)], end < self.total

    def model(self, _):
        return None

    def extra(self, _):
        return None


def load_templates(shared: Path, n: int = 2000) -> list[dict]:
    with gzip.open(shared / "hf_api" / "hub_list_models_full_2022-02.jsonl.gz", "rt") as fh:
        records = [json.loads(line) for line in fh]
    return random.Random(1).sample(records, n)


def serve(templates: list[dict], total: int, port_queue) -> None:
    with HubServer(SyntheticSource(templates, total)) as hub:
        port_queue.put(hub.url)
        while True:
            time.sleep(3600)


def bare_copy(src: Path, dst_url: str) -> tuple[float, int]:
    """Copy every table's rows with sqlite3.executemany into a fresh schema; (seconds inserting, rows)."""
    init_db(dst_url)
    dispose_all()
    dst = sqlite3.connect(dst_url.removeprefix("sqlite:///"))
    source = sqlite3.connect(src)
    tables = [r[0] for r in source.execute("select name from sqlite_master where type='table'")
              if r[0] not in ("alembic_version", "sqlite_sequence", "collection_run", "collection_error")]
    spent, rows = 0.0, 0
    for name in ["collection_run"] + tables:
        cols = [r[1] for r in source.execute(f"pragma table_info({name})")]
        insert = f"insert into {name} ({', '.join(cols)}) values ({', '.join('?' * len(cols))})"
        cursor = source.execute(f"select {', '.join(cols)} from {name}")
        while chunk := cursor.fetchmany(50000):
            start = time.perf_counter()
            dst.executemany(insert, chunk)
            dst.commit()
            spent += time.perf_counter() - start
            rows += len(chunk)
    return spent, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=1_000_000)
    ap.add_argument("--shared", type=Path, default=None, help="The shared data folder [default: core.paths]")
    args = ap.parse_args()
    templates = load_templates(args.shared or require_shared())
    queue = mp.Queue()
    server = mp.Process(target=serve, args=(templates, args.models, queue), daemon=True)
    server.start()
    endpoint = queue.get(timeout=30)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "ingest.db"
        start = time.perf_counter()
        summary = collect_huggingface(f"sqlite:///{db}", CollectOptions(endpoint=endpoint, deep=False,
                                                                        progress=False, snapshot="2000-01-01"))
        collect_s = time.perf_counter() - start
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        server.terminate()
        dispose_all()
        bare_s, rows = bare_copy(db, f"sqlite:///{Path(tmp) / 'bare.db'}")
    rate = summary.models / collect_s
    print(f"models collected:      {summary.models:,} ({rows:,} rows in all tables)")
    print(f"collector:             {collect_s:.1f} s = {rate:,.0f} models/s   (target >= 20,000)")
    print(f"peak RSS (collector):  {rss_mib:,.0f} MiB   (target <= 1024)")
    print(f"bare executemany:      {bare_s:.1f} s for the same rows")
    print(f"ratio collector/bare:  {collect_s / bare_s:.2f}x   (target <= 3x)")


if __name__ == "__main__":
    main()
