"""The signature catalog (signatures.yaml): which qualified calls load a pre-trained model."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Signature:
    id: str
    library: str
    hub: str | None
    match: tuple[str, ...]
    kind: str = "call"  # call | attribute
    arg_pos: int | None = None
    arg_kw: str | None = None
    arg2_pos: int | None = None
    arg2_kw: str | None = None
    task_pos: int | None = None
    task_kw: str | None = None
    fixed_model: str | None = None
    default_model: str | None = None
    load_if: tuple[str, ...] = ()
    load_if_prefix: str | None = None
    normalize: str | None = None
    exclude: tuple[str, ...] = ()
    peatmoss: dict | None = None
    added: bool = False
    instance: bool = False  # also matches a call on an instance of the class (`x = Cls(); x.method(...)`)
    local: bool = False  # reads model weights from a local file (torch.load, keras load_model)
    tag_pos: int | None = None  # open_clip: the `pretrained` tag argument that picks the weights
    tag_kw: str | None = None
    tag_join: bool = False  # the id is `<model>/<tag>` itself (LAVIS name/model_type), not looked up in a table
    not_if: tuple[str, ...] = ()  # keywords that make the call assemble loaded parts (`modules=[...]`): no load
    picks: bool = False  # the call picks its model from arguments no id can be read from: always dynamic
    named: bool = False  # the callable's own name is the model (`pretrainedmodels.resnet50`, keras `VGG19`)
    file_runtime: bool = False  # runs a model file (GGUF/GGML): a named model downloads, a local path is no load
    not_if_value: tuple[tuple[int | None, str, tuple[str, ...]], ...] = ()  # (pos, keyword, patterns): no model

    def matches(self, qualname: str) -> bool:
        return any(fnmatchcase(qualname, p) for p in self.match) and not any(
            fnmatchcase(qualname, p) for p in self.exclude)


def _pair(value) -> tuple[int | None, str | None]:
    return (value[0], value[1]) if value else (None, None)


def _signature(raw: dict) -> Signature:
    pos, kw = _pair(raw.get("arg"))
    pos2, kw2 = _pair(raw.get("arg2"))
    tpos, tkw = _pair(raw.get("task_arg"))
    gpos, gkw = _pair(raw.get("tag_arg"))
    return Signature(
        id=raw["id"], library=raw["library"], hub=raw.get("hub"), match=tuple(raw["match"]),
        kind=raw.get("kind", "call"), arg_pos=pos, arg_kw=kw, arg2_pos=pos2, arg2_kw=kw2,
        task_pos=tpos, task_kw=tkw, fixed_model=raw.get("fixed_model"),
        default_model=raw.get("default_model"), load_if=tuple(raw.get("load_if", ())),
        load_if_prefix=raw.get("load_if_prefix"), normalize=raw.get("normalize"),
        exclude=tuple(raw.get("exclude", ())), peatmoss=raw.get("peatmoss"), added=bool(raw.get("added")),
        instance=bool(raw.get("instance")), local=bool(raw.get("local")), tag_pos=gpos, tag_kw=gkw,
        tag_join=bool(raw.get("tag_join")),
        named=bool(raw.get("named")), not_if=tuple(raw.get("not_if", ())),
        picks=bool(raw.get("picks")), file_runtime=bool(raw.get("file_runtime")),
        not_if_value=tuple((pos, kw, tuple(v)) for pos, kw, v in raw.get("not_if_value", ())))


def _last(pattern: str) -> str:
    return pattern.rsplit(".", 1)[-1]


@dataclass
class Catalog:
    """Signatures indexed by the last segment of their patterns, for fast matching."""

    version: int
    signatures: list[Signature]
    task_defaults: dict[str, str]
    pretrained_tags: dict[str, str] = field(default_factory=dict)  # open_clip "arch/tag" -> Hub repo
    _by_last: dict[str, list[Signature]] = field(default_factory=dict, repr=False)
    _wild: list[Signature] = field(default_factory=list, repr=False)
    _owners: dict[str, bool] = field(default_factory=dict, repr=False)
    _roots: set[str] = field(default_factory=set, repr=False)
    _lasts: dict[str, bool] = field(default_factory=dict, repr=False)
    _modules: dict[str, Signature | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for sig in self.signatures:
            lasts = {_last(p) for p in sig.match}
            if any(ch in last for last in lasts for ch in "*?["):
                self._wild.append(sig)
            else:
                for last in lasts:
                    self._by_last.setdefault(last, []).append(sig)

    def lookup(self, qualname: str, kind: str = "call", instance: bool = False) -> Signature | None:
        """The first signature of this kind matching a fully qualified name, or None (with `instance`, only
        signatures that also hold for a call on an instance of the class)."""
        for sig in self._by_last.get(_last(qualname), ()):
            if sig.kind == kind and (sig.instance or not instance) and sig.matches(qualname):
                return sig
        for sig in self._wild:
            if sig.kind == kind and (sig.instance or not instance) and sig.matches(qualname):
                return sig
        return None

    def may_end(self, name: str) -> bool:
        """False when no signature's callable can be named `name` (a cheap test before resolving a call)."""
        if name not in self._lasts:
            self._lasts[name] = name in self._by_last or any(
                fnmatchcase(name, _last(p)) for sig in self._wild for p in sig.match)
        return self._lasts[name]

    def owns(self, qualname: str) -> bool:
        """True when some signature matches a callable directly under this name (`huggingface_hub.X` for
        `huggingface_hub.*.from_pretrained`): a class whose methods the catalog knows."""
        if qualname not in self._owners:
            self._owners[qualname] = any(
                "." in p and fnmatchcase(qualname, p.rsplit(".", 1)[0]) for s in self.signatures for p in s.match)
        return self._owners[qualname]

    @property
    def attribute_roots(self) -> frozenset[str]:
        return frozenset(p.split(".", 1)[0] for s in self.signatures if s.kind == "attribute" for p in s.match)

    def roots(self) -> set[str]:
        """Top-level module names (wildcards stripped) that a file must mention to contain a load."""
        return {re.split(r"[*?\[]", p.split(".", 1)[0])[0] for s in self.signatures for p in s.match}

    @property
    def root_names(self) -> set[str]:
        if not self._roots:
            self._roots.update(self.roots())
        return self._roots

    def under(self, module: str) -> Signature | None:
        """The first call signature of a callable directly in `module` (`torchvision.models` for
        `getattr(torchvision.models, name)`), or None."""
        if module not in self._modules:
            self._modules[module] = next((s for s in self.signatures if s.kind == "call" and any(
                fnmatchcase(module, p.rsplit(".", 1)[0]) for p in s.match if "." in p)), None)
        return self._modules[module]

    def libraries(self) -> set[str]:
        return {s.library for s in self.signatures}

    def task_default(self, task: str) -> str | None:
        if task in self.task_defaults:
            return self.task_defaults[task]
        base = task.split("_", 1)[0]  # translation_en_to_fr -> translation
        return self.task_defaults.get(base)


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    text = resources.files("peatmoss.usage").joinpath("signatures.yaml").read_text("utf-8")
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return Catalog(version=raw["version"], signatures=[_signature(s) for s in raw["signatures"]],
                   task_defaults=dict(raw.get("task_defaults") or {}),
                   pretrained_tags=dict(raw.get("open_clip_pretrained") or {}))
