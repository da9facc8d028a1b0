"""The cheap and accurate LLM pipelines against a real local model: llama.cpp's OpenAI-compatible server
(llama-cpp-python[server]) on 127.0.0.1, scored on gold cards, recorded so that a test replays it at $0.

    PEATMOSS_LLAMA_PYTHON=<python with llama-cpp-python[server]> PEATMOSS_LLAMA_MODEL=<model.gguf> \\
        .venv/bin/python benchmarks/llm_local.py --cards 5 --split heldout --out tests/cards/data/llama_run

Writes <out>/cheap/ and <out>/accurate/ (core archives), <out>/gold.jsonl and <out>/summary.json (see
peatmoss.cards.llmrun), and prints the figures, the tokens per card and what the paper's 14,296-card run
would cost at the list prices of prices.toml with these token counts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from peatmoss.cards.evaluate import default_cards_dir, default_gold
from peatmoss.cards.llamaserver import ENV_MODEL, ENV_PYTHON, LlamaServer, missing
from peatmoss.cards.llm import LlmClient, load_prices
from peatmoss.cards.llmrun import pick_cards, record_run

PAPER_CARDS = 14_296  # PTM snapshots the paper ran the accurate pipeline on
PRICED = ("gpt-5-nano", "gpt-4o-mini", "gpt-5-mini", "gpt-4.1-mini", "gpt-3.5-turbo", "gpt-5", "gpt-4-turbo")


def client_factory(base_url: str | None, alias: str, args):
    def make(pipeline: str, record: Path | None = None, replay: Path | None = None) -> LlmClient:
        return LlmClient(base_url=base_url, model=alias, concurrency=1, timeout=args.timeout,
                         max_tokens=args.max_tokens, token_budget=args.token_budget, record=record, replay=replay)
    return make


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cards", type=int, default=5)
    ap.add_argument("--split", default="heldout")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--n-ctx", type=int, default=8192)
    ap.add_argument("--token-budget", type=int, default=5000, help="card tokens sent by `accurate`")
    ap.add_argument("--max-tokens", type=int, default=768)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--log", type=Path, default=None, help="the llama server's output")
    ap.add_argument("--fields", default=None, help="ask the LLM only these fields (comma-separated)")
    args = ap.parse_args(argv)
    reason = missing()
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    cards_dir = default_cards_dir()
    if cards_dir is None:
        print("error: shared data not found (set PEATMOSS_SHARED_DATA)", file=sys.stderr)
        return 2
    model = Path(os.environ[ENV_MODEL])
    rows = pick_cards(default_gold(), cards_dir, args.cards, args.split)
    if args.out.exists():
        shutil.rmtree(args.out)
    info = {"file": model.name, "sha256": hashlib.sha256(model.read_bytes()).hexdigest(), "alias": model.stem,
            "server": "llama-cpp-python[server]", "n_ctx": args.n_ctx, "max_tokens": args.max_tokens,
            "token_budget": args.token_budget}
    with LlamaServer(model, python=os.environ[ENV_PYTHON], n_ctx=args.n_ctx, log=args.log) as srv:
        summary = record_run(args.out, rows, cards_dir, client_factory(srv.base_url, srv.alias, args), info,
                             only=args.fields.split(",") if args.fields else None)
    report(summary)
    return 0


def report(summary: dict) -> None:
    prices = load_prices()
    n = len(summary["cards"])
    for name, fig in summary["pipelines"].items():
        o = fig["overall"]
        print(f"{name:9} cards {n} accuracy {o['accuracy']} precision {o['precision']} coverage {o['coverage']} "
              f"({o['correct']}/{o['filled']} of {o['labelled']}) {fig.get('latency_per_card_s')} s/card")
        if "llm" not in fig:
            continue
        led = fig["llm"]
        pt, ct = led["prompt_tokens"] / n, led["completion_tokens"] / n
        print(f"          llm only {fig['llm_only']}; calls {led['calls']}, per card {pt:.0f} prompt + "
              f"{ct:.0f} completion tokens, wire {led['structured']}, errors {summary['errors'][name]}")
        for model in PRICED:
            p = prices[model]
            per_card = (pt * p["input"] + ct * p["output"]) / 1e6
            print(f"          {model:14} ${per_card:.5f}/card, {PAPER_CARDS:,} cards ${per_card * PAPER_CARDS:,.2f}")
    print(json.dumps({k: summary["pipelines"][k].get("llm_only") for k in ("cheap", "accurate")}))


if __name__ == "__main__":
    raise SystemExit(main())
