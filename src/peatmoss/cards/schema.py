"""The schema of extracted card metadata: one pydantic model, the single source for
the JSON schema sent to LLMs (`answer_model`), for validation and for the `card_field` rows.

Every field of `CardMetadata` is a list of `Extracted` values:
- an empty list means "not extracted" (nobody looked, or nothing was found);
- one entry with state "not_stated" means "the card does not state it" (a value of its own);
- several entries are list items (datasets, papers...) or disagreeing values (flagged).
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model

T = TypeVar("T")

Source = Literal["yaml", "tags", "prose-rule", "llm"]
State = Literal["value", "not_stated"]
Domain = Literal["nlp", "computer-vision", "audio", "multimodal", "reinforcement-learning", "tabular", "other"]


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatasetRef(_Value):
    name: str
    url: str | None = None


class PaperRef(_Value):
    title: str | None = None
    url: str | None = None  # https://arxiv.org/abs/..., https://doi.org/...


class BaseModelRef(_Value):
    id: str
    url: str | None = None
    relation: Literal["finetune", "adapter", "quantized", "merge", "unknown"] = "unknown"


class Hardware(_Value):
    name: str
    hours: float | None = None
    cloud_provider: str | None = None
    region: str | None = None


class HyperParameter(_Value):
    name: str
    value: str


class Evaluation(_Value):
    metric: str
    value: float | str
    dataset: str | None = None
    split: str | None = None


class Extracted(BaseModel, Generic[T]):
    """One extracted value with its provenance."""

    state: State = "value"
    value: T | None = None
    source: Source
    evidence_start: int | None = None
    evidence_end: int | None = None
    evidence_text: str | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    flagged: bool = False
    flag_reason: str | None = None


# field name -> (value type, is a list field, short description for the LLM)
FIELDS: dict[str, tuple[Any, bool, str]] = {
    "domain": (Domain, False, "application domain of the model"),
    "model_task": (str, False, "the task, as a Hugging Face pipeline tag if possible (e.g. text-classification)"),
    "frameworks": (str, True, "deep-learning frameworks (pytorch, tensorflow, jax, ...)"),
    "libraries": (str, True, "libraries used to load or train the model (transformers, diffusers, ...)"),
    "datasets": (DatasetRef, True, "datasets the model was trained or fine-tuned on"),
    "license": (str, False, "license of the model (SPDX id or name)"),
    "github_repo": (str, False, "URL of the GitHub repository of the model's code"),
    "papers": (PaperRef, True, "papers describing the model (title, arXiv/DOI URL)"),
    "base_model": (BaseModelRef, True, "model(s) this one was derived from, with the relation"),
    "parameter_count": (int, False, "number of parameters, as a plain integer"),
    "hardware": (Hardware, True, "hardware used for training"),
    "carbon_emitted": (float, False, "CO2 emitted by training, in grams"),
    "hyper_parameters": (HyperParameter, True, "training hyper-parameters"),
    "evaluation": (Evaluation, True, "evaluation results (metric, dataset, split, value)"),
    "limitation_and_bias": (str, False, "stated limitations and biases"),
    "demo": (str, False, "example code showing how to use the model"),
    "grant": (str, False, "funding or grant acknowledged"),
    "input_format": (str, False, "format of the model's input"),
    "output_format": (str, False, "format of the model's output"),
    "language": (str, True, "natural languages the model handles (ISO codes)"),
    "input_size": (str, False, "input image size (e.g. 224x224)"),
    "max_sequence_length": (int, False, "maximum input sequence length in tokens"),
    "vocabulary_size": (int, False, "vocabulary size"),
    "sample_rate": (int, False, "audio sample rate in Hz"),
    "rl_agent": (str, False, "reinforcement-learning agent / algorithm"),
    "rl_environment": (str, False, "reinforcement-learning environment"),
}

LIST_FIELDS = {name for name, (_, is_list, _) in FIELDS.items() if is_list}

CardMetadata = create_model(  # type: ignore[call-overload]
    "CardMetadata",
    __config__=ConfigDict(extra="forbid"),
    __doc__="Metadata extracted from one model card; each field is a list of Extracted values.",
    **{name: (list[Extracted[typ]], Field(default_factory=list, description=desc))
       for name, (typ, _, desc) in FIELDS.items()},
)


def value_type(field: str) -> Any:
    return FIELDS[field][0]


def new_metadata() -> BaseModel:
    return CardMetadata()


# --------------------------------------------------------------------------- the LLM answer schema


def answer_model(fields: list[str] | None = None) -> type[BaseModel]:
    """The JSON schema an LLM must answer in, derived from FIELDS (for the given fields).

    Each field: {"not_stated": bool, "values": [{"value": ..., "quote": "verbatim text from the card"}]}.
    """
    models = {}
    for name in fields or list(FIELDS):
        typ = FIELDS[name][0]
        item = create_model(f"{name}_item", __config__=ConfigDict(extra="forbid"),
                            value=(typ, ...), quote=(str, Field(description="verbatim quote from the card")))
        answer = create_model(f"{name}_answer", __config__=ConfigDict(extra="forbid"),
                              not_stated=(bool, False), values=(list[item], Field(default_factory=list)))
        models[name] = (answer | None, Field(default=None, description=FIELDS[name][2]))
    return create_model("CardAnswer", __config__=ConfigDict(extra="forbid"), **models)


def to_plain(value: Any) -> Any:
    """A value as JSON-ready data (pydantic models dumped)."""
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=True)
    return value


def value_text(value: Any) -> str | None:
    """A short human-readable rendering of a value, for value_text and review CSVs."""
    if value is None:
        return None
    if isinstance(value, BaseModel):
        data = value.model_dump(exclude_none=True)
        return ", ".join(f"{k}={v}" for k, v in data.items())
    return str(value)
