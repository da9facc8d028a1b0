"""CPU time of this checkout's rules stage against another checkout's, in one process, card by card in turn.

    .venv/bin/python benchmarks/extract_ab.py OTHER_SRC [--limit N]

OTHER_SRC is the other checkout's `src` folder (e.g. main's). Its `peatmoss/cards` package is loaded beside this
one (as `peatmoss.cards_other`; both share this checkout's `peatmoss.core`), and each bulk card is extracted by
both, in alternating order, so that both meet the same load on a shared machine: the ratio of their CPU times is
fairer than that of two runs of extract_speed.py one after the other.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

from extract_speed import WARM_UP, bulk_cards

from peatmoss.cards import rules


def load_other(src: Path):
    """The other checkout's rules module."""
    cards = src / "peatmoss" / "cards"
    spec = importlib.util.spec_from_file_location("peatmoss.cards_other", cards / "__init__.py",
                                                  submodule_search_locations=[str(cards)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["peatmoss.cards_other"] = module
    spec.loader.exec_module(module)
    return importlib.import_module("peatmoss.cards_other.rules")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("other_src", type=Path)
    ap.add_argument("--limit", type=int)
    args = ap.parse_args(argv)
    if not (args.other_src / "peatmoss" / "cards" / "rules.py").is_file():
        print(f"no peatmoss/cards/rules.py under {args.other_src}: give the other checkout's src folder",
              file=sys.stderr)
        return 2
    cards = bulk_cards(args.limit)
    if cards is None:
        return 2
    other = load_other(args.other_src)
    for card_id, text in cards[:WARM_UP]:
        rules.extract_rules(text, hub_id=card_id)
        other.extract_rules(text, hub_id=card_id)
    spent = {"this": 0.0, "other": 0.0}
    for i, (card_id, text) in enumerate(cards):
        for name in (("this", "other") if i % 2 else ("other", "this")):
            fn = rules.extract_rules if name == "this" else other.extract_rules
            t0 = time.process_time()
            fn(text, hub_id=card_id)
            spent[name] += time.process_time() - t0
    n = len(cards)
    print(f"{n} cards: this checkout {spent['this']:.2f} s CPU = {n / spent['this']:.1f} cards/s per core; "
          f"{args.other_src}: {spent['other']:.2f} s = {n / spent['other']:.1f}; "
          f"ratio {spent['other'] / spent['this']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
