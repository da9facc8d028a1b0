"""Write normalised model records into the database, one page per transaction.

Plain tuples through the driver, ids from `INSERT … RETURNING` (no lookup SELECTs), and on
PostgreSQL `COPY` (into a staging table + one `INSERT … SELECT … ON CONFLICT` where rows may already
exist). Only a model held before has related rows to replace, so a first load deletes nothing.
Re-writing the same page changes nothing.
"""

from __future__ import annotations

from itertools import chain

from sqlalchemy import Connection, Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..core.identity import ModelResolver
from ..db import models as m
from .records import ModelRecord, classify_tag

LOOKUPS = {
    "author": m.Author.__table__,
    "family": m.ModelFamily.__table__,
    "architecture": m.Architecture.__table__,
    "license": m.License.__table__,
    "tag": m.Tag.__table__,
}
MODEL_COLUMNS = ("hub_id", "name", "sha", "created_at", "last_modified", "pipeline_tag", "library_name", "private",
                 "disabled", "gated", "downloads", "downloads_all_time", "likes", "parameter_count", "used_storage",
                 "card_data", "repo_url")
MODEL_ROW = ("registry_id", *MODEL_COLUMNS, "file_names", "author_id", "model_family_id", "last_seen_run_id",
             "first_seen_run_id", "has_snapshot")
MODEL_KEEP = ("registry_id", "hub_id", "first_seen_run_id", "has_snapshot")  # not changed by a re-listing
STATS_ROW = ("run_id", "model_id", "downloads", "downloads_all_time", "likes", "last_modified")
FILE_ROW = ("model_id", "path", "size", "blob_id", "lfs_sha256", "lfs_size")
EDGE_ROW = ("child_id", "parent_raw_id", "relation", "source", "confidence", "run_id")
REPLACED = ("model_to_tag", "model_to_architecture", "model_to_license", "model_file")  # a re-listing's rows
MAX_PARAMS = 30000  # bound parameters per statement (SQLite allows 32,766)
STAGE_ROWS = 200  # on PostgreSQL, from this many rows an upsert goes through COPY and a staging table
CHUNK = 500  # ids per IN (...) clause


def dialect_insert(conn: Connection, table: Table):
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)


def _chunks(seq: list, size: int = CHUNK):
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def _processed(conn: Connection, table: Table, columns, rows: list[tuple]) -> list[tuple]:
    """Rows as the driver takes them: SQLAlchemy's own bind processors, only for columns that have one."""
    procs = [(i, p) for i, c in enumerate(columns) if (p := table.c[c].type._cached_bind_processor(conn.dialect))]
    if not procs:
        return rows
    out = []
    for row in rows:
        row = list(row)
        for i, p in procs:
            row[i] = p(row[i])
        out.append(tuple(row))
    return out


def _copy(conn: Connection, table: str, columns, rows: list[tuple]) -> None:
    """PostgreSQL COPY through psycopg 3, inside the connection's transaction."""
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def insert_rows(conn: Connection, table: Table, columns, rows: list[tuple]) -> None:
    """Append rows that cannot exist yet: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    rows = _processed(conn, table, columns, rows)
    if conn.dialect.name == "postgresql":
        _copy(conn, table.name, columns, rows)
        return
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({', '.join(columns)}) "
                         f"VALUES ({', '.join(['?'] * len(columns))})", rows)


def upsert_rows(conn: Connection, table: Table, columns, rows: list[tuple], keys, keep=(),
                returning: tuple = ()) -> list[tuple]:
    """Insert or update rows by their unique `keys` (columns in `keep` are left as they were);
    returns the `returning` columns of every row. One multi-row statement, or on PostgreSQL for many
    rows COPY into a staging table and one INSERT … SELECT."""
    if not rows:
        return []
    rows = _processed(conn, table, columns, rows)
    cols = ", ".join(columns)
    changed = [c for c in columns if c not in keys and c not in keep] or (keys[:1] if returning else [])
    conflict = f"ON CONFLICT ({', '.join(keys)}) DO " + (
        "UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in changed) if changed else "NOTHING")
    tail = f" RETURNING {', '.join(returning)}" if returning else ""
    if conn.dialect.name == "postgresql" and len(rows) >= STAGE_ROWS:
        stage = f"stage_{table.name}"  # per connection; made again if a rolled-back page took it away
        conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
                             f"SELECT {cols} FROM {table.name} WITH NO DATA")
        _copy(conn, stage, columns, rows)
        out = conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) SELECT {cols} FROM {stage} {conflict}{tail}")
        result = out.all() if returning else []
        conn.exec_driver_sql(f"DELETE FROM {stage}")
        return result
    result: list[tuple] = []
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    per = max(1, MAX_PARAMS // len(columns))
    for chunk in _chunks(rows, per):
        marks = ", ".join(["(" + ", ".join([mark] * len(columns)) + ")"] * len(chunk))
        flat = tuple(chain.from_iterable(chunk))
        out = conn.exec_driver_sql(f"INSERT INTO {table.name} ({cols}) VALUES {marks} {conflict}{tail}", flat)
        if returning:
            result.extend(out.all())
    return result


class ModelStore:
    """Caches lookup ids for one collection run and writes pages of records."""

    def __init__(self, registry_id: int, run_id: int):
        self.registry_id = registry_id
        self.run_id = run_id
        self.cache: dict[str, dict[str, int]] = {name: {} for name in LOOKUPS}
        self.library_values: set[str] = set()  # library names a `tag` row of kind library holds

    # ---------------------------------------------------------------- lookups
    def ids(self, conn: Connection, kind: str, names) -> dict[str, int]:
        """name -> id, inserting the names not yet held (one statement)."""
        cache = self.cache[kind]
        missing = sorted(n for n in names if n not in cache)
        if missing:
            table = LOOKUPS[kind]
            if kind == "tag":
                columns: tuple = ("name", "kind", "value")
                rows = [(n, *classify_tag(n)) for n in missing]
            else:
                columns, rows = ("name",), [(n,) for n in missing]
            # a no-op update of the name on conflict, so names held before come back too
            cache.update((name, id_) for id_, name in upsert_rows(conn, table, columns, rows, ("name",),
                                                                  keep=columns[1:], returning=("id", "name")))
        return {n: cache[n] for n in names}

    def _library_tags(self, conn: Connection, records: list[ModelRecord]) -> None:
        """A `library:<name>` tag for each library_name no tag names, so the library view holds it."""
        names = {r.row["library_name"] for r in records if r.row.get("library_name")} - self.library_values
        if not names:
            return
        tag = m.Tag.__table__
        for chunk in _chunks(sorted(names)):
            self.library_values.update(conn.execute(select(tag.c.value).where(tag.c.kind == "library",
                                                                              tag.c.value.in_(chunk))).scalars())
        missing = names - self.library_values
        if missing:
            self.ids(conn, "tag", {f"library:{n}" for n in missing})
            self.library_values |= missing

    # ---------------------------------------------------------------- pages
    def write_page(self, conn: Connection, records: list[ModelRecord]) -> dict[str, int]:
        """Upsert a page of models and replace their related rows. Returns hub_id -> model id."""
        records = list({r.hub_id: r for r in records}.values())  # a duplicated record counts once
        if not records:
            return {}
        authors = self.ids(conn, "author", {r.author for r in records if r.author})
        families = self.ids(conn, "family", {r.model_type for r in records if r.model_type})
        model = m.Model.__table__
        run = self.run_id
        rows = [(self.registry_id, *[r.row.get(k) for k in MODEL_COLUMNS], r.file_names or None,
                 authors.get(r.author), families.get(r.model_type), run, run, False) for r in records]
        # models held before this page have related rows to replace; the others are new. PostgreSQL says
        # which rows it inserted (xmax = 0); on SQLite, whose writers take turns, new rows get ids above
        # the largest before the page
        if conn.dialect.name == "postgresql":
            written = upsert_rows(conn, model, MODEL_ROW, rows, ("registry_id", "hub_id"), keep=MODEL_KEEP,
                                  returning=("id", "hub_id", "xmax = 0"))
            held = [id_ for id_, _, inserted in written if not inserted]
        else:
            newest = conn.exec_driver_sql("SELECT MAX(id) FROM model").scalar() or 0
            written = upsert_rows(conn, model, MODEL_ROW, rows, ("registry_id", "hub_id"), keep=MODEL_KEEP,
                                  returning=("id", "hub_id"))
            held = [id_ for id_, _ in written if id_ <= newest]
        ids = {row[1]: row[0] for row in written}
        for chunk in _chunks(held):
            marks = ", ".join(str(int(i)) for i in chunk)
            for name in REPLACED:
                conn.exec_driver_sql(f"DELETE FROM {name} WHERE model_id IN ({marks})")
            conn.exec_driver_sql(f"DELETE FROM model_edge WHERE child_id IN ({marks}) "
                                 "AND source IN ('tag', 'card_yaml')")
        self._write_links(conn, records, ids)
        stats = [(run, ids[r.hub_id], r.row.get("downloads"), r.row.get("downloads_all_time"), r.row.get("likes"),
                  r.row.get("last_modified")) for r in records]
        upsert_rows(conn, m.ModelStats.__table__, STATS_ROW, stats, ("run_id", "model_id"))
        return ids

    def _write_links(self, conn: Connection, records: list[ModelRecord], ids: dict[str, int]) -> None:
        tags = self.ids(conn, "tag", {t for r in records for t in r.tags})
        self.library_values.update(classify_tag(t)[1] for t in tags if classify_tag(t)[0] == "library")
        self._library_tags(conn, records)
        archs = self.ids(conn, "architecture", {a for r in records for a in r.architectures})
        licenses = self.ids(conn, "license", {n for r in records for n, _ in r.licenses})
        insert_rows(conn, m.model_to_tag, ("model_id", "tag_id"),
                    [(ids[r.hub_id], tags[t]) for r in records for t in r.tags])
        insert_rows(conn, m.model_to_architecture, ("model_id", "architecture_id"),
                    [(ids[r.hub_id], archs[a]) for r in records for a in r.architectures])
        insert_rows(conn, m.model_to_license, ("model_id", "license_id", "source"),
                    [(ids[r.hub_id], licenses[n], source) for r in records for n, source in r.licenses])
        files = {}
        for r in records:  # only files with facts beyond their name; names are on model.file_names
            for f in r.files:
                if f[1:] != (None, None, None, None):
                    files[(ids[r.hub_id], f[0])] = (ids[r.hub_id], *f)
        insert_rows(conn, m.ModelFile.__table__, FILE_ROW, list(files.values()))
        insert_rows(conn, m.ModelEdge.__table__, EDGE_ROW,
                    [(ids[r.hub_id], p, rel, src, 1.0 if src == "tag" else 0.9, self.run_id)
                     for r in records for p, rel, src in r.edges])


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
