"""Read what the report needs from the database into pandas frames (aggregating in SQL where it can)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from .domains import sql_model_domains


def require_db(url: str) -> None:
    """Refuse a SQLite path that does not exist (connecting would create an empty file)."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        if not Path(parsed.database).exists():
            raise FileNotFoundError(f"no database at {parsed.database}")


def to_datetime(col: pd.Series) -> pd.Series:
    """SQLite gives ISO strings, PostgreSQL datetimes: both become UTC timestamps (bad values -> NaT)."""
    return pd.to_datetime(col, utc=True, errors="coerce", format="ISO8601")


def month(col: pd.Series) -> pd.Series:
    return col.dt.tz_convert(None).dt.to_period("M").dt.to_timestamp()


def frame(engine: Engine, sql: str, **params) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


@dataclass
class Data:
    """Everything the figures draw from; each frame may be empty."""

    hubs: list[str]
    models: pd.DataFrame  # id, hub, created_at (+ created_source), pipeline_tag, parameter_count (+ size_source), downloads, has_snapshot, domain
    snapshots: pd.DataFrame  # run_id, hub, snapshot_date, label
    stats: pd.DataFrame  # run_id, hub, downloads, n: how many models of the snapshot had that download count
    links: pd.DataFrame  # repository_id, model_id, library (current links)
    repositories: int
    edges: pd.DataFrame  # total, with_parent
    card_fields: pd.DataFrame  # pipeline, field, models_stated, models_extracted
    verdicts: pd.DataFrame  # rules, upstream, downstream, verdict, n
    snapshot_licenses: pd.DataFrame  # run_id, license, models
    missing_tables: list[str] = field(default_factory=list)


NEEDED = ("registry", "model", "model_version", "collection_run", "model_stats", "model_reuse", "reuse_repository",
          "model_edge", "card_field", "license_verdict", "license", "model_to_license",
          "pytorch_hub_entry", "pytorch_hub_page", "tag", "model_to_tag")


def _models(engine: Engine) -> pd.DataFrame:
    m = frame(engine, f"""
        SELECT m.id, r.name AS hub, m.created_at, v.first_commit, m.pipeline_tag, m.parameter_count,
               c.card_parameters, m.downloads, m.has_snapshot, d.domain
        FROM model m JOIN registry r ON r.id = m.registry_id JOIN ({sql_model_domains()}) d ON d.model_id = m.id
        LEFT JOIN (SELECT model_id, MIN(created_at) AS first_commit FROM model_version GROUP BY model_id) v
               ON v.model_id = m.id
        LEFT JOIN (SELECT model_id, MAX(value_text) AS card_parameters FROM card_field
                   WHERE field = 'parameter_count' AND state = 'value' GROUP BY model_id) c ON c.model_id = m.id""")
    # creation date: the hub's, else the first commit; size: the hub's count, else the card's (sources kept)
    api, first = to_datetime(m.pop("created_at")), to_datetime(m.pop("first_commit"))
    m["created_at"] = api.fillna(first)
    m["created_source"] = np.where(api.notna(), "hub API", np.where(first.notna(), "first commit", "none"))
    hub_size = pd.to_numeric(m.pop("parameter_count"), errors="coerce").where(lambda x: x > 0)
    card_size = pd.to_numeric(m.pop("card_parameters"), errors="coerce").where(lambda x: x > 0)
    m["parameter_count"] = hub_size.fillna(card_size)
    m["size_source"] = np.where(hub_size.notna(), "hub API", np.where(card_size.notna(), "model card", "none"))
    m["downloads"] = pd.to_numeric(m["downloads"], errors="coerce")
    m["has_snapshot"] = m["has_snapshot"].fillna(False).astype(bool)
    return m


def load(engine: Engine) -> Data:
    present = set(inspect(engine).get_table_names())
    missing = [t for t in NEEDED if t not in present]
    if missing:
        raise RuntimeError(f"the database lacks tables {missing}: run `peatmoss db upgrade` (or init_db) first")
    hubs = frame(engine, "SELECT name FROM registry ORDER BY name")["name"].tolist()
    models = _models(engine)
    snapshots = frame(engine, """
        SELECT c.id AS run_id, r.name AS hub, c.snapshot_date, c.started_at
        FROM collection_run c LEFT JOIN registry r ON r.id = c.registry_id
        WHERE c.stage = 'collect' ORDER BY c.id""")
    snapshots["snapshot_date"] = to_datetime(snapshots["snapshot_date"]).fillna(to_datetime(snapshots["started_at"]))
    snapshots["label"] = [
        f"{d:%Y-%m-%d}" if pd.notna(d) else f"run {i}" for i, d in zip(snapshots["run_id"], snapshots["snapshot_date"])
    ]
    # a histogram, not one row per model and snapshot: exact for counts, sums and top-k, and far smaller
    stats = frame(engine, """
        SELECT s.run_id, m.registry_id, s.downloads, COUNT(*) AS n
        FROM model_stats s JOIN model m ON m.id = s.model_id
        GROUP BY s.run_id, m.registry_id, s.downloads""")
    registry_names = dict(frame(engine, "SELECT id, name FROM registry").itertuples(index=False))
    stats = stats.assign(hub=stats.pop("registry_id").map(registry_names),
                         downloads=pd.to_numeric(stats["downloads"], errors="coerce"))
    links = frame(engine, """
        SELECT repository_id, model_id, library FROM model_reuse WHERE is_current = TRUE""")
    repositories = int(frame(engine, "SELECT COUNT(*) AS n FROM reuse_repository")["n"].iloc[0])
    edges = frame(engine, "SELECT COUNT(*) AS total, COUNT(parent_id) AS with_parent FROM model_edge")
    card_fields = frame(engine, """
        SELECT f.pipeline, f.field,
               COUNT(DISTINCT CASE WHEN f.state = 'value' THEN f.model_id END) AS models_stated,
               t.models AS models_extracted
        FROM card_field f
        JOIN (SELECT pipeline, COUNT(DISTINCT model_id) AS models FROM card_field GROUP BY pipeline) t
          ON t.pipeline = f.pipeline
        GROUP BY f.pipeline, f.field, t.models""")
    verdicts = frame(engine, """
        SELECT rules, COALESCE(upstream_license, 'unknown') AS upstream,
               COALESCE(downstream_license, 'unknown') AS downstream, verdict, COUNT(*) AS n
        FROM license_verdict WHERE kind = 'dependency' GROUP BY rules, COALESCE(upstream_license, 'unknown'),
               COALESCE(downstream_license, 'unknown'), verdict""")
    snapshot_licenses = frame(engine, """
        SELECT s.run_id, ml.license_id, COUNT(*) AS models
        FROM model_stats s LEFT JOIN model_to_license ml ON ml.model_id = s.model_id
        GROUP BY s.run_id, ml.license_id""")
    names = frame(engine, "SELECT id, COALESCE(spdx_expression, name) AS license FROM license")
    lookup = dict(names.itertuples(index=False))
    snapshot_licenses["license"] = [lookup.get(i, "none") for i in snapshot_licenses.pop("license_id")]
    snapshot_licenses = snapshot_licenses.groupby(["run_id", "license"], as_index=False)["models"].sum()
    return Data(hubs=hubs, models=models, snapshots=snapshots, stats=stats, links=links,
                repositories=repositories, edges=edges, card_fields=card_fields, verdicts=verdicts,
                snapshot_licenses=snapshot_licenses)
