"""CLI of the card-extraction stage: `extract`, `review export|import`, `eval extraction`."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from ..core.cli import dask_option, InputError, JsonFlag, db_url, format_type, input_file, option_group

PIPELINES = ("rules", "cheap", "accurate")
Fmt = format_type("table", "json")


@dataclass
class LlmOptions:
    """The LLM options of `extract` and `eval extraction`, declared once."""

    base_url: Annotated[str | None, typer.Option("--llm-base-url", envvar="PEATMOSS_LLM_BASE_URL",
                                                 help="OpenAI-compatible API base URL (…/v1).")] = None
    model: Annotated[str | None, typer.Option("--llm-model", envvar="PEATMOSS_LLM_MODEL",
                                              help="Model name at that API.")] = None
    key_env: Annotated[str, typer.Option("--llm-key-env", help="Env var holding the API key.")] = "OPENAI_API_KEY"
    structured: Annotated[str, typer.Option("--structured", help="json_schema | json_object_schema | json_object | prompt "
                                            "(json_schema falls back to json_object_schema when the server rejects it)"
                                            )] = "json_schema"
    max_cost: Annotated[float | None, typer.Option("--max-cost", help="Stop the run at this many USD.")] = None
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="LLM calls in flight.")] = 4
    prices: Annotated[Path | None, typer.Option("--prices", exists=True, dir_okay=False,
                                                help="TOML/JSON price table (USD per 1M tokens).")] = None
    record: Annotated[Path | None, typer.Option("--record", help="Record LLM exchanges in this archive folder.")] = None
    replay: Annotated[Path | None, typer.Option("--replay", exists=True, file_okay=False,
                                                help="Answer LLM calls from this archive folder.")] = None
    token_budget: Annotated[int, typer.Option("--token-budget", min=1, help="Card tokens sent by `accurate`.")] = 12000
    timeout: Annotated[float, typer.Option("--llm-timeout", min=1, help="Seconds for one LLM call.")] = 60.0
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="Completion tokens of one LLM call.")] = 2000

    def ready(self) -> bool:
        return bool(self.model and (self.base_url or self.replay))

    def client(self, cache_url: str | None = None, model: str | None = None):  # noqa: ANN201
        from .llm import LlmClient, load_prices

        return LlmClient(base_url=self.base_url, model=model or self.model,
                         api_key=os.environ.get(self.key_env) or "not-needed", structured=self.structured,
                         max_cost=self.max_cost, concurrency=self.concurrency, prices=load_prices(self.prices),
                         record=self.record, replay=self.replay, cache_url=cache_url, token_budget=self.token_budget,
                         timeout=self.timeout, max_tokens=self.max_tokens)


NEEDS_LLM = "LLM pipelines need --llm-model and --llm-base-url (or --replay)"


@option_group(LlmOptions, "llm")
def extract(
    ctx: typer.Context,
    llm: LlmOptions,
    pipeline: str = typer.Option("rules", "--pipeline", help="rules | cheap | accurate"),
    models: str = typer.Option(None, "--models", help="Comma-separated hub ids (default: all)."),
    limit: int = typer.Option(None, "--limit", min=0, help="At most this many models."),
    review_threshold: float = typer.Option(0.7, "--review-threshold"),
    dask: str = dask_option("Run the rules"),
) -> None:
    """Extract card metadata (with evidence) into the card_field table."""
    from .run import extract_models

    if pipeline not in PIPELINES:
        raise typer.BadParameter(f"must be one of {', '.join(PIPELINES)}", param_hint="--pipeline")
    if pipeline != "rules" and not llm.ready():
        raise InputError(NEEDS_LLM)
    url = db_url(ctx)
    client = llm.client(url) if pipeline != "rules" else None
    names = [m.strip() for m in models.split(",")] if models else None
    stats = extract_models(url, pipeline=pipeline, models=names, limit=limit, llm=client,
                           threshold=review_threshold, dask=dask)
    typer.echo(json.dumps(stats, sort_keys=True))


def review_export(ctx: typer.Context, path: Path = typer.Argument(..., dir_okay=False),
                  all_pending: bool = typer.Option(True, "--pending/--all")) -> None:
    """Write the pending review queue to a CSV file."""
    from .review import export_csv

    n = export_csv(db_url(ctx, existing=True), path, pending_only=all_pending)
    typer.echo(f"{n} rows written to {path}")


def review_import(ctx: typer.Context, path: Path = typer.Argument(..., exists=True, dir_okay=False)) -> None:
    """Read decisions (accepted | rejected | corrected + reviewed_value) back from a CSV file."""
    from .review import import_csv

    done, errors = import_csv(db_url(ctx, existing=True), path)
    typer.echo(f"{done} rows updated, {len(errors)} rejected")
    for err in errors[:20]:
        typer.echo(f"  {err}", err=True)


@option_group(LlmOptions, "llm")
def eval_extraction(
    llm: LlmOptions,
    gold: Path = typer.Option(None, "--gold", exists=True, dir_okay=False,
                              help="Gold labels JSONL (default: the packaged gold set)."),
    cards: Path = typer.Option(None, "--cards", exists=True, file_okay=False,
                               help="Folder of the card files (default: shared model_cards)."),
    pipeline: str = typer.Option("rules", "--pipeline", help="rules | cheap | accurate | all"),
    split: str = typer.Option("all", "--split", help="Gold rows to score: dev | heldout | all"),
    cheap_model: str = typer.Option(None, "--cheap-model", help="Model for `cheap` (default: --llm-model)."),
    fmt: Fmt = "table",
    as_json: JsonFlag = False,
) -> None:
    """Per-field and overall accuracy (the paper's definition), cost and latency per pipeline."""
    from .evaluate import default_cards_dir, default_gold, evaluate_pipeline, render

    if pipeline not in (*PIPELINES, "all"):
        raise typer.BadParameter(f"must be one of {', '.join(PIPELINES)}, all", param_hint="--pipeline")
    gold = gold or default_gold()
    cards = cards or default_cards_dir()
    if cards is None:
        raise InputError("no card folder", "pass --cards or set PEATMOSS_SHARED_DATA")
    wanted = PIPELINES if pipeline == "all" else (pipeline,)
    results = []
    for name in wanted:
        client = None
        if name != "rules":
            if not llm.ready():
                typer.echo(f"skipping {name}: needs --llm-base-url/--llm-model", err=True)
                continue
            client = llm.client(model=(cheap_model or llm.model) if name == "cheap" else llm.model)
        with input_file("--gold", gold):
            results.append(evaluate_pipeline(gold, cards, name, client, split=split))
    if as_json or fmt == "json":
        typer.echo(json.dumps(results, indent=1, sort_keys=True))
    else:
        for res in results:
            typer.echo(render(res))


review_app = typer.Typer(help="Review queue of low-confidence or flagged values (CSV round trip).",
                         no_args_is_help=True)
review_app.command("export")(review_export)
review_app.command("import")(review_import)
eval_app = typer.Typer(help="Evaluate stages against labelled data.", no_args_is_help=True)
eval_app.command("extraction")(eval_extraction)


def register(app: typer.Typer) -> None:
    app.command("extract")(extract)
    app.add_typer(review_app, name="review")
    app.add_typer(eval_app, name="eval")
