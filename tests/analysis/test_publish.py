"""`peatmoss publish` writes a release whose Croissant description parses and whose checksums match."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess

import pyarrow.parquet as pq
from pyld import jsonld
from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.core.paths import mirror_repo
from peatmoss.db import models as M
from peatmoss.db import session_scope

runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})


def test_publish_release(fixture_sqlite, tmp_path):
    result = runner.invoke(app, ["--db", fixture_sqlite, "publish", "--out", str(tmp_path), "--version", "1.0"])
    assert result.exit_code == 0, result.output
    release = tmp_path / "peatmoss-1.0"
    sums = (release / "SHA256SUMS").read_text().splitlines()
    listed = {}
    for line in sums:
        digest, rel = line.split("  ", 1)
        listed[rel] = digest
        assert hashlib.sha256((release / rel).read_bytes()).hexdigest() == digest, rel
    assert {"peatmoss.sqlite", "DATASHEET.md", "croissant.json", "parquet/model.parquet"} <= set(listed)
    doc = json.loads((release / "croissant.json").read_text())
    for key in ("@context", "@type", "name", "distribution", "recordSet"):
        assert key in doc, key
    assert doc["@type"] == "sc:Dataset" and doc["conformsTo"] == "http://mlcommons.org/croissant/1.0"
    files = {f["contentUrl"]: f["sha256"] for f in doc["distribution"]}
    assert files["peatmoss.sqlite"] == listed["peatmoss.sqlite"]
    model = next(r for r in doc["recordSet"] if r["name"] == "model")
    fields = {f["name"]: f["dataType"] for f in model["field"]}
    assert fields["downloads"] == "sc:Integer" and fields["created_at"] == "sc:Date" and fields["hub_id"] == "sc:Text"
    assert pq.read_table(release / "parquet" / "model.parquet").num_rows == 8
    with sqlite3.connect(release / "peatmoss.sqlite") as conn:
        assert conn.execute("SELECT COUNT(*) FROM model").fetchone() == (8,)
        assert conn.execute("SELECT COUNT(*) FROM model_to_reuse_repository").fetchone()[0] == 7  # views travel too
    sheet = (release / "DATASHEET.md").read_text()
    assert "| huggingface | 6 |" in sheet and "| Apache-2.0 | 2 |" in sheet and "2024-01-01" in sheet
    again = runner.invoke(app, ["--db", fixture_sqlite, "publish", "--out", str(tmp_path), "--version", "1.0"])
    assert again.exit_code != 0 and "exists" in again.output and "Traceback" not in again.output


def _git(*args, cwd=None):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main",
                    *args], cwd=cwd, check=True, capture_output=True)


def test_publish_full_release_holds_the_stored_files(fixture_sqlite, tmp_path):
    """The full variant: stored cards, deep-snapshot files and repository histories, each listed in the datasheet,
    the Croissant JSON-LD (which a JSON-LD processor expands) and SHA256SUMS."""
    weights = b"\x00config bytes\x01"
    digest = hashlib.sha256(weights).hexdigest()
    store = tmp_path / "store"
    (store / "sha256" / digest[:2]).mkdir(parents=True)
    (store / "sha256" / digest[:2] / digest).write_bytes(weights)
    with session_scope(fixture_sqlite) as s:
        s.add_all([M.ModelCard(model_id=1, sha="c0ffee", text="# Model one\n", length=12),
                   M.ModelFile(model_id=1, path="sub/config.json", stored_digest=digest),
                   M.ModelFile(model_id=2, path="../../escape.json", stored_digest=digest),
                   M.ModelFile(model_id=2, path="gone.bin", stored_digest="f" * 64)])
        hub_ids = {mid: s.get(M.Model, mid).hub_id for mid in (1, 2)}
    mirrors = tmp_path / "mirrors"
    work = tmp_path / "work"
    work.mkdir()
    _git("init", "-q", cwd=work)
    (work / "app.py").write_text("print('hi')\n")
    _git("add", "app.py", cwd=work)
    _git("commit", "-q", "-m", "first", cwd=work)
    _git("clone", "-q", "--bare", str(work), str(mirror_repo(mirrors, "org/app1")))
    result = runner.invoke(app, ["--db", fixture_sqlite, "publish", "--out", str(tmp_path / "out"), "--version", "2.0",
                                 "--variant", "full", "--store", str(store), "--mirrors", str(mirrors)])
    assert result.exit_code == 0, result.output
    release = tmp_path / "out" / "peatmoss-2.0"
    listed = dict(reversed(line.split("  ", 1)) for line in (release / "SHA256SUMS").read_text().splitlines())
    for rel, digest_listed in listed.items():
        assert hashlib.sha256((release / rel).read_bytes()).hexdigest() == digest_listed, rel
    card = f"files/model_cards/{hub_ids[1]}/c0ffee/README.md"
    model_file = f"files/models/{hub_ids[1]}/sub/config.json"
    escaped = f"files/models/{hub_ids[2]}/%2E%2E/%2E%2E/escape.json"  # kept inside the release
    bundle = "files/repositories/org+app1.bundle"
    assert {card, model_file, escaped, bundle} <= set(listed)
    assert (release / card).read_text() == "# Model one\n" and (release / model_file).read_bytes() == weights
    assert not (tmp_path / "out" / "escape.json").exists()
    verify = subprocess.run(["git", "bundle", "verify", str(release / bundle)], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr
    assert not any("gone.bin" in rel for rel in listed)  # not in the store: named as missing, not faked
    sheet = (release / "DATASHEET.md").read_text()
    assert "(full)" in sheet and "| model_cards | 1 |" in sheet and "| models | 2 |" in sheet
    assert "| repositories | 1 |" in sheet and f"`{bundle}`" in sheet and "gone.bin" in sheet
    doc = json.loads((release / "croissant.json").read_text())
    objects = {d["@id"]: d for d in doc["distribution"] if d["@type"] == "cr:FileObject"}
    sets = {d["@id"] for d in doc["distribution"] if d["@type"] == "cr:FileSet"}
    assert sets == {"files/model_cards", "files/models", "files/repositories"}
    assert objects[model_file]["sha256"] == listed[model_file] == digest
    assert objects[bundle]["encodingFormat"] == "application/x-git-bundle"
    expanded = jsonld.expand(doc)  # the inline context: no network
    schema = "https://schema.org/"
    assert expanded[0]["@type"] == [schema + "Dataset"] and expanded[0][schema + "name"][0]["@value"] == "PeaTMOSS"
    kinds = [d["@type"][0] for d in expanded[0][schema + "distribution"]]
    assert kinds.count("http://mlcommons.org/croissant/FileSet") == 3
    assert kinds.count("http://mlcommons.org/croissant/FileObject") == len(listed) - 1  # all but croissant.json
    for key in ("version", "datePublished", "url", "description"):
        assert schema + key in expanded[0], key
    assert "http://mlcommons.org/croissant/recordSet" in expanded[0]


def test_publish_metadata_has_no_stored_files_and_bad_variant_is_one_line(fixture_sqlite, tmp_path):
    result = runner.invoke(app, ["--db", fixture_sqlite, "publish", "--out", str(tmp_path), "--version", "3"])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "peatmoss-3" / "files").exists()
    assert "(metadata)" in (tmp_path / "peatmoss-3" / "DATASHEET.md").read_text()
    bad = runner.invoke(app, ["--db", fixture_sqlite, "publish", "--out", str(tmp_path), "--variant", "huge"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
