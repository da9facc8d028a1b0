"""`peatmoss eval extraction`: score a pipeline against the hand-labelled gold set.

Gold labels (JSONL, one card a line): {"card": file name, "hub_id", "stratum", "split", "labels": {field: answer},
"heldout_round": n}. split "dev" cards were also used for error analysis while writing the rules; "heldout" cards
were labelled after the rules of round n were frozen and never used to change them. A dev card with
"heldout_round" was held out in that round and moved to dev once its misses had been read.
An answer of null / [] / false means "not stated in the card"; a list given for a single-valued field lists
the acceptable answers; a field missing from "labels" was not labelled and is not scored.

Per field and overall:
- filled: the pipeline gave a value or "not stated" (an empty field is an abstention);
- accuracy = filled extractions that match the manual answer / filled extractions (the paper's definition,
  with "not stated" scored like a value); lists match when the canonical sets are equal;
- precision = correct stated values / stated values (list items counted one by one);
- coverage = filled / labelled; mean_f1 = set F1 of list fields over filled extractions.
"""

from __future__ import annotations

import gzip
import json
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

from peatmoss.core import astlock
from peatmoss.core.paths import shared_path

from . import normalize as nz
from .schema import LIST_FIELDS

BOOL_FIELDS = {"limitation_and_bias", "demo", "grant"}
NUM_FIELDS = {"parameter_count", "carbon_emitted"}
PAIR_FIELDS = {"hyper_parameters": "name", "evaluation": "metric"}  # list items {name|metric, value}


def default_gold() -> Path:
    return Path(str(resources.files("peatmoss.cards") / "gold" / "gold.jsonl"))


def default_cards_dir() -> Path | None:
    return shared_path("model_cards")


BULK = "bulk:"  # a gold card "bulk:<hub id>" is read from the Feb-2022 bulk file beside the cards folder
BULK_FILE = Path("model_cards_bulk") / "hf_model_cards_2022-02.jsonl.gz"


def bulk_cards(cards_dir: Path, ids: set[str]) -> dict[str, str]:
    path = cards_dir.parent / BULK_FILE
    if not ids or not path.exists():
        return {}
    out = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("id") in ids:
                out[rec["id"]] = rec.get("readme", "")
    return out


def load_gold(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# --------------------------------------------------------------------------- canonical keys


def keys(field: str, value: Any) -> set[str]:
    """Canonical keys of one answer or one extracted value (a match is a shared key)."""
    if value is None:
        return set()
    if isinstance(value, list):  # a gold item given as alternatives (one paper, two URLs)
        return set().union(*(keys(field, v) for v in value)) if value else set()
    if hasattr(value, "model_dump"):
        value = value.model_dump(exclude_none=True)
    if field == "license":
        return {nz.license_id(value) or ""}
    if field == "datasets":
        name = value["name"] if isinstance(value, dict) else value
        return {nz.name_key(str(name).split("/")[-1])}
    if field == "base_model":
        raw = value["id"] if isinstance(value, dict) else value
        return {nz.name_key(nz.hub_id(raw).split("/")[-1])}
    if field == "papers":
        if isinstance(value, dict):
            out = set()
            if value.get("url"):
                out.add(nz.url(value["url"]))
            if value.get("title"):
                out.add(nz.name_key(value["title"]))
            return out
        s = str(value)
        return {nz.url(s)} if s.startswith("http") else {nz.name_key(s)}
    if field == "github_repo":
        return {nz.github_repo(value) or str(value).lower()}
    if field == "hardware":
        name = value["name"] if isinstance(value, dict) else value
        return {nz.hardware_key(name)}
    if field == "libraries":
        return {nz.library(value) or str(value).lower()}
    if field == "frameworks":
        return {nz.framework(value) or str(value).strip().lower()}
    if field in ("language", "model_task", "domain", "rl_agent", "rl_environment"):
        return {str(value).strip().lower()}
    return {str(value).strip().lower()}


def _num_match(a: Any, b: Any) -> bool:
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return False
    return abs(a - b) <= 0.01 * max(abs(a), abs(b), 1e-9)


def _hw_match(pred: set[str], gold: set[str]) -> bool:
    return any(p.startswith(g) or g.startswith(p) for p in pred for g in gold)


def _pair(value: Any, name: str) -> tuple[set[str], Any]:
    """(name keys, value) of a hyper-parameter / result; a gold name may list alternatives (a metric's name and type)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump(exclude_none=True)
    names = value.get(name, "")
    return {nz.name_key(n) for n in (names if isinstance(names, list) else [names])}, value.get("value")


def _same_value(a: Any, b: Any) -> bool:
    """Numbers within 1 % (a fraction and its percentage agree); otherwise the same text without spaces."""
    try:
        fa, fb = float(str(a).strip().rstrip("%")), float(str(b).strip().rstrip("%"))
        return any(_num_match(fa * k, fb) for k in (1, 100, 0.01))
    except ValueError:
        return str(a).replace(" ", "").lower() == str(b).replace(" ", "").lower()


def _item_match(field: str, pred_value: Any, gold_value: Any) -> bool:
    if field in NUM_FIELDS:
        return _num_match(pred_value, gold_value)
    if field in PAIR_FIELDS:  # the same name (metric) and the same value
        (pn, pv), (gn, gv) = _pair(pred_value, PAIR_FIELDS[field]), _pair(gold_value, PAIR_FIELDS[field])
        return bool(pn & gn) and _same_value(pv, gv)
    pk, gk = keys(field, pred_value), keys(field, gold_value)
    if field == "hardware":
        return _hw_match(pk, gk)
    return bool(pk & gk)


# --------------------------------------------------------------------------- scoring


def score_field(field: str, gold: Any, items: list) -> dict:
    """Score one field of one card. items: the extracted entries (state, value)."""
    values = [e.value for e in items if e.state == "value"]
    not_stated = any(e.state == "not_stated" for e in items) and not values
    filled = bool(values) or not_stated
    out = {"filled": filled, "correct": False, "stated": 0, "stated_correct": 0, "f1": None}
    if not filled:
        return out
    if field in BOOL_FIELDS:
        out["correct"] = (bool(values) == bool(gold))
        out["stated"] = 1 if values else 0
        out["stated_correct"] = 1 if values and gold else 0
        return out
    if field in LIST_FIELDS:
        gold_items = gold or []
        if not_stated:
            out["correct"] = not gold_items
            out["f1"] = 1.0 if not gold_items else 0.0
            return out
        tp_pred = sum(1 for v in values if any(_item_match(field, v, g) for g in gold_items))
        tp_gold = sum(1 for g in gold_items if any(_item_match(field, v, g) for v in values))
        p = tp_pred / len(values)
        r = tp_gold / len(gold_items) if gold_items else 0.0
        out["f1"] = 2 * p * r / (p + r) if p + r else 0.0
        out["correct"] = tp_pred == len(values) and tp_gold == len(gold_items)
        out["stated"], out["stated_correct"] = len(values), tp_pred
        return out
    answers = gold if isinstance(gold, list) else [gold]
    answers = [a for a in answers if a is not None]
    if not_stated:
        out["correct"] = not answers
        return out
    # a single-valued field: the most confident value is the answer
    best = max((e for e in items if e.state == "value"), key=lambda e: e.confidence).value
    ok = any(_item_match(field, best, a) for a in answers)
    out.update(correct=ok, stated=1, stated_correct=int(ok))
    return out


def evaluate_pipeline(gold_path: Path, cards_dir: Path, pipeline: str = "rules", llm=None,
                      split: str | None = None) -> dict:
    """Score one pipeline; `split` keeps only the gold rows of that split (dev | heldout)."""
    from . import extract_card

    gold = [r for r in load_gold(gold_path) if split in (None, "all") or r.get("split", "dev") == split]
    per_field: dict[str, dict] = {}
    t0 = time.perf_counter()
    missing = []
    present = []
    bulk = bulk_cards(Path(cards_dir), {r["card"][5:] for r in gold if r["card"].startswith(BULK)})
    for row in gold:
        path = Path(cards_dir) / row["card"]
        if row["card"].startswith(BULK) and row["card"][5:] in bulk:
            present.append((row, bulk[row["card"][5:]]))
        elif path.exists():
            present.append((row, path.read_text(encoding="utf-8", errors="replace")))
        else:
            missing.append(row["card"])

    def one(item):
        return extract_card(item[1], hub_id=item[0].get("hub_id"), pipeline=pipeline, llm=llm)

    workers = llm.concurrency if llm is not None else 1
    if workers > 1:
        astlock.install()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        metas = list(pool.map(one, present))
    for (row, _), meta in zip(present, metas):
        for field, answer in row["labels"].items():
            res = score_field(field, answer, getattr(meta, field))
            agg = per_field.setdefault(field, {"labelled": 0, "filled": 0, "correct": 0, "stated": 0,
                                               "stated_correct": 0, "f1_sum": 0.0, "f1_n": 0})
            agg["labelled"] += 1
            agg["filled"] += res["filled"]
            agg["correct"] += res["correct"]
            agg["stated"] += res["stated"]
            agg["stated_correct"] += res["stated_correct"]
            if res["f1"] is not None:
                agg["f1_sum"] += res["f1"]
                agg["f1_n"] += 1
    seconds = time.perf_counter() - t0
    fields = {}
    tot = {"labelled": 0, "filled": 0, "correct": 0, "stated": 0, "stated_correct": 0}
    for field, a in sorted(per_field.items()):
        for k in tot:
            tot[k] += a[k]
        fields[field] = {
            "labelled": a["labelled"], "filled": a["filled"], "correct": a["correct"],
            "accuracy": _ratio(a["correct"], a["filled"]), "precision": _ratio(a["stated_correct"], a["stated"]),
            "coverage": _ratio(a["filled"], a["labelled"]),
            "mean_f1": round(a["f1_sum"] / a["f1_n"], 4) if a["f1_n"] else None}
    cards = len(gold) - len(missing)
    result = {
        "pipeline": pipeline, "split": split or "all", "cards": cards, "missing_cards": missing, "fields": fields,
        "overall": {"labelled": tot["labelled"], "filled": tot["filled"], "correct": tot["correct"],
                    "accuracy": _ratio(tot["correct"], tot["filled"]),
                    "precision": _ratio(tot["stated_correct"], tot["stated"]),
                    "coverage": _ratio(tot["filled"], tot["labelled"]),
                    "accuracy_all_labelled": _ratio(tot["correct"], tot["labelled"])},
        "seconds": round(seconds, 3), "latency_per_card_s": round(seconds / cards, 4) if cards else None,
        "cost_usd": 0.0, "cost_per_model_usd": 0.0,
    }
    if llm is not None:
        ledger = llm.ledger()
        result.update(cost_usd=ledger["cost_usd"], cost_per_model_usd=round(ledger["cost_usd"] / cards, 6) if cards
                      else None, llm=ledger)
    return result


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 4) if b else None


def render(res: dict) -> str:
    lines = [f"pipeline {res['pipeline']}: {res['cards']} gold cards (split {res['split']}), {res['seconds']} s "
             f"({res['latency_per_card_s']} s/card), cost ${res['cost_usd']:.4f} "
             f"(${res['cost_per_model_usd']:.5f}/model)"]
    lines.append(f"{'field':22} {'labelled':>8} {'filled':>6} {'correct':>7} {'accuracy':>8} {'precision':>9} "
                 f"{'coverage':>8} {'mean_f1':>7}")

    def fmt(v):
        return "-" if v is None else f"{v:.3f}"

    for field, f in res["fields"].items():
        lines.append(f"{field:22} {f['labelled']:>8} {f['filled']:>6} {f['correct']:>7} {fmt(f['accuracy']):>8} "
                     f"{fmt(f['precision']):>9} {fmt(f['coverage']):>8} {fmt(f['mean_f1']):>7}")
    o = res["overall"]
    lines.append(f"{'OVERALL':22} {o['labelled']:>8} {o['filled']:>6} {o['correct']:>7} {fmt(o['accuracy']):>8} "
                 f"{fmt(o['precision']):>9} {fmt(o['coverage']):>8}")
    lines.append(f"accuracy over all labelled answers (abstentions counted wrong): {fmt(o['accuracy_all_labelled'])}")
    return "\n".join(lines)
