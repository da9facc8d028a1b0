"""YAML from untrusted text (model cards, PyTorch Hub pages, repository configs), loaded with bounds.

`load(text)` is PyYAML's safe loader (libyaml when present) that refuses, with `YAMLRefused` (a
`yaml.YAMLError`), a document using more than `MAX_ALIASES` aliases (a "billion laughs" bomb would expand
exponentially in whatever walks the data later) or over `MAX_CHARS` characters. An integer over Python's
digit limit (4,300) is refused the same way instead of raising a ValueError from deep inside the loader.

A document without aliases made only of mappings, lists and plain scalars (nearly every model card's front matter)
is built from libyaml's node tree by a short loop instead of PyYAML's Python constructor, which gives the same data;
anything else goes through the constructor.
"""

from __future__ import annotations

import yaml

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

MAX_ALIASES = 100
MAX_CHARS = 1_000_000


class YAMLRefused(yaml.YAMLError):
    """A document this loader will not expand (too many aliases, too long, an integer too large)."""


def alias_count(text: str, stop: int) -> int:
    """Aliases used in `text`, counted up to `stop` (parsing only; nothing is built)."""
    count = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            count += 1
            if count > stop:
                break
    return count


_SAFE = yaml.constructor.SafeConstructor()  # its scalar methods only read the node they are given
_SCALARS = {f"tag:yaml.org,2002:{name}": getattr(_SAFE, f"construct_yaml_{name}")
            for name in ("null", "bool", "int", "float", "timestamp")}
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_SPECIAL_KEYS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")


class _Unusual(Exception):
    """A node the short loop leaves to PyYAML's constructor."""


def _build(node):
    """The data of a node of plain scalars, lists and mappings (no merge keys, no aliases)."""
    tag, kind = node.tag, type(node)
    if kind is yaml.ScalarNode:
        if tag == _STR:
            return node.value
        if (make := _SCALARS.get(tag)) is None:
            raise _Unusual
        return make(node)
    if kind is yaml.SequenceNode and tag == _SEQ:
        return [_build(item) for item in node.value]
    if kind is yaml.MappingNode and tag == _MAP:
        data = {}
        for key_node, value_node in node.value:
            if key_node.tag in _SPECIAL_KEYS:
                raise _Unusual
            data[_build(key_node)] = _build(value_node)  # an unhashable key raises TypeError
        return data
    raise _Unusual


def _quick(text: str):
    """The document built by `_build`, or `_Unusual` when the constructor must do it (an error included)."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        return None if node is None else _build(node)
    except Exception:  # noqa: BLE001 - the constructor's own run raises what it raises
        return _Unusual


def load(text: str, max_aliases: int = MAX_ALIASES, max_chars: int = MAX_CHARS):
    """The YAML document in `text` (safe types only), within the bounds above."""
    if len(text) > max_chars:
        raise YAMLRefused(f"YAML of {len(text):,} characters (limit {max_chars:,})")
    if "*" in text:
        if alias_count(text, max_aliases) > max_aliases:
            raise YAMLRefused(f"YAML uses more than {max_aliases} aliases (refused: it could expand without bound)")
    elif (data := _quick(text)) is not _Unusual:
        return data
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except ValueError as exc:  # an integer over the interpreter's digit limit
        raise YAMLRefused(f"YAML value not loadable: {str(exc)[:200]}") from None
    except RecursionError:
        raise YAMLRefused("YAML nested too deeply") from None


__all__ = ["MAX_ALIASES", "YAMLRefused", "alias_count", "load"]
