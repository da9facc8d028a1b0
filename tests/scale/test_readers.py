"""Readers during writes: `status` and `browse` (Datasette) answer while a collection writes (SQLite WAL,
busy timeout)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

from peatmoss.analysis.browse import command, write_metadata
from peatmoss.db import init_db
from peatmoss.registries.hubserver import Fault, HubServer, RecordSource

from hub import hub_data


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.status, json.loads(r.read())


def test_status_and_browse_during_a_collection(tmp_path):
    db = tmp_path / "live.db"
    url = f"sqlite:///{db}"
    init_db(url)
    records, _ = hub_data(tmp_path, 400)
    port = _port()
    browse = subprocess.Popen(command(url, write_metadata(url, tmp_path / "meta.json"), "127.0.0.1", port),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    slow = lambda path, n: Fault("delay", hang_seconds=0.08)  # noqa: E731
    collect = None
    try:
        with HubServer(RecordSource(records), page_size=10, faults=slow) as hub:
            collect = subprocess.Popen([sys.executable, "-m", "peatmoss", "--db", url, "collect", "huggingface",
                                        "--endpoint", hub.url, "--page-size", "10", "--no-deep", "--no-progress",
                                        "--snapshot", "2024-01-01"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            seen_status, seen_browse = [], []
            deadline = time.time() + 120
            while collect.poll() is None and time.time() < deadline:
                status = subprocess.run([sys.executable, "-m", "peatmoss", "--db", url, "status", "--json"],
                                        capture_output=True, text=True, timeout=60)
                assert status.returncode == 0, status.stderr
                seen_status.append(json.loads(status.stdout)["tables"]["model"])
                try:
                    code, rows = _get(f"http://127.0.0.1:{port}/{db.stem}.json?sql=select+count(*)+as+n+from+model"
                                      "&_shape=array")
                except OSError:
                    continue  # Datasette still starting
                assert code == 200
                seen_browse.append(rows[0]["n"])
            assert collect.wait(timeout=120) == 0, collect.stderr.read().decode()[-2000:]
    finally:
        browse.kill()
        browse.wait()
        if collect is not None and collect.poll() is None:
            collect.kill()
    mid_run = [n for n in seen_status + seen_browse if 0 < n < 400]
    assert len(seen_status) >= 2 and seen_browse and mid_run, (seen_status, seen_browse)
