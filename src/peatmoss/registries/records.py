"""Turn one Hugging Face Hub model record (any era's shape) into uniform rows.

Handles the 2022 list shape (`modelId`, no author/createdAt) and the 2024-25
`model_info`/list shape (`id`, `author`, `createdAt`, `safetensors`, `gated` ...).
Raises `RecordError` for a record that cannot be used; the caller records it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources

FRAMEWORKS = {"pytorch": "pytorch", "tf": "tensorflow", "tensorflow": "tensorflow", "jax": "jax", "flax": "jax"}
LIBRARIES = frozenset("""
transformers diffusers sentence-transformers timm spacy flair allennlp asteroid espnet fairseq speechbrain stanza
nemo paddlenlp pyannote-audio pyannote.audio stable-baselines3 ml-agents keras tf-keras tensorflowtts fastai
adapter-transformers setfit peft gguf mlx onnx open_clip openclip span-marker spanmarker sample-factory fasttext
bertopic sklearn scikit-learn joblib pythae k2 doctr paddleocr paddlepaddle transformers.js llamafile gliner
unity-sentis mlc-llm ctranslate2 coreml core-ml tflite tf-lite openvino safetensors tensorboard rust keras-hub
keras-nlp ultralytics yolov5 nemo-asr tensorflow-tts pyannote ml-agents-unity vllm llama-cpp model2vec
""".split())
BASE_RELATIONS = {"finetune", "adapter", "quantized", "merge"}
PREFIX_KINDS = {"dataset": "dataset", "license": "license", "arxiv": "arxiv", "base_model": "base_model",
                "region": "region", "doi": "doi", "language": "language", "library": "library"}


class RecordError(ValueError):
    """A record that cannot be turned into a model row."""


@lru_cache(maxsize=1)
def language_codes() -> frozenset[str]:
    text = resources.files("peatmoss.data").joinpath("iso639_1.txt").read_text()
    return frozenset(text.split()) | {"multilingual"}


@lru_cache(maxsize=1)
def task_names() -> frozenset[str]:
    text = resources.files("peatmoss.data").joinpath("hf_tasks.txt").read_text()
    return frozenset(text.split())


@lru_cache(maxsize=65536)
def classify_tag(tag: str) -> tuple[str, str]:
    """(kind, value) of a Hub tag: dataset, language, license, library, framework, arxiv, base_model,
    region, task, doi or other."""
    head, sep, rest = tag.partition(":")
    if sep and head in PREFIX_KINDS:
        return PREFIX_KINDS[head], rest
    if tag in FRAMEWORKS:
        return "framework", FRAMEWORKS[tag]
    if tag in LIBRARIES:
        return "library", tag
    if tag in language_codes():
        return "language", tag
    if tag in task_names():
        return "task", tag
    return "other", tag


def parse_time(value) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value)  # Python >= 3.11 reads a trailing "Z"
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _int(value) -> int | None:
    kind = type(value)
    if kind is int:  # bool is not int here: True is no count
        return value
    if kind is float and value.is_integer():
        return int(value)
    return None


def _str(value) -> str | None:
    return value if type(value) is str else None


def _bool(value) -> bool | None:
    return value if type(value) is bool else None


def _strs(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v]
    return []


def base_model_edges(tags: list[str], card_data: dict | None) -> list[tuple[str, str, str]]:
    """(parent id, relation, source) from `base_model:<rel>:<id>` tags and the card's `base_model`."""
    edges: dict[str, tuple[str, str, str]] = {}
    plain: list[str] = []
    for tag in tags:
        if not tag.startswith("base_model:"):
            continue
        rest = tag[len("base_model:"):]
        rel, sep, parent = rest.partition(":")
        if sep and rel in BASE_RELATIONS and parent:
            edges[parent] = (parent, rel, "tag")
        else:
            plain.append(rest)
    for parent in plain:
        edges.setdefault(parent, (parent, "unknown", "tag"))
    if isinstance(card_data, dict):
        relation = card_data.get("base_model_relation")
        relation = relation if relation in BASE_RELATIONS else "unknown"
        for parent in _strs(card_data.get("base_model")):
            if parent not in edges:
                edges[parent] = (parent, relation, "card_yaml")
    return list(edges.values())


@dataclass(slots=True)
class ModelRecord:
    """Uniform form of one Hub model: the `model` row and its related values."""

    hub_id: str
    author: str | None
    row: dict
    tags: list[str] = field(default_factory=list)
    architectures: list[str] = field(default_factory=list)
    model_type: str | None = None
    file_names: list[str] = field(default_factory=list)  # the repo's files as listed
    files: list[tuple] = field(default_factory=list)  # (path, size, blob_id, lfs_sha256, lfs_size), when known
    licenses: list[tuple[str, str]] = field(default_factory=list)  # (name, source)
    edges: list[tuple[str, str, str]] = field(default_factory=list)


def normalise(item: dict) -> ModelRecord:
    """One raw Hub JSON record -> ModelRecord. Unknown fields are ignored, missing ones are null."""
    if not isinstance(item, dict):
        raise RecordError(f"record is a {type(item).__name__}, not an object")
    hub_id = item.get("id") or item.get("modelId")
    if not isinstance(hub_id, str) or not hub_id.strip():
        raise RecordError("record has no model id")
    if len(hub_id) > 512 or any(c in hub_id for c in "\x00\n\r"):
        raise RecordError(f"model id is not usable: {hub_id[:80]!r}")
    author = item.get("author")
    if not isinstance(author, str) or not author:
        author = hub_id.split("/", 1)[0] if "/" in hub_id else None
    tags = list(dict.fromkeys(_strs(item.get("tags"))))
    config = item.get("config")
    config = config if type(config) is dict else {}
    card = item.get("cardData")
    card = card if type(card) is dict else None
    safetensors = item.get("safetensors")
    gated = item.get("gated")
    row = {
        "hub_id": hub_id,
        "name": hub_id.split("/", 1)[-1],
        "sha": _str(item.get("sha")),
        "created_at": parse_time(item.get("createdAt") or item.get("created_at")),
        "last_modified": parse_time(item.get("lastModified") or item.get("last_modified")),
        "pipeline_tag": _str(item.get("pipeline_tag")),
        "library_name": _str(item.get("library_name")),
        "private": _bool(item.get("private")),
        "disabled": _bool(item.get("disabled")),
        "gated": str(gated).lower() if isinstance(gated, (bool, str)) else None,
        "downloads": _int(item.get("downloads")),
        "downloads_all_time": _int(item.get("downloadsAllTime")),
        "likes": _int(item.get("likes")),
        "parameter_count": _int(safetensors.get("total")) if type(safetensors) is dict else None,
        "used_storage": _int(item.get("usedStorage")),
        "card_data": card,
        "repo_url": f"https://huggingface.co/{hub_id}",
    }
    siblings = item.get("siblings")
    siblings = [s for s in siblings if type(s) is dict] if type(siblings) is list else []
    file_names = [name for s in siblings if type(name := s.get("rfilename")) is str]
    files = []
    for sib in siblings:
        if len(sib) > 1 and type(sib.get("rfilename")) is str:  # more than the list API's usual name: sizes, LFS
            lfs = sib.get("lfs") if type(sib.get("lfs")) is dict else {}
            files.append((sib["rfilename"], _int(sib.get("size")), sib.get("blobId"), lfs.get("sha256"),
                          _int(lfs.get("size"))))
    licenses = [(t[len("license:"):], "tag") for t in tags if t.startswith("license:")]
    if card:
        named = {name for name, _ in licenses}
        for key in ("license", "licence", "liscence"):
            for name in _strs(card.get(key)):
                if name not in named:
                    licenses.append((name, "card_yaml"))
                    named.add(name)
    return ModelRecord(
        hub_id=hub_id,
        author=author,
        row=row,
        tags=tags,
        architectures=list(dict.fromkeys(_strs(config.get("architectures")))),
        model_type=config.get("model_type") if isinstance(config.get("model_type"), str) else None,
        file_names=file_names,
        files=files,
        licenses=licenses,
        edges=base_model_edges(tags, card),
    )
