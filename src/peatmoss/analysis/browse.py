"""`peatmoss browse`: Datasette over the SQLite database, with a metadata file describing every table and
column (from the schema's own docstrings and comments), useful facets, and the research questions as
canned queries."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Table
from sqlalchemy.engine import make_url

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
        doc = (inspect.getdoc(cls) or "") if cls is not None else ""
        if cls is not None and doc.startswith(("A small named lookup", "Base")):
            doc = ""
        if not doc:
            doc = _default_doc(table)
        notes = comments.get(cls.__name__, {}) if cls is not None else {}
        entry = {"description": doc.splitlines()[0] if doc else table.name,
                 "columns": {c.name: _column_text(c, notes.get(c.name)) for c in table.columns}}
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
    return f"Lookup table of {table.name} names."


def metadata(db_name: str) -> dict:
    queries = {q.name: {"title": f"{q.name}: {q.question}", "description": q.description, "sql": q.sql}
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


def command(url: str, metadata_file: Path, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    return [sys.executable, "-m", "datasette", "serve", str(sqlite_path(url)), "--metadata", str(metadata_file),
            "--host", host, "--port", str(port), "--setting", "sql_time_limit_ms", "10000"]


def serve(url: str, metadata_file: Path, host: str = "127.0.0.1", port: int = 8001) -> int:
    path = sqlite_path(url)
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}")
    write_metadata(url, metadata_file)
    return subprocess.call(command(url, metadata_file, host, port))
