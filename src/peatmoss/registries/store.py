"""Write normalised model records into the database, one page per transaction.

Bulk Core statements (no ORM objects) with dialect upserts, so SQLite and PostgreSQL both
take a page of 1,000 models in a few statements. Re-writing the same page changes nothing.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..core.identity import ModelResolver
from ..db import models as m
from .records import ModelRecord, classify_tag

LOOKUPS = {
    "author": m.Author.__table__,
    "family": m.ModelFamily.__table__,
    "architecture": m.Architecture.__table__,
    "framework": m.Framework.__table__,
    "library": m.Library.__table__,
    "dataset": m.Dataset.__table__,
    "language": m.Language.__table__,
    "paper": m.Paper.__table__,
    "license": m.License.__table__,
}
LINKS = {
    "architecture": m.model_to_architecture,
    "framework": m.model_to_framework,
    "library": m.model_to_library,
    "dataset": m.model_to_dataset,
    "language": m.model_to_language,
    "paper": m.model_to_paper,
    "tag": m.model_to_tag,
    "license": m.model_to_license,
}
MODEL_COLUMNS = ("hub_id", "name", "sha", "created_at", "last_modified", "pipeline_tag", "library_name", "private",
                 "disabled", "gated", "downloads", "downloads_all_time", "likes", "parameter_count", "used_storage",
                 "card_data", "repo_url")
FILE_COLUMNS = ("model_id", "path", "size", "blob_id", "lfs_sha256", "lfs_size")
CHUNK = 500  # ids per IN (...) clause


def bulk_insert(conn: Connection, table: Table, columns, rows: list[tuple]) -> None:
    """Plain executemany through the driver: no per-row statement compilation."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"
    conn.exec_driver_sql(sql, rows)


def dialect_insert(conn: Connection, table: Table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _chunks(seq: list, size: int = CHUNK):
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


class ModelStore:
    """Caches lookup ids for one collection run and writes pages of records."""

    def __init__(self, registry_id: int, run_id: int):
        self.registry_id = registry_id
        self.run_id = run_id
        self.cache: dict[str, dict[str, int]] = {name: {} for name in LOOKUPS} | {"tag": {}}

    # ---------------------------------------------------------------- lookups
    def ids(self, conn: Connection, kind: str, names: set[str]) -> dict[str, int]:
        cache = self.cache[kind]
        missing = [n for n in names if n not in cache]
        if missing:
            table = m.Tag.__table__ if kind == "tag" else LOOKUPS[kind]
            rows = [{"name": n, "kind": classify_tag(n)[0], "value": classify_tag(n)[1]} for n in missing] \
                if kind == "tag" else [{"name": n} for n in missing]
            conn.execute(dialect_insert(conn, table).on_conflict_do_nothing(index_elements=["name"]), rows)
            for chunk in _chunks(missing):
                for id_, name in conn.execute(select(table.c.id, table.c.name).where(table.c.name.in_(chunk))):
                    cache[name] = id_
        return {n: cache[n] for n in names}

    # ---------------------------------------------------------------- pages
    def write_page(self, conn: Connection, records: list[ModelRecord]) -> dict[str, int]:
        """Upsert a page of models and replace their related rows. Returns hub_id -> model id."""
        records = list({r.hub_id: r for r in records}.values())  # a duplicated record counts once
        if not records:
            return {}
        authors = self.ids(conn, "author", {r.author for r in records if r.author})
        families = self.ids(conn, "family", {r.model_type for r in records if r.model_type})
        rows = []
        for r in records:
            row = {k: r.row.get(k) for k in MODEL_COLUMNS}
            row.update(registry_id=self.registry_id, author_id=authors.get(r.author),
                       model_family_id=families.get(r.model_type), last_seen_run_id=self.run_id,
                       first_seen_run_id=self.run_id, has_snapshot=False)
            rows.append(row)
        model = m.Model.__table__
        existing: set[str] = set()
        for chunk in _chunks([r.hub_id for r in records]):
            existing.update(conn.execute(select(model.c.hub_id).where(model.c.registry_id == self.registry_id,
                                                                      model.c.hub_id.in_(chunk))).scalars())
        stmt = dialect_insert(conn, model)
        keep = {"first_seen_run_id", "has_snapshot", "registry_id", "hub_id"}
        stmt = stmt.on_conflict_do_update(
            index_elements=["registry_id", "hub_id"],
            set_={c: getattr(stmt.excluded, c) for c in rows[0] if c not in keep},
        )
        conn.execute(stmt, rows)
        ids: dict[str, int] = {}
        for chunk in _chunks([r.hub_id for r in records]):
            q = select(model.c.hub_id, model.c.id).where(model.c.registry_id == self.registry_id,
                                                          model.c.hub_id.in_(chunk))
            ids.update(conn.execute(q).all())
        self._replace_links(conn, records, ids, [ids[h] for h in existing])
        self._write_stats(conn, records, ids)
        return ids

    def _replace_links(self, conn: Connection, records: list[ModelRecord], ids: dict[str, int],
                       model_ids: list[int]) -> None:
        for chunk in _chunks(model_ids):  # only models we held before have rows to replace
            for table in LINKS.values():
                conn.execute(delete(table).where(table.c.model_id.in_(chunk)))
            conn.execute(delete(m.ModelFile.__table__).where(m.ModelFile.model_id.in_(chunk)))
            conn.execute(delete(m.ModelEdge.__table__).where(m.ModelEdge.child_id.in_(chunk),
                                                             m.ModelEdge.source.in_(("tag", "card_yaml"))))
        wanted: dict[str, set[str]] = {k: set() for k in LINKS}
        per_model: list[tuple[int, ModelRecord, dict[str, list[str]]]] = []
        for r in records:
            values: dict[str, list[str]] = {k: [] for k in LINKS}
            values["tag"] = r.tags
            values["architecture"] = r.architectures
            for tag in r.tags:
                kind, value = classify_tag(tag)
                if kind == "arxiv":
                    values["paper"].append(f"arxiv:{value}")
                elif kind in ("dataset", "framework", "library", "language"):
                    values[kind].append(value)
            if r.row.get("library_name"):
                values["library"].append(r.row["library_name"])
            values["license"] = [name for name, _ in r.licenses]
            for k, v in values.items():
                values[k] = list(dict.fromkeys(v))
                wanted[k].update(values[k])
            per_model.append((ids[r.hub_id], r, values))
        lookup = {k: self.ids(conn, k, names) for k, names in wanted.items() if names}
        for kind, table in LINKS.items():
            ids_of = lookup.get(kind, {})
            if kind == "license":
                rows = [(model_id, ids_of[n], dict(reversed(r.licenses))[n])
                        for model_id, r, values in per_model for n in values[kind]]
                columns: tuple = ("model_id", "license_id", "source")
            else:
                rows = [(model_id, ids_of[n]) for model_id, _, values in per_model for n in values[kind]]
                columns = ("model_id", f"{kind}_id")
            if rows:
                bulk_insert(conn, table, columns, rows)
        files = {}
        for r in records:
            model_id = ids[r.hub_id]
            for f in r.files:
                files[(model_id, f[0])] = (model_id, *f)
        if files:
            bulk_insert(conn, m.ModelFile.__table__, FILE_COLUMNS, list(files.values()))
        edges = [(ids[r.hub_id], p, rel, src, 1.0 if src == "tag" else 0.9, self.run_id)
                 for r in records for p, rel, src in r.edges]
        if edges:
            bulk_insert(conn, m.ModelEdge.__table__,
                        ("child_id", "parent_raw_id", "relation", "source", "confidence", "run_id"), edges)

    def _write_stats(self, conn: Connection, records: list[ModelRecord], ids: dict[str, int]) -> None:
        rows = [{"run_id": self.run_id, "model_id": ids[r.hub_id], "downloads": r.row.get("downloads"),
                 "downloads_all_time": r.row.get("downloads_all_time"), "likes": r.row.get("likes"),
                 "last_modified": r.row.get("last_modified")} for r in records]
        stmt = dialect_insert(conn, m.ModelStats.__table__)
        stmt = stmt.on_conflict_do_update(index_elements=["run_id", "model_id"],
                                          set_={c: getattr(stmt.excluded, c)
                                                for c in ("downloads", "downloads_all_time", "likes", "last_modified")})
        conn.execute(stmt, rows)


def resolve_edge_parents(conn: Connection) -> int:
    """Point edges without a parent at the parent models we now hold, found through the model identity
    (case, legacy ids, URLs, revisions). Returns how many edges got their parent."""
    edge = m.ModelEdge.__table__
    child = m.Model.__table__
    registry = m.Registry.__table__
    pending = conn.execute(select(edge.c.id, edge.c.child_id, edge.c.parent_raw_id, registry.c.name)
                           .join(child, child.c.id == edge.c.child_id)
                           .join(registry, registry.c.id == child.c.registry_id, isouter=True)
                           .where(edge.c.parent_id.is_(None))).all()
    if not pending:
        return 0
    resolver = ModelResolver(conn, preload=len(pending) > 50)
    found = []
    for edge_id, child_id, raw, hub in pending:
        parent = resolver.resolve(raw, hub=hub).model_id
        if parent is not None and parent != child_id:
            found.append({"edge_id": edge_id, "parent": parent})
    if found:
        conn.execute(update(edge).where(edge.c.id == bindparam("edge_id")).values(parent_id=bindparam("parent")),
                     found)
    return len(found)
