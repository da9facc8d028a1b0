"""Model-card extraction: turn unstructured model cards into queryable metadata with evidence.

`extract_card(text)` is the pure API (no database); `extract(url, pipeline=...)` extracts every selected
model's card into the `card_field` rows and returns its counts.
"""

from __future__ import annotations

from .schema import FIELDS, CardMetadata, Extracted


def extract_card(text: str, *, tags: list[str] | None = None, hub_id: str | None = None, pipeline: str = "rules",
                 llm=None):
    """Extract the metadata of one card. pipeline: rules | cheap | accurate (the LLM ones need `llm`,
    a `peatmoss.cards.llm.LlmClient`); `hub_id` (the model's id, when known) finds its row in tables of models."""
    from .rules import extract_rules

    builder = extract_rules(text, tags, hub_id=hub_id)
    if pipeline != "rules":
        from .pipelines import run_llm_stage

        if llm is None:
            raise ValueError(f"pipeline {pipeline!r} needs an LLM client (llm=...)")
        run_llm_stage(builder, pipeline, llm)
    return builder.build()


def extract(url: str, pipeline: str = "rules", **options) -> dict:
    """Extract the cards of the database at `url` (see `peatmoss.cards.run.extract_models`)."""
    from .run import extract_models

    return extract_models(url, pipeline=pipeline, **options)


__all__ = ["extract", "extract_card", "CardMetadata", "Extracted", "FIELDS"]
