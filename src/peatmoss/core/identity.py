"""One identity for a model: from a reference as written (code, card, Hub record) to its key and its row.

A reference is reduced in this order:
1. a library's own names become Hub ids: OpenAI CLIP names (`ViT-L/14`), whisper sizes (`base`),
   sentence-transformers short names (`all-MiniLM-L6-v2`), timm names and torchvision builders;
2. hub prefixes and URLs come off (`hf-hub:`, `hf://`, `https://huggingface.co/`), and so does a revision
   (`@rev`, `/tree/rev`, `/blob/rev/...`);
3. a legacy id becomes the id the Hub moved it to (`bert-base-uncased` -> `google-bert/bert-base-uncased`,
   table in data/legacy_ids.json).
The key is that id lower-cased (Hub ids are case-insensitive). Both names of a moved model have one key,
so either finds a row stored under the other. `ModelResolver` finds the `model` row of a reference: by key,
else (bare names on the Hub only) the one row whose id ends with `/<name>`.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources

from sqlalchemy import func, select

from peatmoss.db.models import Model, Registry

_LEGACY = json.loads(resources.files("peatmoss.core").joinpath("data/legacy_ids.json").read_text("utf-8"))
LEGACY_IDS = {name.lower(): f"{org}/{name}" for org, names in _LEGACY["legacy_ids"].items() for name in names}
LEGACY_OF = {new.lower(): old for old, new in LEGACY_IDS.items()}  # key -> the legacy id (lower case)

# OpenAI CLIP names (clip.load) and their Hugging Face ports.
CLIP_NAMES = {"vit-b/32": "openai/clip-vit-base-patch32", "vit-b/16": "openai/clip-vit-base-patch16",
              "vit-l/14": "openai/clip-vit-large-patch14", "vit-l/14@336px": "openai/clip-vit-large-patch14-336"}
WHISPER_SIZES = {"tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en", "large",
                 "large-v1", "large-v2", "large-v3", "turbo", "large-v3-turbo"}
WHISPER_LIBRARIES = {"openai_whisper", "whisper_timestamped"}
# Libraries that load a bare name from the sentence-transformers organisation (legacy ids excepted).
ST_LIBRARIES = {"sentence_transformers", "sentence-transformers", "langchain", "llama_index", "keybert"}

_PREFIX = re.compile(r"^(hf[-_]hub:|hf://|(https?://)?(www\.)?(huggingface\.co|hf\.co)/(models/)?)", re.I)
_TREE = re.compile(r"/(tree|blob|resolve)/([^/]+).*$")


def split_ref(raw: str) -> tuple[str, str | None]:
    """Strip hub prefixes and URLs; split a revision off. Returns (id, revision); other URLs stay as they are."""
    s = _PREFIX.sub("", raw.strip().strip("/"))
    if "://" in s:  # another URL (weights on a web server)
        return s, None
    revision = None
    m = _TREE.search(s)
    if m:
        revision, s = m.group(2), s[: m.start()]
    if "@" in s:
        s, _, rev = s.partition("@")
        revision = revision or rev or None
    return s.strip("/"), revision


@dataclass(frozen=True)
class Identity:
    """What a reference names. key: lower-case Hub id (one per model, across aliases and case);
    id: the row's hub_id when found, else the Hub's spelling of the reference; model_id: the `model` row."""

    key: str
    id: str
    revision: str | None = None
    model_id: int | None = None


def parse(raw: str, *, library: str | None = None, hub: str | None = None) -> Identity:
    """The identity of a reference without a database (model_id None)."""
    s = raw.strip()
    low = s.lower()
    if (library == "clip" or hub == "openai_clip") and low in CLIP_NAMES:
        s = CLIP_NAMES[low]
    ident, revision = split_ref(s)
    low = ident.lower()
    if low in LEGACY_OF:  # a moved model, in any case: the Hub's spelling
        ident = LEGACY_IDS[LEGACY_OF[low]]
    elif "/" not in low and "://" not in low:
        if low in LEGACY_IDS:
            ident = LEGACY_IDS[low]
        elif library in ST_LIBRARIES:
            ident = f"sentence-transformers/{ident}"
        elif (library in WHISPER_LIBRARIES or hub == "openai_whisper") and low in WHISPER_SIZES:
            ident = f"openai/whisper-{low}"
        elif hub == "timm" or library == "timm":
            ident = f"timm/{ident}"
        elif library == "torchvision":
            ident = f"pytorch/vision/{ident}"
    return Identity(ident.lower(), ident, revision)


def model_key(raw: str, *, library: str | None = None, hub: str | None = None) -> str:
    """The canonical key of a reference (lower-case Hub id, legacy ids moved to their organisation)."""
    return parse(raw, library=library, hub=hub).key


@dataclass(frozen=True)
class _Row:
    model_id: int | None
    hub_id: str
    registry: str | None


class ModelResolver:
    """Finds the model row of a reference. With a session (or connection), rows are looked up as needed;
    `preload=True` reads the model table once (for many look-ups); `from_ids` indexes ids held elsewhere
    (recorded hub data). Every way gives the same answer for the same rows."""

    def __init__(self, session=None, *, preload: bool = False):
        self.session = session
        self.by_key: dict[str, list[_Row]] | None = None
        self.by_name: dict[str, list[_Row]] = defaultdict(list)
        self._cache: dict[tuple, Identity] = {}
        if session is None or preload:
            rows = [] if session is None else session.execute(
                select(Model.id, Model.hub_id, Registry.name).join(Registry, Registry.id == Model.registry_id,
                                                                    isouter=True))
            self._index(_Row(*r) for r in rows)

    @classmethod
    def from_ids(cls, ids, registry: str = "huggingface") -> ModelResolver:
        resolver = cls()
        resolver._index(_Row(None, i, registry) for i in ids)
        return resolver

    def _index(self, rows) -> None:
        self.by_key = defaultdict(list)
        for row in rows:
            key = model_key(row.hub_id)
            self.by_key[key].append(row)
            if "/" in key and row.registry in (None, "huggingface"):
                self.by_name[key.rsplit("/", 1)[1]].append(row)

    def _rows(self, key: str) -> list[_Row]:
        if self.by_key is not None:
            return self.by_key.get(key, [])
        spellings = {key} | ({LEGACY_OF[key]} if key in LEGACY_OF else set())
        q = self._query().where(func.lower(Model.hub_id).in_(sorted(spellings)))
        return [_Row(*r) for r in self.session.execute(q)]

    def _named(self, name: str) -> list[_Row]:
        if self.by_key is not None:
            return self.by_name.get(name, [])
        q = self._query().where(func.lower(Model.hub_id).endswith("/" + name, autoescape=True))
        rows = [_Row(*r) for r in self.session.execute(q)]
        return [r for r in rows if r.registry in (None, "huggingface") and
                model_key(r.hub_id).rsplit("/", 1)[-1] == name]

    @staticmethod
    def _query():
        return select(Model.id, Model.hub_id, Registry.name).join(Registry, Registry.id == Model.registry_id,
                                                                   isouter=True)

    def resolve(self, raw: str, *, library: str | None = None, hub: str | None = None) -> Identity:
        """The identity of a reference, with its row when one is held."""
        cache_key = (raw, library, hub)
        if cache_key not in self._cache:
            self._cache[cache_key] = self._resolve(raw, library, hub)
        return self._cache[cache_key]

    def _resolve(self, raw: str, library: str | None, hub: str | None) -> Identity:
        ident = parse(raw, library=library, hub=hub)
        rows = self._rows(ident.key)
        if not rows and "/" not in ident.key and hub in (None, "huggingface"):  # a bare name: one `*/name`
            named = self._named(ident.key)
            rows = named if len({model_key(r.hub_id) for r in named}) == 1 else []
        if not rows:
            return ident
        wanted = "pytorch_hub" if hub == "pytorch_hub" else "huggingface"
        best = min(rows, key=lambda r: (r.registry != wanted, r.hub_id != ident.id,
                                        r.model_id if r.model_id is not None else 0))
        return Identity(model_key(best.hub_id), best.hub_id, ident.revision, best.model_id)
