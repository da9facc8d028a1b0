"""CLI of the card-extraction stage: `extract`, `review export|import`, `eval extraction`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

PIPELINES = ("rules", "cheap", "accurate")


def _llm_options(base_url, model, key_env, structured, max_cost, concurrency, prices, record, replay, url,
                 budget_tokens):
    from .llm import LlmClient, load_prices

    return LlmClient(base_url=base_url, model=model, api_key=os.environ.get(key_env) or "not-needed",
                     structured=structured, max_cost=max_cost, concurrency=concurrency,
                     prices=load_prices(prices), record=record, replay=replay, cache_url=url,
                     token_budget=budget_tokens)


def register(app: typer.Typer) -> None:
    from peatmoss.cli import db_url

    @app.command("extract")
    def extract(
        ctx: typer.Context,
        pipeline: str = typer.Option("rules", "--pipeline", help="rules | cheap | accurate"),
        models: str = typer.Option(None, "--models", help="Comma-separated hub ids (default: all)."),
        limit: int = typer.Option(None, "--limit", help="At most this many models."),
        llm_base_url: str = typer.Option(None, "--llm-base-url", envvar="PEATMOSS_LLM_BASE_URL",
                                         help="OpenAI-compatible API base URL (…/v1)."),
        llm_model: str = typer.Option(None, "--llm-model", envvar="PEATMOSS_LLM_MODEL"),
        llm_key_env: str = typer.Option("OPENAI_API_KEY", "--llm-key-env", help="Env var holding the API key."),
        structured: str = typer.Option("json_schema", "--structured", help="json_schema | json_object | prompt"),
        max_cost: float = typer.Option(None, "--max-cost", help="Stop the run at this many USD."),
        concurrency: int = typer.Option(4, "--concurrency"),
        prices: Path = typer.Option(None, "--prices", help="TOML/JSON price table (USD per 1M tokens)."),
        record: Path = typer.Option(None, "--record", help="Append LLM responses to this JSONL file."),
        replay: Path = typer.Option(None, "--replay", help="Answer LLM calls from this JSONL recording."),
        token_budget: int = typer.Option(12000, "--token-budget", help="Card tokens sent by `accurate`."),
        review_threshold: float = typer.Option(0.7, "--review-threshold"),
        dask: str = typer.Option(None, "--dask", help="Run the rules on Dask: a scheduler address, or 'local'."),
    ) -> None:
        """Extract card metadata (with evidence) into the card_field table."""
        from .run import extract_models

        if pipeline not in PIPELINES:
            raise typer.BadParameter(f"--pipeline must be one of {PIPELINES}")
        url = db_url(ctx)
        llm = None
        if pipeline != "rules":
            if not (llm_model and (llm_base_url or replay)):
                raise typer.BadParameter("LLM pipelines need --llm-model and --llm-base-url (or --replay)")
            llm = _llm_options(llm_base_url, llm_model, llm_key_env, structured, max_cost, concurrency, prices,
                               record, replay, url, token_budget)
        names = [m.strip() for m in models.split(",")] if models else None
        stats = extract_models(url, pipeline=pipeline, models=names, limit=limit, llm=llm,
                               threshold=review_threshold, dask=dask)
        typer.echo(json.dumps(stats, sort_keys=True))

    review = typer.Typer(help="Review queue of low-confidence or flagged values (CSV round trip).",
                         no_args_is_help=True)

    @review.command("export")
    def review_export(ctx: typer.Context, path: Path = typer.Argument(...),
                      all_pending: bool = typer.Option(True, "--pending/--all")) -> None:
        """Write the pending review queue to a CSV file."""
        from .review import export_csv

        n = export_csv(db_url(ctx), path, pending_only=all_pending)
        typer.echo(f"{n} rows written to {path}")

    @review.command("import")
    def review_import(ctx: typer.Context, path: Path = typer.Argument(..., exists=True)) -> None:
        """Read decisions (accepted | rejected | corrected + reviewed_value) back from a CSV file."""
        from .review import import_csv

        done, errors = import_csv(db_url(ctx), path)
        typer.echo(f"{done} rows updated, {len(errors)} rejected")
        for err in errors[:20]:
            typer.echo(f"  {err}", err=True)

    app.add_typer(review, name="review")

    evaluate = typer.Typer(help="Evaluate stages against labelled data.", no_args_is_help=True)

    @evaluate.command("extraction")
    def eval_extraction(
        gold: Path = typer.Option(None, "--gold", help="Gold labels JSONL [default: the packaged gold set]."),
        cards: Path = typer.Option(None, "--cards", help="Folder of the card files [default: shared model_cards]."),
        pipeline: str = typer.Option("rules", "--pipeline", help="rules | cheap | accurate | all"),
        split: str = typer.Option("all", "--split", help="Gold rows to score: dev | heldout | all"),
        llm_base_url: str = typer.Option(None, "--llm-base-url", envvar="PEATMOSS_LLM_BASE_URL"),
        llm_model: str = typer.Option(None, "--llm-model", envvar="PEATMOSS_LLM_MODEL"),
        cheap_model: str = typer.Option(None, "--cheap-model", help="Model for `cheap` [default: --llm-model]."),
        llm_key_env: str = typer.Option("OPENAI_API_KEY", "--llm-key-env"),
        structured: str = typer.Option("json_schema", "--structured"),
        max_cost: float = typer.Option(None, "--max-cost"),
        concurrency: int = typer.Option(4, "--concurrency"),
        prices: Path = typer.Option(None, "--prices"),
        record: Path = typer.Option(None, "--record"),
        replay: Path = typer.Option(None, "--replay"),
        token_budget: int = typer.Option(12000, "--token-budget"),
        as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    ) -> None:
        """Per-field and overall accuracy (the paper's definition), cost and latency per pipeline."""
        from .evaluate import default_cards_dir, default_gold, evaluate_pipeline, render

        gold = gold or default_gold()
        cards = cards or default_cards_dir()
        if cards is None:
            raise typer.BadParameter("no card folder: pass --cards or set PEATMOSS_SHARED_DATA")
        wanted = PIPELINES if pipeline == "all" else (pipeline,)
        results = []
        for name in wanted:
            llm = None
            if name != "rules":
                if not (llm_model and (llm_base_url or replay)):
                    typer.echo(f"skipping {name}: needs --llm-base-url/--llm-model", err=True)
                    continue
                model = (cheap_model or llm_model) if name == "cheap" else llm_model
                llm = _llm_options(llm_base_url, model, llm_key_env, structured, max_cost, concurrency, prices,
                                   record, replay, None, token_budget)
            results.append(evaluate_pipeline(gold, cards, name, llm, split=split))
        if as_json:
            typer.echo(json.dumps(results, indent=1, sort_keys=True))
        else:
            for res in results:
                typer.echo(render(res))

    app.add_typer(evaluate, name="eval")
