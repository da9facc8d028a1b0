"""Write docs/schema.md from the SQLAlchemy models: a diagram and a table per area.

    python -m peatmoss.db.schema_doc > docs/schema.md
"""

from __future__ import annotations

from sqlalchemy import Table

from . import models as m
from .coverage import COVERAGE

AREAS = {
    "Runs and errors": ["collection_run", "collection_error"],
    "Registries and models": ["registry", "model", "model_stats", "author", "model_family"],
    "Model metadata": ["tag", "model_to_tag", "license", "model_to_license", "architecture", "model_to_architecture",
                       "framework", "model_to_framework", "library", "model_to_library", "dataset",
                       "model_to_dataset", "language", "model_to_language", "paper", "model_to_paper"],
    "Model history (deep snapshots)": ["model_card", "model_version", "git_ref", "model_file", "discussion",
                                       "discussion_event", "discussion_file"],
    "Lineage": ["model_edge"],
    "PyTorch Hub": ["pytorch_hub_page", "pytorch_hub_entry"],
    "Downstream reuse": ["reuse_repository", "repo_scan", "reuse_file", "model_reuse", "reuse_change", "reuse_lag"],
    "Downstream discovery": ["discovery_query", "discovery_candidate", "discovery_match"],
    "GitHub activity": ["github_user", "github_milestone", "github_issue", "github_issue_assignee",
                        "github_issue_review_request", "github_label", "github_issue_label", "github_comment",
                        "github_review", "github_commit", "github_pull_request_file", "github_status_check",
                        "github_reaction_group"],
    "Card extraction": ["card_field", "llm_call"],
    "Licenses": ["license_verdict"],
}


def _doc(table: Table) -> str:
    for mapper in m.Base.registry.mappers:
        if mapper.local_table is table and mapper.class_.__doc__:
            return " ".join(mapper.class_.__doc__.split())
    return ""


def _type(col) -> str:
    try:
        return str(col.type.compile())
    except Exception:  # noqa: BLE001 - a type without a generic SQL name
        return type(col.type).__name__.upper()


def render() -> str:
    tables = {**m.Base.metadata.tables, **m.VIEWS.tables}
    listed = {t for names in AREAS.values() for t in names}
    missing = sorted(set(tables) - listed)
    if missing:
        raise SystemExit(f"tables not placed in an area of schema_doc.AREAS: {missing}")
    out = ["# Database schema", "",
           "Generated from `src/peatmoss/db/models.py` by `python -m peatmoss.db.schema_doc`; do not edit by hand.",
           f"{len(m.Base.metadata.tables)} tables and {len(m.VIEWS.tables)} views on SQLite and PostgreSQL; "
           "migrations in `src/peatmoss/db/migrations/`.", ""]
    for area, names in AREAS.items():
        out += [f"## {area}", "", "```mermaid", "erDiagram"]
        for name in names:
            for fk in sorted(tables[name].foreign_keys, key=lambda f: (f.parent.name, f.target_fullname)):
                target = fk.column.table.name
                if target in names:
                    out.append(f"    {target} ||--o{{ {name} : \"{fk.parent.name}\"")
            if not any(fk.column.table.name in names for fk in tables[name].foreign_keys):
                out.append(f"    {name}")
        out += ["```", ""]
        for name in names:
            table = tables[name]
            out += [f"### `{name}`" + (" (view)" if name in m.VIEWS.tables else ""), ""]
            if _doc(table):
                out += [_doc(table), ""]
            out += ["| column | type | null | key |", "|---|---|---|---|"]
            for col in table.columns:
                keys = []
                if col.primary_key:
                    keys.append("PK")
                keys += sorted(f"→ {fk.column.table.name}.{fk.column.name}" for fk in col.foreign_keys)
                out.append(f"| {col.name} | {_type(col)} | {'yes' if col.nullable else 'no'} | {' '.join(keys)} |")
            uniques = [c for c in table.constraints if c.__class__.__name__ == "UniqueConstraint"]
            for u in uniques:
                out.append(f"\nUnique: ({', '.join(c.name for c in u.columns)})")
            indexes = sorted(table.indexes, key=lambda i: i.name or "")
            if indexes:
                out.append("\nIndices: " + "; ".join(f"`{i.name}` ({', '.join(c.name for c in i.columns)})"
                                                     for i in indexes))
            out.append("")
    out += ["## Coverage of the PeaTMOSS schema", "",
            "Each of the 56 tables of the PeaTMOSS release and where its data lives here.", "",
            "| PeaTMOSS table | here | note |", "|---|---|---|"]
    out += [f"| {old} | `{new}` | {note} |" for old, (new, note) in sorted(COVERAGE.items())]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
