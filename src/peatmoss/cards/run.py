"""Run an extraction pipeline over the cards in the database and write `card_field` / `model_edge` rows."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from collections import Counter

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from peatmoss.db import session_scope
from peatmoss.db.models import CardField, CollectionError, CollectionRun, Model, ModelCard, Tag, model_to_tag
from peatmoss.core import astlock
from peatmoss.core.runs import finish_run, mark_interrupted, record_error, start_run

from .builder import Builder
from .edges import write_edges
from .rules import extract_rules
from .schema import to_plain, value_text

log = logging.getLogger(__name__)
REVIEW_THRESHOLD = 0.7
MAX_CARD_CHARS = 2_000_000
BATCH = 200


def card_problem(text: str) -> str | None:
    """Why a card cannot be read as text (binary junk), or None."""
    if "\x00" in text:
        return "card contains NUL bytes (binary)"
    sample = text[:4096]
    if sample:
        bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t") or ch == "\ufffd")
        if bad / len(sample) > 0.1:
            return "card is not text (control or undecodable characters)"
    return None


def _yaml_text(card_data: dict) -> str:
    try:
        return "---\n" + yaml.safe_dump(card_data, sort_keys=False, allow_unicode=True) + "---\n"
    except yaml.YAMLError:
        return ""


def _tags(session: Session, model: Model) -> list[str]:
    rows = session.scalars(select(Tag.name).join(model_to_tag, model_to_tag.c.tag_id == Tag.id)
                           .where(model_to_tag.c.model_id == model.id)).all()
    extra = [model.pipeline_tag, model.library_name]
    return list(rows) + [t for t in extra if t]


def to_rows(meta, *, model_id: int, card_id: int | None, run_id: int | None, pipeline: str,
            threshold: float = REVIEW_THRESHOLD, offsets: bool = True) -> list[CardField]:
    rows = []
    for field, items in meta:
        for i, e in enumerate(items):
            rows.append(CardField(
                model_id=model_id, card_id=card_id, run_id=run_id, pipeline=pipeline, field=field, item_index=i,
                state=e.state, value=to_plain(e.value), value_text=value_text(e.value), source=e.source,
                evidence_start=e.evidence_start if offsets else None,
                evidence_end=e.evidence_end if offsets else None, evidence_text=e.evidence_text,
                confidence=e.confidence, flagged=e.flagged, flag_reason=e.flag_reason,
                review_status="pending" if e.state == "value" and (e.confidence < threshold or e.flagged) else None))
    return rows


def _select_models(session: Session, models: list[str] | None, limit: int | None):
    latest = (select(ModelCard.model_id, func.max(ModelCard.id).label("card_id"))
              .group_by(ModelCard.model_id).subquery())
    q = (select(Model, latest.c.card_id).outerjoin(latest, latest.c.model_id == Model.id).order_by(Model.id))
    if models:
        q = q.where(func.lower(Model.hub_id).in_([m.lower() for m in models]))
    if limit:
        q = q.limit(limit)
    return session.execute(q).all()


def extract_models(url: str, pipeline: str = "rules", models: list[str] | None = None, limit: int | None = None,
                   llm=None, threshold: float = REVIEW_THRESHOLD, dask: str | None = None) -> dict:
    """Extract every selected model's latest card (or its card_data YAML when no card text is stored).

    `dask` (a scheduler address, or "local"): run the rules on Dask workers; LLM pipelines keep their
    thread pool (their calls wait on the network). This process stays the only writer."""
    if pipeline != "rules" and llm is None:
        raise ValueError(f"pipeline {pipeline!r} needs an LLM client")
    stats: Counter = Counter()
    key = ",".join(models or [])[:200]
    with session_scope(url) as session:
        mark_interrupted(session, "extract", pipeline)  # runs killed earlier: no longer "running"
        done = _done_by_interrupted(session, pipeline, key)
        run = start_run(session, "extract", pipeline, key=key,
                        params={"pipeline": pipeline, "models": models, "limit": limit}, resume=False)
        run_id = run.id
        pairs = [(m.id, m.hub_id, card_id) for m, card_id in _select_models(session, models, limit)]
        kept = [p for p in pairs if p[0] not in done[0] and p[1] not in done[1]]
        if len(kept) < len(pairs):
            stats["done_by_interrupted_runs"] = len(pairs) - len(kept)
        pairs = kept
    workers = llm.concurrency if llm is not None else 1
    with _client(dask if llm is None else None) as client:
        for start in range(0, len(pairs), BATCH):
            batch = pairs[start:start + BATCH]
            with session_scope(url) as session:  # 1. read the cards
                inputs = [_read(session, run_id, model_id, hub_id, card_id, stats)
                          for model_id, hub_id, card_id in batch]
            jobs = [x for x in inputs if x is not None]
            if client is not None:  # 2. extract, outside any transaction
                results = _extract_on_dask(client, jobs, pipeline)
            else:
                if workers > 1:
                    astlock.install()
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    results = list(pool.map(lambda job: _extract(job, pipeline, llm), jobs))
            with session_scope(url) as session:  # 3. write
                for job, (builder, exc) in zip(jobs, results):
                    if exc is not None:
                        record_error(session, run_id, "extract", job["hub_id"], "extract_failed",
                                     f"{type(exc).__name__}: {exc}")
                        stats["errors"] += 1
                        continue
                    _write(session, run_id, job, builder, pipeline, threshold, stats)
            if llm is not None and llm.over_budget():
                stats["stopped_at_budget"] = 1
                break
    with session_scope(url) as session:
        run = session.get(CollectionRun, run_id)
        run.items_done = stats["cards"]
        if llm is not None:
            run.params = {**(run.params or {}), **llm.ledger()}
        finish_run(session, run, "complete" if not stats["stopped_at_budget"] else "failed")
    stats["run_id"] = run_id
    if llm is not None:
        stats.update({k: v for k, v in llm.ledger().items() if isinstance(v, (int, float))})
    return dict(stats)


def _done_by_interrupted(session: Session, pipeline: str, key: str) -> tuple[set[int], set[str]]:
    """Models that interrupted runs (since the last complete one of this pipeline and selection) already
    wrote fields or error rows for: the next run goes on after them, so nothing is written twice."""
    runs = CollectionRun.__table__
    last = session.scalar(select(func.max(runs.c.id)).where(
        runs.c.stage == "extract", runs.c.source == pipeline, runs.c.key == key, runs.c.status == "complete")) or 0
    ids = session.scalars(select(runs.c.id).where(
        runs.c.stage == "extract", runs.c.source == pipeline, runs.c.key == key, runs.c.status == "interrupted",
        runs.c.id > last)).all()
    if not ids:
        return set(), set()
    fields = set(session.scalars(select(CardField.model_id).where(CardField.run_id.in_(ids)).distinct()))
    errors = set(session.scalars(select(CollectionError.item).where(CollectionError.run_id.in_(ids)).distinct()))
    return fields, errors


def _read(session: Session, run_id: int, model_id: int, hub_id: str, card_id: int | None,
          stats: Counter) -> dict | None:
    model = session.get(Model, model_id)
    text, from_card = "", True
    if card_id is not None:
        text = session.get(ModelCard, card_id).text or ""
    if not text.strip() and model.card_data:
        text, from_card = _yaml_text(model.card_data), False
    if not text.strip():
        stats["no_card"] += 1
        return None
    problem = card_problem(text)
    if problem:
        record_error(session, run_id, "extract", hub_id, "binary_card", problem)
        stats["errors"] += 1
        return None
    if len(text) > MAX_CARD_CHARS:
        record_error(session, run_id, "extract", hub_id, "card_truncated", f"card of {len(text)} chars cut")
        text = text[:MAX_CARD_CHARS]
    return {"model_id": model_id, "hub_id": hub_id, "card_id": card_id if from_card else None, "text": text,
            "offsets": from_card, "tags": _tags(session, model)}


@contextlib.contextmanager
def _client(dask: str | None):
    if not dask:
        yield None
        return
    from peatmoss.execution import dask_client

    with dask_client(dask, workers=os.cpu_count() or 1) as client:
        yield client


def _extract_on_dask(client, jobs: list[dict], pipeline: str) -> list:
    """`_extract` of every job on the Dask workers, in the order of `jobs`."""
    from peatmoss.execution import Unit, run_units

    done = {d.key: d for d in run_units([Unit(str(job["model_id"]), (job, pipeline, None)) for job in jobs],
                                        _extract, executor="dask", dask_address=client)}
    out = []
    for job in jobs:
        d = done[str(job["model_id"])]
        out.append(d.value if d.ok else (None, RuntimeError(f"{d.error}: {d.message}")))
    return out


def _extract(job: dict, pipeline: str, llm) -> tuple[Builder | None, Exception | None]:
    try:
        builder = extract_rules(job["text"], job["tags"], hub_id=job["hub_id"])
        if pipeline != "rules":
            from .pipelines import run_llm_stage
            run_llm_stage(builder, pipeline, llm)
        return builder, None
    except Exception as exc:  # one bad card must not stop the run
        log.exception("extraction failed for %s", job["hub_id"])
        return None, exc


def _write(session: Session, run_id: int, job: dict, builder: Builder, pipeline: str, threshold: float,
           stats: Counter) -> None:
    model_id = job["model_id"]
    for kind, message in builder.errors:
        record_error(session, run_id, "extract", job["hub_id"], kind, message)
        stats["errors"] += 1
    meta = builder.build()
    session.execute(delete(CardField).where(CardField.model_id == model_id, CardField.pipeline == pipeline,
                                            CardField.review_status.is_(None) | (CardField.review_status == "pending")))
    rows = to_rows(meta, model_id=model_id, card_id=job["card_id"], run_id=run_id, pipeline=pipeline,
                   threshold=threshold, offsets=job["offsets"])
    reviewed = {(r.field, r.state, json.dumps(r.value, sort_keys=True)) for r in session.scalars(
        select(CardField).where(CardField.model_id == model_id, CardField.pipeline == pipeline))}
    rows = [r for r in rows if (r.field, r.state, json.dumps(r.value, sort_keys=True)) not in reviewed]
    session.add_all(rows)
    stats["cards"] += 1
    stats["fields"] += len(rows)
    stats["edges"] += write_edges(session, session.get(Model, model_id), meta, run_id)
