"""Ingest speed: `peatmoss collect` against a minimal collector, same loopback Hub server, same run.

    python benchmarks/ingest.py [--shared DIR (default: $PEATMOSS_SHARED_DATA)] [--pg URL]

A child process serves the 29,432 real recorded Feb-2022 list records (hf_api/hub_list_models_full_2022-02
.jsonl.gz) with `registries/hubserver.py`. Each collector runs in its own fresh process (so its peak RSS is
its own) and reads every page from that server:

* peatmoss: `collect_huggingface(deep=False, progress=False)` into a fresh database;
* minimal: `urllib` pages + `json` + one `executemany` per page into a one-table schema.

Prints seconds, models/s, peak RSS, the ratio, and an estimate for a 3 M-model listing, on SQLite and on
PostgreSQL when --pg or $PEATMOSS_TEST_PG_URL is set (a throw-away database is created and dropped).
Targets (SQLite): ratio <= 3x (goal 1.5x), >= 20,000 models/s, peak RSS < 1 GiB.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from peatmoss.core.paths import require_shared  # noqa: E402

HUB_MODELS = 3_000_000
MINIMAL_TABLE = ("CREATE TABLE model (hub_id TEXT PRIMARY KEY, sha TEXT, last_modified TEXT, pipeline_tag TEXT, "
                 "library_name TEXT, downloads BIGINT, likes INTEGER, tags TEXT, siblings TEXT, config TEXT)")


def serve(records_path: str, port_queue) -> None:
    from peatmoss.registries.hubserver import HubServer, RecordSource, read_records

    with HubServer(RecordSource(read_records(Path(records_path)))) as hub:
        port_queue.put(hub.url)
        while True:
            time.sleep(3600)


def usage() -> tuple[float, float]:
    """(peak RSS in MiB, CPU seconds) of this process: CPU time is less bent by a loaded machine."""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_maxrss / 1024, ru.ru_utime + ru.ru_stime


def run_peatmoss(url: str, endpoint: str, out) -> None:
    from peatmoss.registries.huggingface import CollectOptions, collect_huggingface

    cpu0 = usage()[1]
    start = time.perf_counter()
    summary = collect_huggingface(url, CollectOptions(endpoint=endpoint, deep=False, progress=False,
                                                      snapshot="2000-01-01"))
    seconds, (rss, cpu) = time.perf_counter() - start, usage()
    out.put((seconds, summary.models, rss, cpu - cpu0))


def run_minimal(url: str, endpoint: str, out) -> None:
    """urllib + json + one executemany per page into one table."""
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        mark = "?"
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        mark = "%s"
    conn.execute(MINIMAL_TABLE)
    conn.commit()
    insert = f"INSERT INTO model VALUES ({', '.join([mark] * 10)})"
    cpu0 = usage()[1]
    start = time.perf_counter()
    models = 0
    next_url: str | None = endpoint + "/api/models?limit=1000&full=true&config=true"
    while next_url:
        with urllib.request.urlopen(next_url) as response:
            items = json.loads(response.read())
            link = response.headers.get("Link")
        next_url = link[link.index("<") + 1:link.index(">")] if link and 'rel="next"' in link else None
        rows = [(r.get("id") or r.get("modelId"), r.get("sha"), r.get("lastModified"), r.get("pipeline_tag"),
                 r.get("library_name"), r.get("downloads"), r.get("likes"), json.dumps(r.get("tags")),
                 json.dumps([s.get("rfilename") for s in r.get("siblings") or []]), json.dumps(r.get("config")))
                for r in items]
        conn.cursor().executemany(insert, rows)
        conn.commit()
        models += len(rows)
    seconds, (rss, cpu) = time.perf_counter() - start, usage()
    out.put((seconds, models, rss, cpu - cpu0))
    conn.close()


def in_process(target, url: str, endpoint: str):
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=target, args=(url, endpoint, out))
    proc.start()
    result = out.get()
    proc.join()
    return result


def pg_database(admin_url: str):
    from sqlalchemy import create_engine, text

    name = f"peatmoss_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + "/" + name, drop


def compare(backend: str, urls: tuple[str, str], endpoint: str) -> None:
    ours_s, ours_n, ours_rss, ours_cpu = in_process(run_peatmoss, urls[0], endpoint)
    mini_s, mini_n, mini_rss, mini_cpu = in_process(run_minimal, urls[1], endpoint)
    rate = ours_n / ours_s
    print(f"[{backend}] peatmoss collect: {ours_n:,} models in {ours_s:.2f} s = {rate:,.0f} models/s, "
          f"CPU {ours_cpu:.2f} s, peak RSS {ours_rss:,.0f} MiB")
    print(f"[{backend}] minimal collector: {mini_n:,} models in {mini_s:.2f} s = {mini_n / mini_s:,.0f} models/s, "
          f"CPU {mini_cpu:.2f} s, peak RSS {mini_rss:,.0f} MiB")
    print(f"[{backend}] ratio peatmoss/minimal: {ours_s / mini_s:.2f}x (CPU {ours_cpu / mini_cpu:.2f}x)   "
          f"estimate for {HUB_MODELS:,} models: {HUB_MODELS / rate / 60:.0f} min (minimal: "
          f"{HUB_MODELS / (mini_n / mini_s) / 60:.0f} min)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=None, help="The shared data folder [default: core.paths]")
    ap.add_argument("--pg", default=os.environ.get("PEATMOSS_TEST_PG_URL"), help="PostgreSQL admin URL")
    args = ap.parse_args()
    records = (args.shared or require_shared()) / "hf_api" / "hub_list_models_full_2022-02.jsonl.gz"
    if not records.is_file():
        sys.exit(f"error: {records} not found; pass --shared DIR (the shared data folder)")
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    server = ctx.Process(target=serve, args=(str(records), queue), daemon=True)
    server.start()
    endpoint = queue.get(timeout=120)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            compare("sqlite", (f"sqlite:///{tmp}/peatmoss.db", f"sqlite:///{tmp}/minimal.db"), endpoint)
        if args.pg:
            ours, drop_ours = pg_database(args.pg)
            mini, drop_mini = pg_database(args.pg)
            try:
                compare("postgresql", (ours, mini), endpoint)
            finally:
                drop_ours()
                drop_mini()
    finally:
        server.terminate()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
