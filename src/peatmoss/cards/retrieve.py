"""Split a card into header-delimited chunks and retrieve the best ones per field with BM25."""

from __future__ import annotations

import re

from rank_bm25 import BM25Okapi

from .schema import FIELDS

MAX_CHUNK = 1500
QUERIES = {
    "domain": "domain task vision language audio speech text image",
    "model_task": "task pipeline classification generation detection recognition",
    "frameworks": "pytorch tensorflow jax framework versions",
    "libraries": "library transformers diffusers import usage",
    "datasets": "dataset trained fine-tuned training data corpus",
    "license": "license licensed terms",
    "github_repo": "github code repository",
    "papers": "paper arxiv citation bibtex",
    "base_model": "fine-tuned version base model initialized from pretrained checkpoint",
    "parameter_count": "parameters params million billion size",
    "hardware": "trained gpu tpu hardware hours compute",
    "carbon_emitted": "co2 carbon emissions emitted kg",
    "hyper_parameters": "hyperparameters learning rate batch size epochs optimizer",
    "evaluation": "evaluation results metrics accuracy f1 test",
    "limitation_and_bias": "limitations bias risks out-of-scope",
    "demo": "how to use example code usage",
    "grant": "funded grant funding supported acknowledgements",
    "input_format": "input format expects",
    "output_format": "output format returns",
    "language": "language english multilingual",
    "input_size": "image size resolution pixels",
    "max_sequence_length": "maximum sequence length tokens",
    "vocabulary_size": "vocabulary size tokens tokenizer",
    "sample_rate": "sampled khz sample rate audio",
    "rl_agent": "agent algorithm ppo dqn",
    "rl_environment": "environment playing env",
}
assert set(QUERIES) == set(FIELDS)

_TOKEN = re.compile(r"[a-z0-9]+")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def chunks(text: str) -> list[str]:
    """The card split at markdown headers; long sections cut at paragraph boundaries."""
    parts = re.split(r"(?m)^(?=#{1,6}\s)", text)
    out = []
    for part in parts:
        while len(part) > MAX_CHUNK:
            cut = part.rfind("\n\n", 0, MAX_CHUNK)
            cut = cut if cut > MAX_CHUNK // 3 else MAX_CHUNK
            out.append(part[:cut])
            part = part[cut:]
        if part.strip():
            out.append(part)
    return out


def snippets(text: str, fields: list[str], per_field: int = 2, budget_chars: int = 6000) -> list[str]:
    """The chunks most relevant to the given fields (in card order, within a character budget)."""
    parts = chunks(text)
    if not parts:
        return []
    bm25 = BM25Okapi([tokenize(p) or ["_"] for p in parts])
    chosen: list[int] = []
    for field in fields:
        scores = bm25.get_scores(tokenize(QUERIES[field] + " " + field.replace("_", " ")))
        best = sorted(range(len(parts)), key=lambda i: -scores[i])[:per_field]
        chosen += [i for i in best if scores[i] > 0 and i not in chosen]
    out, size = [], 0
    for i in sorted(chosen):
        if size + len(parts[i]) > budget_chars:
            continue
        out.append(parts[i])
        size += len(parts[i])
    return out
