"""Throughput of the rules stage over the Feb-2022 bulk cards, and a Figure-7-style availability table.

    .venv/bin/python benchmarks/extract_speed.py [--limit N] [--json OUT]

Reads model_cards_bulk/hf_model_cards_2022-02.jsonl.gz of the shared data (peatmoss.core.paths), runs
`extract_rules` on every card in one process (so cards/s is per core), and prints the CPU time of the slowest
cards (target: none over 50 ms) and, per field, the share of cards for which the rules found a value
("available", as in the paper's Figure 7) and the share they recorded as "not stated".
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path

from peatmoss.cards.normalize import license_id
from peatmoss.cards.rules import extract_rules
from peatmoss.cards.schema import FIELDS
from peatmoss.core.paths import PathError, require_shared


def bulk_path() -> Path:
    return require_shared("model_cards_bulk", "hf_model_cards_2022-02.jsonl.gz")


def load(path: Path, limit: int | None) -> list[tuple[str, str]]:
    cards = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("readme", "").strip():
                cards.append((rec.get("id", "?"), rec["readme"]))
            if limit and len(cards) >= limit:
                break
    return cards


def bulk_cards(limit: int | None) -> list[tuple[str, str]] | None:
    """(id, card text) of the bulk file's non-empty cards, or None (said on stderr) when the file is missing."""
    try:
        path = bulk_path()
    except PathError as exc:
        print(exc, file=sys.stderr)
        return None
    if not path.exists():
        print(f"bulk card file not found: {path}", file=sys.stderr)
        return None
    return load(path, limit)


WARM_UP = 50  # cards extracted once, untimed, before the timed pass over all cards


def run(cards: list[tuple[str, str]]) -> dict:
    w0 = time.process_time()
    for card_id, text in cards[:WARM_UP]:
        extract_rules(text, hub_id=card_id)
    license_id("CC BY 4.0")  # builds the license-expression tokenizer (first use only)
    warm_up = time.process_time() - w0
    value, not_stated, errors = Counter(), Counter(), Counter()
    rows = 0
    slow: list[tuple[float, str, int]] = []
    t0, c0 = time.perf_counter(), time.process_time()
    for card_id, text in cards:
        s0 = time.process_time()
        b = extract_rules(text, hub_id=card_id)
        slow.append((time.process_time() - s0, card_id, len(text)))
        for field, items in b.fields.items():
            if any(e.state == "value" for e in items):
                value[field] += 1
            elif items:
                not_stated[field] += 1
            rows += len(items)
        for kind, _ in b.errors:
            errors[kind] += 1
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    n = len(cards)
    slow.sort(reverse=True)
    return {
        "cards": n, "warm_up_ms": round(warm_up * 1000, 1), "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
        "cards_per_s_per_core": round(n / cpu, 1), "cards_per_s_wall": round(n / seconds, 1),
        "slowest": [{"id": i, "bytes": size, "ms": round(sec * 1000, 1)} for sec, i, size in slow[:5]],
        "over_50ms": sum(1 for sec, _, _ in slow if sec > 0.05),
        "field_values": rows, "errors": dict(errors),
        "availability": {f: {"available": round(value[f] / n, 4), "not_stated": round(not_stated[f] / n, 4)}
                         for f in FIELDS},
    }


def render(res: dict) -> str:
    out = [f"rules stage: {res['cards']} cards, {res['cpu_seconds']} s CPU = {res['cards_per_s_per_core']} cards/s "
           f"per core ({res['seconds']} s wall = {res['cards_per_s_wall']} cards/s on this shared machine); "
           f"{res['field_values']} field values; error rows by kind: {res['errors']}; "
           f"untimed warm-up (one-off set-up + {WARM_UP} cards): {res['warm_up_ms']} ms CPU",
           f"slowest card {res['slowest'][0]['ms']} ms CPU ({res['slowest'][0]['id']}, {res['slowest'][0]['bytes']} bytes); "
           f"cards over 50 ms: {res['over_50ms']}; next slowest: "
           + ", ".join(f"{s['ms']} ms ({s['id']})" for s in res['slowest'][1:]),
           "", "Figure-7-style availability (share of cards)", f"{'field':22} {'available':>9} {'not stated':>10}"]
    for field, a in sorted(res["availability"].items(), key=lambda kv: -kv[1]["available"]):
        out.append(f"{field:22} {a['available'] * 100:8.1f}% {a['not_stated'] * 100:9.1f}%")
    return "\n".join(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int)
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = ap.parse_args(argv)
    cards = bulk_cards(args.limit)
    if cards is None:
        return 2
    res = run(cards)
    print(render(res))
    if args.json:
        args.json.write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
