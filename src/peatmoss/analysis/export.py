"""`peatmoss export`: every table and view of the database as Parquet (typed from the schema) or CSV files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Integer, Table, inspect, select

from ..db import get_engine
from ..db.models import VIEWS, Base
from .load import require_db

CHUNK = 100_000


def arrow_type(col) -> pa.DataType:
    t = col.type
    if isinstance(t, Boolean):
        return pa.bool_()
    if isinstance(t, (Integer, BigInteger)):
        return pa.int64()
    if isinstance(t, Float):
        return pa.float64()
    if isinstance(t, DateTime):
        return pa.timestamp("us", tz="UTC")
    return pa.string()


def _tidy(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Make a chunk match the schema's types (SQLite gives text dates and 0/1 booleans; JSON as text)."""
    for col in table.columns:
        s = df[col.name]
        if isinstance(col.type, JSON):
            df[col.name] = s.map(lambda v: v if v is None or isinstance(v, str) else json.dumps(v))
        elif isinstance(col.type, DateTime):
            df[col.name] = pd.to_datetime(s, utc=True, errors="coerce", format="ISO8601")
        elif isinstance(col.type, Boolean):
            df[col.name] = s.map(lambda v: None if v is None or pd.isna(v) else bool(v)).astype("boolean")
        elif isinstance(col.type, (Integer, BigInteger)):
            df[col.name] = pd.to_numeric(s, errors="coerce").astype("Int64")
    return df


def tables(engine) -> list[Table]:
    """Every table, then the per-kind views over tags (framework, model_to_framework, ...)."""
    found = inspect(engine)
    present = set(found.get_table_names()) | set(found.get_view_names())
    return [t for t in [*Base.metadata.sorted_tables, *VIEWS.tables.values()] if t.name in present]


def export(url: str, out: Path, fmt: str = "parquet") -> dict[str, int]:
    """Write one file per table into `out`; returns rows written per table."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"unknown format {fmt!r}: use parquet or csv")
    require_db(url)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    engine = get_engine(url)
    counts = {}
    for table in tables(engine):
        path = out / f"{table.name}.{fmt}"
        schema = pa.schema([(c.name, arrow_type(c)) for c in table.columns])
        rows = 0
        writer = None
        with engine.connect() as conn:
            chunks = pd.read_sql(select(table), conn, chunksize=CHUNK)
            for chunk in chunks:
                chunk = _tidy(chunk, table)
                if fmt == "parquet":
                    writer = writer or pq.ParquetWriter(path, schema)
                    writer.write_table(pa.Table.from_pandas(chunk, schema=schema, preserve_index=False))
                else:
                    chunk.to_csv(path, mode="a" if rows else "w", header=not rows, index=False)
                rows += len(chunk)
        if fmt == "parquet":
            writer = writer or pq.ParquetWriter(path, schema)  # an empty table still gets a typed file
            writer.close()
        elif not rows:
            path.write_text(",".join(c.name for c in table.columns) + "\n", encoding="utf-8")
        counts[table.name] = rows
    return counts
