"""Canonical JSON dump of the rules stage over the Feb-2022 bulk cards, to compare two commits byte for byte.

    .venv/bin/python benchmarks/extract_same.py OUT.json [--limit N]
    cmp /tmp/before.json /tmp/after.json

Per card id: every field's entries in the order the extractor returns them (state, value, source, evidence span
and text, confidence, flag), its error rows and notes. A speed change to the rules must leave this file unchanged.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from extract_speed import bulk_cards

from peatmoss.cards.rules import extract_rules


def dump_card(text: str, card_id: str) -> dict:
    b = extract_rules(text, hub_id=card_id)
    fields = {f: [e.model_dump(mode="json") for e in items] for f, items in sorted(b.fields.items()) if items}
    return {"fields": fields, "errors": [list(e) for e in b.errors], "notes": b.notes}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--limit", type=int)
    args = ap.parse_args(argv)
    cards = bulk_cards(args.limit)
    if cards is None:
        return 2
    out = {card_id: dump_card(text, card_id) for card_id, text in cards}
    args.out.write_text(json.dumps(out, sort_keys=True, indent=0, default=str, ensure_ascii=False))
    print(f"{len(out)} cards -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
