"""YAML from untrusted text (model cards, PyTorch Hub pages, repository configs), loaded with bounds.

`load(text)` is PyYAML's safe loader (libyaml when present) that refuses, with `YAMLRefused` (a
`yaml.YAMLError`), a document using more than `MAX_ALIASES` aliases (a "billion laughs" bomb would expand
exponentially in whatever walks the data later) or over `MAX_CHARS` characters. An integer over Python's
digit limit (4,300) is refused the same way instead of raising a ValueError from deep inside the loader.
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


def load(text: str, max_aliases: int = MAX_ALIASES, max_chars: int = MAX_CHARS):
    """The YAML document in `text` (safe types only), within the bounds above."""
    if len(text) > max_chars:
        raise YAMLRefused(f"YAML of {len(text):,} characters (limit {max_chars:,})")
    if "*" in text and alias_count(text, max_aliases) > max_aliases:
        raise YAMLRefused(f"YAML uses more than {max_aliases} aliases (refused: it could expand without bound)")
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
    except ValueError as exc:  # an integer over the interpreter's digit limit
        raise YAMLRefused(f"YAML value not loadable: {str(exc)[:200]}") from None
    except RecursionError:
        raise YAMLRefused("YAML nested too deeply") from None


__all__ = ["MAX_ALIASES", "YAMLRefused", "alias_count", "load"]
