"""Model-id canonicalisation: from the id written in code to a row of the model table.

Order: exact id (case-insensitive) → bundled alias of a legacy id → library rules (sentence-transformers,
timm, torchvision, OpenAI CLIP and whisper names) → unique `*/<id>` suffix match among Hub models.
Link status: matched | unknown_model (no such model in the table) | dynamic | local_path | default
(a library's task default, linked to its model when we have it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from peatmoss.db.models import Model, Registry

# Legacy ids of the models the Hub moved into organisations (2024); the old names still resolve.
_LEGACY_ORGS = {
    "google-bert": ["bert-base-uncased", "bert-base-cased", "bert-large-uncased", "bert-large-cased",
                    "bert-base-multilingual-cased", "bert-base-multilingual-uncased", "bert-base-chinese",
                    "bert-base-german-cased", "bert-large-uncased-whole-word-masking",
                    "bert-large-cased-whole-word-masking", "bert-large-uncased-whole-word-masking-finetuned-squad",
                    "bert-large-cased-whole-word-masking-finetuned-squad", "bert-base-cased-finetuned-mrpc"],
    "openai-community": ["gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "openai-gpt", "roberta-base-openai-detector",
                         "roberta-large-openai-detector"],
    "distilbert": ["distilgpt2", "distilbert-base-uncased", "distilbert-base-cased", "distilroberta-base",
                   "distilbert-base-uncased-finetuned-sst-2-english", "distilbert-base-multilingual-cased",
                   "distilbert-base-cased-distilled-squad", "distilbert-base-uncased-distilled-squad",
                   "distilbert-base-german-cased"],
    "FacebookAI": ["roberta-base", "roberta-large", "roberta-large-mnli", "xlm-roberta-base", "xlm-roberta-large",
                   "xlm-roberta-large-finetuned-conll03-english", "xlm-mlm-en-2048", "xlm-mlm-100-1280"],
    "google-t5": ["t5-small", "t5-base", "t5-large", "t5-3b", "t5-11b"],
    "albert": ["albert-base-v1", "albert-base-v2", "albert-large-v2", "albert-xlarge-v2", "albert-xxlarge-v2"],
    "xlnet": ["xlnet-base-cased", "xlnet-large-cased"],
    "Salesforce": ["ctrl"],
    "almanach": ["camembert-base"],
    "transfo-xl": ["transfo-xl-wt103"],
    "flaubert": ["flaubert_base_cased", "flaubert_base_uncased", "flaubert_large_cased"],
}
ALIASES = {name.lower(): f"{org}/{name}" for org, names in _LEGACY_ORGS.items() for name in names}

# OpenAI CLIP names (clip.load) and their Hugging Face ports.
CLIP_NAMES = {"vit-b/32": "openai/clip-vit-base-patch32", "vit-b/16": "openai/clip-vit-base-patch16",
              "vit-l/14": "openai/clip-vit-large-patch14", "vit-l/14@336px": "openai/clip-vit-large-patch14-336"}
WHISPER_SIZES = {"tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en", "large",
                 "large-v1", "large-v2", "large-v3", "turbo", "large-v3-turbo"}

_PREFIXES = re.compile(r"^(hf[-_]hub:|hf://|https?://huggingface\.co/)", re.I)
_TREE = re.compile(r"/(tree|blob|resolve)/([^/]+).*$")
ST_LIBRARIES = {"sentence_transformers", "sentence-transformers", "langchain", "llama_index", "keybert"}


@dataclass
class Link:
    model_id: int | None
    canonical: str | None
    status: str
    revision: str | None = None


def split_id(raw: str) -> tuple[str, str | None]:
    """Strip hub prefixes and URLs; split an `@revision` suffix off. Returns (id, revision)."""
    s = raw.strip().strip("/")
    s = _PREFIXES.sub("", s)
    if "://" in s:  # another URL (weights on a web server): kept as it is
        return s, None
    revision = None
    m = _TREE.search(s)
    if m:
        revision, s = m.group(2), s[: m.start()]
    if "@" in s:
        s, _, rev = s.partition("@")
        revision = revision or rev or None
    return s.strip("/"), revision


class Canonicalizer:
    """Links ids to the model table (loaded once); without a session only the alias table is used."""

    def __init__(self, session: Session | None = None):
        self.exact: dict[str, tuple[int, str]] = {}
        self.by_name: dict[str, list[tuple[int, str]]] = defaultdict(list)
        if session is not None:
            rows = session.execute(select(Model.id, Model.hub_id, Registry.name)
                                   .join(Registry, Registry.id == Model.registry_id, isouter=True))
            for mid, hub_id, registry in rows:
                low = hub_id.lower()
                self.exact.setdefault(low, (mid, hub_id))
                if "/" in low and registry in (None, "huggingface"):
                    self.by_name[low.rsplit("/", 1)[1]].append((mid, hub_id))
        self.has_db = session is not None

    def _lookup(self, model: str, library: str | None, hub: str | None) -> tuple[int | None, str]:
        low = model.lower()
        tries = [low]
        if low in ALIASES:
            tries.append(ALIASES[low].lower())
        if "/" not in low:
            if library in ST_LIBRARIES:
                tries.append(f"sentence-transformers/{low}")
            if hub == "timm":
                tries.append(f"timm/{low}")
            if library == "torchvision" or hub == "pytorch_hub":
                tries.append(f"pytorch/vision/{low}")
            if library == "openai_whisper" and low in WHISPER_SIZES:
                tries.append(f"openai/whisper-{low}")
        for t in tries:
            if t in self.exact:
                return self.exact[t]
        if "/" not in low and hub in (None, "huggingface"):  # legacy Hub ids only
            hits = self.by_name.get(low, [])
            if len(hits) == 1:
                return hits[0]
        return None, ALIASES.get(low, model)

    def link(self, model: str | None, *, library: str | None = None, hub: str | None = None,
             is_local_path: bool = False, resolution: str | None = None, revision: str | None = None) -> Link:
        if is_local_path:
            return Link(None, None, "local_path", revision)
        if not model:
            return Link(None, None, "dynamic", revision)
        if library == "clip" and model.lower() in CLIP_NAMES:
            model = CLIP_NAMES[model.lower()]
        ident, rev = split_id(model)
        mid, canonical = self._lookup(ident, library, hub)
        status = "default" if resolution == "task_default" else "matched" if mid is not None else "unknown_model"
        return Link(mid, canonical, status, revision or rev)
