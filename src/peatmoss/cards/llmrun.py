"""A recorded run of the LLM pipelines on gold cards, and its replay at $0.

`record_run` scores rules, cheap and accurate on some gold cards with the evaluator, recording every HTTP
exchange per pipeline in `<folder>/<pipeline>/` (a core archive: requests are kept only as a hash of their
body, so no card text is stored with them). It writes `<folder>/gold.jsonl` (the labels of those cards) and
`<folder>/summary.json`: the figures, the token ledger, the fields the rules left to the LLM on each card, and
the LLM's own answers to them (`llm_answers`, on an empty builder, so they do not depend on the rules).
`llm_answers(..., replay=...)` recomputes those answers offline from the archive.
"""

from __future__ import annotations

import json
from pathlib import Path

from .builder import Builder
from .evaluate import evaluate_pipeline, load_gold, score_field
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


def _score_answers(rows: list[dict], metas: dict, fields: dict[str, list[str]]) -> dict:
    """Accuracy / precision / coverage of the LLM alone on the fields it was asked (and that are labelled)."""
    tot = {"labelled": 0, "filled": 0, "correct": 0, "stated": 0, "stated_correct": 0}
    for row in rows:
        meta = metas[row["card"]]
        for field in fields[row["card"]]:
            if field not in row["labels"]:
                continue
            res = score_field(field, row["labels"][field], getattr(meta, field))
            tot["labelled"] += 1
            for k in ("filled", "correct", "stated", "stated_correct"):
                tot[k] += int(res[k])
    ratio = lambda a, b: round(a / b, 4) if b else None  # noqa: E731
    return {**tot, "accuracy": ratio(tot["correct"], tot["filled"]),
            "precision": ratio(tot["stated_correct"], tot["stated"]), "coverage": ratio(tot["filled"], tot["labelled"])}


def record_run(folder: Path, rows: list[dict], cards_dir: Path, client, model_info: dict) -> dict:
    """`client(pipeline, record=..., replay=...)` makes the LlmClient of a pipeline (live or replaying)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    gold = folder / "gold.jsonl"
    gold.write_text("".join(json.dumps({k: r[k] for k in ("card", "hub_id", "split", "labels") if k in r},
                                       sort_keys=True) + "\n" for r in rows), encoding="utf-8")
    fields = {r["card"]: target_fields(extract_rules((Path(cards_dir) / r["card"]).read_text(
        encoding="utf-8", errors="replace"))) for r in rows}
    summary = {"model": model_info, "cards": [r["card"] for r in rows], "fields": fields, "pipelines": {}}
    summary["pipelines"]["rules"] = _figures(evaluate_pipeline(gold, cards_dir, "rules"))
    for pipeline in PIPELINES:
        live = client(pipeline, record=folder / pipeline)
        res = evaluate_pipeline(gold, cards_dir, pipeline, live)
        figures = _figures(res)
        figures["llm"] = res["llm"]
        # the LLM alone on the fields the rules left to it (the same prompts: answered from the client's cache)
        answers, metas, errors = llm_answers(rows, cards_dir, pipeline, live, fields)
        figures["llm_only"] = _score_answers(rows, metas, fields)
        figures["ledger_after_llm_only"] = live.ledger()
        summary["pipelines"][pipeline] = figures
        summary.setdefault("answers", {})[pipeline] = answers
        summary.setdefault("errors", {})[pipeline] = errors
    (folder / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True, default=str) + "\n",
                                         encoding="utf-8")
    return summary


def _figures(res: dict) -> dict:
    return {"overall": res["overall"], "seconds": res["seconds"], "latency_per_card_s": res["latency_per_card_s"],
            "cards": res["cards"]}
