"""Model-card extraction: turn unstructured model cards into queryable metadata with evidence.

`extract_card(text)` is the pure API (no database); `peatmoss.cards.run` writes the `card_field` rows.
"""

from __future__ import annotations

from .schema import FIELDS, CardMetadata, Extracted


def extract_card(text: str, *, tags: list[str] | None = None, pipeline: str = "rules", llm=None):
    """Extract the metadata of one card. pipeline: rules | cheap | accurate (the LLM ones need `llm`,
    a `peatmoss.cards.llm.LlmClient`)."""
    from .rules import extract_rules

    builder = extract_rules(text, tags)
    if pipeline != "rules":
        from .pipelines import run_llm_stage

        if llm is None:
            raise ValueError(f"pipeline {pipeline!r} needs an LLM client (llm=...)")
        run_llm_stage(builder, pipeline, llm)
    return builder.build()


__all__ = ["extract_card", "CardMetadata", "Extracted", "FIELDS"]
