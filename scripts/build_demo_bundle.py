"""Build the demo's bundled recording from the shared Hub data (facts only, no card prose).

    python scripts/build_demo_bundle.py [--shared DIR (default: the shared data, core.paths)] [--size 3000]

Picks the most downloaded models of the Feb-2022 whole-Hub listing, a seeded random sample of the
rest and every 2024-25 `model_info` record, keeps only factual fields (ids, authors, downloads,
likes, tags, licenses, dates, base models, files), serves them from a loopback hub and records the
collector's listing through `--record` into src/peatmoss/data/demo/hub/. The demo replays it.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
from pathlib import Path

from peatmoss.core.paths import require_shared
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface
from peatmoss.pipeline.demo import DEMO_PAGE_SIZE, DEMO_SNAPSHOT
from peatmoss.registries.hubserver import HubServer, RecordSource, read_records

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "peatmoss" / "data" / "demo" / "hub"
KEEP = {"id", "modelId", "author", "sha", "createdAt", "lastModified", "private", "disabled", "gated", "downloads",
        "downloadsAllTime", "likes", "tags", "pipeline_tag", "library_name", "siblings", "config", "cardData",
        "safetensors", "usedStorage"}
CARD_KEEP = {"language", "license", "license_name", "license_link", "datasets", "tags", "base_model",
             "base_model_relation", "pipeline_tag", "library_name", "metrics"}


def facts(record: dict) -> dict:
    out = {k: v for k, v in record.items() if k in KEEP}
    if isinstance(out.get("config"), dict):
        out["config"] = {k: v for k, v in out["config"].items() if k in ("architectures", "model_type")}
    if isinstance(out.get("cardData"), dict):
        out["cardData"] = {k: v for k, v in out["cardData"].items() if k in CARD_KEEP}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=None)
    ap.add_argument("--size", type=int, default=3000)
    args = ap.parse_args()
    api = (args.shared or require_shared()) / "hf_api"
    listing = read_records(api / "hub_list_models_full_2022-02.jsonl.gz")
    listing.sort(key=lambda r: -(r.get("downloads") or 0))
    top = listing[: args.size // 2]
    rest = random.Random(2022).sample(listing[args.size // 2:], args.size - len(top))
    modern = [r for f in sorted(api.glob("models__*.json")) for r in read_records(f)]
    records = [facts(r) for r in top + rest + modern]
    if OUT.exists():
        shutil.rmtree(OUT)
    with tempfile.TemporaryDirectory() as tmp, HubServer(RecordSource(records), page_size=DEMO_PAGE_SIZE) as hub:
        summary = collect_huggingface(f"sqlite:///{tmp}/bundle.db", CollectOptions(
            endpoint=hub.url, page_size=DEMO_PAGE_SIZE, deep=False, record_dir=str(OUT), snapshot=DEMO_SNAPSHOT,
            progress=False))
    print(f"recorded {summary.models} models in {summary.pages} pages into {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
