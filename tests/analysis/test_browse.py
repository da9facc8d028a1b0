from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from datasette.utils import _named_param_re

from peatmoss.analysis.browse import metadata, sqlite_path, write_metadata
from peatmoss.analysis.queries import QUERIES
from peatmoss.db.models import Base

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def test_metadata_describes_every_table_and_column():
    tables = metadata("x")["databases"]["x"]["tables"]
    for table in Base.metadata.sorted_tables:
        entry = tables[table.name]
        assert entry["description"], table.name
        assert set(entry["columns"]) == {c.name for c in table.columns}
        assert all(entry["columns"].values()), table.name
    assert tables["model"]["description"].startswith("A pre-trained model package")
    assert "references registry.id" in tables["model"]["columns"]["registry_id"]
    assert "matched | unknown_model" in tables["model_reuse"]["columns"]["link_status"]  # from the schema comment
    assert "pipeline_tag" in tables["model"]["facets"] and "verdict" in tables["license_verdict"]["facets"]


def test_canned_queries_run_in_sqlite(fixture_sqlite, tmp_path):
    meta = json.loads(write_metadata(fixture_sqlite, tmp_path / "m.json").read_text())
    canned = meta["databases"]["test"]["queries"]
    assert set(canned) == {q.name for q in QUERIES}
    con = sqlite3.connect(sqlite_path(fixture_sqlite))
    for name, q in canned.items():
        assert not _named_param_re.findall(q["sql"]), name  # Datasette would ask for parameters
        assert q["title"].startswith(name + ": ")
        con.execute(q["sql"]).fetchall()


def test_browse_rejects_postgres():
    with pytest.raises(ValueError, match="needs a SQLite database"):
        sqlite_path("postgresql+psycopg://u@h/db")


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


def _chrome(binary: str, profile: Path, *args: str) -> str:
    cmd = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    return done.stdout


@pytest.mark.browser
def test_browse_in_chromium(fixture_sqlite, tmp_path):
    binary = _chromium()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed in CI")
        pytest.skip("no chromium binary")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "peatmoss", "--db", fixture_sqlite, "browse", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/test"
    try:
        _wait(f"{base}.json")
        table = _chrome(binary, tmp_path / "p1", "--dump-dom", f"{base}/model")
        assert "A pre-trained model package on a hub" in table  # the table description
        assert "google/bert-base" in table and "8 rows" in table
        assert "pipeline_tag" in table and "text-classification" in table  # a facet with its values
        page = _chrome(binary, tmp_path / "p2", "--dump-dom", f"{base}/I-1")
        assert "Do a PTM's downloads correlate" in page.replace("&#39;", "'")
        assert "dependent_repositories" in page and "openai/clip-vit" in page
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "browse_I-1.png"
        shot.unlink(missing_ok=True)
        _chrome(binary, tmp_path / "p3", f"--screenshot={shot}", "--window-size=1280,900", f"{base}/I-1")
        assert shot.exists() and shot.stat().st_size > 10_000
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
