"""`peatmoss browse`: Datasette over the SQLite database, with a metadata file describing every table and
column (from the schema's own docstrings and comments), useful facets, and the research questions as
canned queries."""

from __future__ import annotations

import inspect
import json
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import Table
from sqlalchemy.engine import make_url

from ..core.lifetime import preexec
from ..db import models as schema
from .queries import QUERIES

FACETS = {
    "model": ["registry_id", "pipeline_tag", "library_name", "gated"],
    "model_reuse": ["library", "link_status", "hub", "reuse_mode", "resolution"],
    "license_verdict": ["verdict", "rules", "kind"],
    "card_field": ["pipeline", "field", "state", "source"],
    "collection_run": ["stage", "source", "status"],
    "collection_error": ["stage", "error_kind"],
    "reuse_repository": ["host", "license_spdx"],
    "model_edge": ["relation", "source"],
    "tag": ["kind"],
    "github_issue": ["is_pull_request", "state"],
    "pytorch_hub_entry": ["repo", "source"],
    "pytorch_hub_page": ["category"],
}
TABLE_TEXT = {
    "registry": "A model hub (registry) the models come from.",
    "author": "An account that publishes models on a hub.",
    "model": "A pre-trained model package on a hub, with its latest metadata.",
    "tag": "A raw Hugging Face tag, split into kind and value.",
    "license": "A license as met on a hub, with its normalised SPDX expression.",
    "github_user": "A GitHub account (issue, comment or review author).",
    "github_label": "A label of a repository's issues.",
    "github_milestone": "A milestone of a repository.",
    "github_comment": "A comment on an issue or pull request.",
    "github_review": "A review of a pull request.",
    "github_status_check": "A CI status check of a pull request.",
    "github_pull_request_file": "A file changed by a pull request.",
    "github_reaction_group": "Reactions (by kind) on an issue, comment or review.",
    "discussion": "A discussion or pull request on a Hugging Face model repository.",
    "discussion_event": "An event (comment, status change, commit) of a model discussion.",
    "git_ref": "A branch, tag or pull-request ref of a model repository.",
    "reuse_file": "A source file of a repository looked at by the miner, with its status.",
}
COLUMN_TEXT = {
    ("model", "downloads"): "downloads reported by the hub (last 30 days for Hugging Face)",
    ("model", "downloads_all_time"): "all-time downloads, when the hub reports them",
    ("model", "created_at"): "when the model repository was created",
    ("model", "pipeline_tag"): "the hub's task tag; mapped to a problem domain by the analysis",
    ("model", "parameter_count"): "number of parameters, when known",
    ("model", "has_snapshot"): "true when the model's repository was snapshotted (deep metadata)",
    ("model", "likes"): "likes on the hub",
    ("model", "first_seen_run_id"): "the collection run that first saw the model",
    ("model", "last_seen_run_id"): "the newest collection run that saw the model",
    ("model_stats", "downloads"): "downloads reported at this snapshot",
    ("model_reuse", "is_current"): "true when the link belongs to the repository's newest scan",
    ("model_reuse", "model_id"): "the matched model; null when the loaded id is not a collected model",
}
SORT_DESC = {"model": "downloads", "reuse_repository": "stars"}

_CLASS = re.compile(r"^class (\w+)\(Base\):")
_COLUMN = re.compile(r"^\s+(\w+): Mapped\[.*?#\s*(.+)$")


def _source_comments() -> dict[str, dict[str, str]]:
    """Inline comments of the schema module, per class and column."""
    out: dict[str, dict[str, str]] = {}
    current = None
    for line in inspect.getsource(schema).splitlines():
        if m := _CLASS.match(line):
            current = out.setdefault(m.group(1), {})
        elif current is not None and (m := _COLUMN.match(line)):
            current[m.group(1)] = m.group(2).strip()
    return out


def _column_text(col, comment: str | None) -> str:
    parts = [comment] if comment else []
    parts.append(str(col.type).lower())
    for fk in col.foreign_keys:
        parts.append(f"references {fk.target_fullname}")
    if col.primary_key:
        parts.append("primary key")
    return "; ".join(parts)


def table_docs() -> dict[str, dict]:
    """Description and column descriptions of every table of the schema."""
    comments = _source_comments()
    classes = {m.class_.__tablename__: m.class_ for m in schema.Base.registry.mappers}
    tables: dict[str, dict] = {}
    for table in schema.Base.metadata.sorted_tables:
        cls = classes.get(table.name)
        doc = TABLE_TEXT.get(table.name) or ((inspect.getdoc(cls) or "") if cls is not None else "")
        if cls is not None and doc.startswith(("A small named lookup", "Base")):
            doc = ""
        if not doc:
            doc = _default_doc(table)
        notes = comments.get(cls.__name__, {}) if cls is not None else {}
        entry = {"description": doc.splitlines()[0] if doc else table.name,
                 "columns": {c.name: _column_text(c, notes.get(c.name) or COLUMN_TEXT.get((table.name, c.name)))
                             for c in table.columns}}
        if table.name in FACETS:
            entry["facets"] = [f for f in FACETS[table.name] if f in table.c]
        if table.name in SORT_DESC:
            entry["sort_desc"] = SORT_DESC[table.name]
        tables[table.name] = entry
    return tables


def _default_doc(table: Table) -> str:
    targets = [fk.column.table.name for c in table.columns for fk in c.foreign_keys]
    if len(targets) == 2 and len(table.columns) <= 3:
        return f"Many-to-many link: {targets[0]} to {targets[1]}."
    if {c.name for c in table.columns} <= {"id", "name", "title", "url"}:
        return f"Lookup table of {table.name.replace('_', ' ')} names."
    return f"Rows of {table.name} (see src/peatmoss/db/models.py)."


def metadata(db_name: str) -> dict:
    queries = {q.name: {"title": f"{q.name}: {q.question}", "description": q.description, "sql": q.sql_for("sqlite")}
               for q in QUERIES}
    return {
        "title": "PeaTMOSS: the pre-trained-model supply chain",
        "description": "Models of Hugging Face and PyTorch Hub, the repositories that load them, their "
                       "licenses, lineage and documentation. Canned queries answer the paper's Table 3 questions.",
        "databases": {db_name: {"tables": table_docs(), "queries": queries}},
    }


def sqlite_path(url: str) -> Path:
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        raise ValueError("browse needs a SQLite database; for PostgreSQL run `peatmoss export --format csv` "
                         "and load it, or point --db at a SQLite copy")
    return Path(parsed.database)


def write_metadata(url: str, out: Path) -> Path:
    path = sqlite_path(url)
    out.write_text(json.dumps(metadata(path.stem), indent=1), encoding="utf-8")
    return out


def command(url: str, metadata_file: Path | str, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The Datasette command line; `metadata_file` "-" reads the metadata from standard input."""
    return [sys.executable, "-m", "datasette", "serve", str(sqlite_path(url)), "--metadata", str(metadata_file),
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "10000"]


def serve(url: str, metadata_file: Path | None = None, host: str = "127.0.0.1", port: int = 8001) -> int:
    """Run Datasette until it ends. SIGTERM (or Ctrl-C) of this process stops it and returns; if this process
    is killed outright, Datasette gets SIGTERM from the kernel. Without `metadata_file` the metadata reaches
    Datasette on its standard input, so no file or temporary folder exists to be left behind, however this
    process ends."""
    path = sqlite_path(url)
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}")
    if metadata_file is not None:
        write_metadata(url, metadata_file)
    proc = subprocess.Popen(command(url, metadata_file or "-", host, port), preexec_fn=preexec(signal.SIGTERM),
                            stdin=subprocess.PIPE if metadata_file is None else None)
    if metadata_file is None:
        try:
            with proc.stdin:
                proc.stdin.write(json.dumps(metadata(path.stem)).encode("utf-8"))
        except BrokenPipeError:  # Datasette ended before reading it: its exit code says why
            pass
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGTERM, lambda *_: proc.terminate()) if main else None
    try:
        code = proc.wait()
    finally:
        if main:
            signal.signal(signal.SIGTERM, old)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return 128 - code if code < 0 else code  # killed by signal N: the shell's 128+N
