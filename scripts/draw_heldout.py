"""Draw a held-out split of model cards for labelling, after the rules of a round are frozen.

    python scripts/draw_heldout.py --seed 20261203 --out draw.json [--files 20] \
        [--bulk computer-vision=3,audio=3,multimodal=2,reinforcement-learning=2,tabular=2]

Draws, with a fixed seed, (1) `--files` cards among the files of `model_cards/` that are not in the gold set and at
most `--max-file-bytes` long, and (2) per domain, the given number of cards of the Feb-2022 bulk file that are not
in the gold set, not the card of a `model_cards/` file, and at most `--max-bulk-bytes` long. A card's domain comes
from its front matter only (`pipeline_tag`, else a task tag, else an RL library or tag): the extractor never runs on
the drawn cards and nothing of their text is printed. Writes a JSON list of {"card", "hub_id", "stratum"} in the
gold set's naming ("bulk:<hub id>" for bulk cards).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

from peatmoss.cards.evaluate import BULK, BULK_FILE, default_gold, load_gold
from peatmoss.cards.normalize import TASK_DOMAIN, task
from peatmoss.core.frontmatter import split_front_matter
from peatmoss.core.paths import PathError, require_shared

_RL_MARKS = {"reinforcement-learning", "stable-baselines3", "ml-agents", "sample-factory", "deep-reinforcement-learning"}


def domain(text: str) -> str | None:
    """The card's domain from its front matter (pipeline_tag, a task tag, an RL library or tag), or None."""
    data = split_front_matter(text).data or {}
    tags = [str(t).strip().lower() for t in data.get("tags") or [] if isinstance(t, (str, int))]
    if isinstance(data.get("pipeline_tag"), str) and task(data["pipeline_tag"]) in TASK_DOMAIN:
        return TASK_DOMAIN[task(data["pipeline_tag"])]
    if _RL_MARKS & ({str(data.get("library_name") or "").lower()} | set(tags)):
        return "reinforcement-learning"
    for t in tags:
        if task(t) in TASK_DOMAIN:
            return TASK_DOMAIN[task(t)]
    return None


def index_rows(cards_dir: Path) -> dict[str, tuple[str, str]]:
    """file -> (hub id, pipeline tag), from the INDEX.md table of the cards folder."""
    out = {}
    for line in (cards_dir / "INDEX.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 4 and cells[0].endswith(".md"):
            out[cells[0]] = (cells[1], cells[4].split("/")[0].strip())
    return out


def draw(cards_dir: Path, seed: int, n_files: int, bulk_quota: dict[str, int], max_file: int,
         max_bulk: int) -> list[dict]:
    gold = load_gold(default_gold())
    gold_cards = {r["card"] for r in gold}
    gold_ids = {r["hub_id"].lower() for r in gold}
    index = index_rows(cards_dir)
    rng = random.Random(seed)
    files = sorted(p.name for p in cards_dir.glob("*.md") if p.name != "INDEX.md" and p.name not in gold_cards
                   and p.stat().st_size <= max_file)
    out = []
    for name in sorted(rng.sample(files, min(n_files, len(files)))):
        text = (cards_dir / name).read_text(encoding="utf-8", errors="replace")
        hub_id, tag = index.get(name, (name[:-3].replace("__", "/"), ""))
        out.append({"card": name, "hub_id": hub_id,
                    "stratum": domain(text) or TASK_DOMAIN.get(task(tag)) or "unknown"})
    taken = gold_ids | {hub_id.lower() for hub_id, _ in index.values()}
    pools: dict[str, list[str]] = {d: [] for d in bulk_quota}
    with gzip.open(cards_dir.parent / BULK_FILE, "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            hub_id, text = rec.get("id", ""), rec.get("readme", "")
            if not text.strip() or len(text.encode("utf-8")) > max_bulk or hub_id.lower() in taken \
                    or BULK + hub_id in gold_cards:
                continue
            if (d := domain(text)) in pools:
                pools[d].append(hub_id)
    for d, k in bulk_quota.items():
        for hub_id in sorted(rng.sample(sorted(pools[d]), min(k, len(pools[d])))):
            out.append({"card": BULK + hub_id, "hub_id": hub_id, "stratum": d})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--bulk", default="computer-vision=3,audio=3,multimodal=2,reinforcement-learning=2,tabular=2")
    ap.add_argument("--max-file-bytes", type=int, default=20_000)
    ap.add_argument("--max-bulk-bytes", type=int, default=8_000)
    args = ap.parse_args(argv)
    try:
        quota = {d: int(k) for d, k in (part.split("=") for part in args.bulk.split(",") if part)}
    except ValueError:
        print("--bulk must look like computer-vision=3,audio=3 (domain=count, comma-separated)", file=sys.stderr)
        return 2
    try:
        cards_dir = require_shared("model_cards")
    except PathError as exc:
        print(exc, file=sys.stderr)
        return 2
    rows = draw(cards_dir, args.seed, args.files, quota, args.max_file_bytes, args.max_bulk_bytes)
    args.out.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["stratum"]] = counts.get(r["stratum"], 0) + 1
    print(f"{len(rows)} cards drawn (seed {args.seed}) -> {args.out}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
