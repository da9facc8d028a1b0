"""A recorded run of the LLM pipelines on gold cards, and its replay at $0.

`record_run` scores rules, cheap and accurate on some gold cards (the evaluator's scoring), recording every HTTP
exchange per pipeline in `<folder>/<pipeline>/` (a core archive: requests are kept only as a hash of their
body, so no card text is stored with them). It writes `<folder>/gold.jsonl` (the labels of those cards) and
`<folder>/summary.json`: the figures, the token ledger, the fields the rules left to the LLM on each card, and
the LLM's own answers to them (`llm_answers`, on an empty builder, so they do not depend on the rules).
`llm_answers` with a replaying client (`LlmClient(replay=<folder>/<pipeline>)`) recomputes them offline.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from .builder import Builder
from .evaluate import load_gold, score_field
from .llm import LlmClient
from .pipelines import run_llm_stage, target_fields
from .rules import extract_rules
from .schema import to_plain

PIPELINES = ("cheap", "accurate")


def pick_cards(gold_path: Path, cards_dir: Path, n: int, split: str) -> list[dict]:
    """The first `n` gold rows of the split whose card file exists (in gold order)."""
    rows = [r for r in load_gold(gold_path) if split == "all" or r.get("split", "dev") == split]
    return [r for r in rows if (Path(cards_dir) / r["card"]).is_file()][:n]


def llm_answers(rows: list[dict], cards_dir: Path, pipeline: str, llm: LlmClient,
                fields: dict[str, list[str]]) -> tuple[dict, dict, list]:
    """What the LLM gives for `fields[card]` on an empty builder: {card: {field: [values]}}, the card
    metadata by card, and the error rows [card, kind]."""
    answers, metas, errors = {}, {}, []
    for row in rows:
        b = Builder((Path(cards_dir) / row["card"]).read_text(encoding="utf-8", errors="replace"))
        run_llm_stage(b, pipeline, llm, fields[row["card"]])
        answers[row["card"]] = {f: [to_plain(e.value) if e.state == "value" else "not_stated" for e in items]
                                for f, items in sorted(b.fields.items()) if items}
        errors += [[row["card"], kind] for kind, _ in b.errors]
        metas[row["card"]] = b.build()
    return answers, metas, errors


def _score(rows: list[dict], metas: dict, fields: dict[str, list[str]] | None = None) -> dict:
    """Accuracy / precision / coverage over the labelled fields of each card (only `fields[card]` if given)."""
    tot = {"labelled": 0, "filled": 0, "correct": 0, "stated": 0, "stated_correct": 0}
    for row in rows:
        meta = metas[row["card"]]
        for field in (fields[row["card"]] if fields else row["labels"]):
            if field not in row["labels"]:
                continue
            res = score_field(field, row["labels"][field], getattr(meta, field))
            tot["labelled"] += 1
            for k in ("filled", "correct", "stated", "stated_correct"):
                tot[k] += int(res[k])
    ratio = lambda a, b: round(a / b, 4) if b else None  # noqa: E731
    return {**tot, "accuracy": ratio(tot["correct"], tot["filled"]),
            "precision": ratio(tot["stated_correct"], tot["stated"]), "coverage": ratio(tot["filled"], tot["labelled"])}


def record_run(folder: Path, rows: list[dict], cards_dir: Path, client, model_info: dict,
               only: list[str] | None = None) -> dict:
    """`client(pipeline, record=...)` makes the live LlmClient of a pipeline. The LLM is asked the fields the
    rules left to it (only those in `only`, when given: a slow local model cannot answer all in time)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gold.jsonl").write_text("".join(json.dumps({k: r[k] for k in ("card", "hub_id", "split", "labels")
                                                           if k in r}, sort_keys=True) + "\n" for r in rows),
                                       encoding="utf-8")
    texts = {r["card"]: (Path(cards_dir) / r["card"]).read_text(encoding="utf-8", errors="replace") for r in rows}
    fields = {c: [f for f in target_fields(extract_rules(t)) if only is None or f in only] for c, t in texts.items()}
    rules = {c: extract_rules(t).build() for c, t in texts.items()}
    summary = {"model": model_info, "cards": [r["card"] for r in rows], "fields": fields, "only": only,
               "pipelines": {"rules": {"overall": _score(rows, rules)}}}
    for pipeline in PIPELINES:
        live = client(pipeline, record=folder / pipeline)
        t0 = time.perf_counter()
        metas = {}
        for c, t in texts.items():  # rules, then the LLM on what they left
            b = extract_rules(t)
            run_llm_stage(b, pipeline, live, fields[c])
            metas[c] = b.build()
        seconds = time.perf_counter() - t0
        # the LLM alone on those fields (the same prompts: answered from the client's cache)
        answers, alone, errors = llm_answers(rows, cards_dir, pipeline, live, fields)
        summary["pipelines"][pipeline] = {
            "overall": _score(rows, metas), "llm_only": _score(rows, alone, fields), "llm": live.ledger(),
            "seconds": round(seconds, 1), "latency_per_card_s": round(seconds / max(len(rows), 1), 1)}
        summary.setdefault("answers", {})[pipeline] = answers
        summary.setdefault("errors", {})[pipeline] = errors
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return summary


