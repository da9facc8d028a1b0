"""YAML front matter of a Markdown page (model cards, PyTorch Hub pages), read tolerantly: a YAML that
fails to parse, or that `core.safeyaml` refuses (an alias bomb, a giant integer), is salvaged line by line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from . import safeyaml

_OPEN = re.compile(r"\A\ufeff?\s*---[ \t]*\r?\n")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*\r?$", re.M)
_TOP_KEY = re.compile(r"^([A-Za-z_][\w\-]*)[ \t]*:[ \t]*(.*?)[ \t]*\r?$")
_ITEM = re.compile(r"^[ \t]*-[ \t]+(.*?)[ \t]*\r?$")
_CURLY = str.maketrans({"“": "", "”": "", "‘": "", "’": ""})


@dataclass
class FrontMatter:
    """The parsed data and where things are in the page."""

    data: dict = field(default_factory=dict)
    start: int = 0  # offsets of the YAML text (between the fences) in the card
    end: int = 0
    body_start: int = 0  # where the markdown body begins
    error: str | None = None  # parse error, when the data was salvaged
    present: bool = False


def split_front_matter(text: str, curly_quotes: bool = False) -> FrontMatter:
    """The front matter between `---` fences at the top of `text`; `curly_quotes=True` drops “ ” ‘ ’ from the
    YAML first (pages that quote values with them)."""
    m = _OPEN.match(text)
    if not m:
        return FrontMatter()
    close = _CLOSE.search(text, m.end())
    if not close:
        return FrontMatter(error="front matter not closed", start=m.end(), end=m.end(), body_start=m.end(),
                           present=True)
    fm = FrontMatter(start=m.end(), end=close.start(), body_start=min(len(text), close.end() + 1), present=True)
    raw = text[fm.start:fm.end]
    if curly_quotes:
        raw = raw.translate(_CURLY)
    try:
        data = safeyaml.load(raw)
    except yaml.YAMLError as exc:
        fm.error = f"invalid YAML: {str(exc).splitlines()[0][:300]}"
        fm.data = salvage(raw)
        return fm
    if data is None:
        data = {}
    if not isinstance(data, dict):
        fm.error = f"front matter is a {type(data).__name__}, not a mapping"
        data = {}
    fm.data = data
    return fm


def _scalar(raw: str):
    raw = raw.strip()
    if not raw:
        return None
    if raw[0] in "\"'" and raw[-1:] == raw[0]:
        return raw[1:-1]
    try:
        value = safeyaml.load(raw, max_aliases=0)
    except yaml.YAMLError:
        return raw
    return value if isinstance(value, (str, int, float, bool, list)) else raw


def salvage(raw: str) -> dict:
    """Read what can be read from broken YAML: top-level `key: value` lines and their `- item` lists."""
    data: dict = {}
    key = None
    for line in raw.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        top = _TOP_KEY.match(line) if not line[0].isspace() else None
        if top:
            key, value = top.group(1), top.group(2)
            data[key] = _scalar(value) if value else []
            continue
        item = _ITEM.match(line)
        if key is not None and item and isinstance(data.get(key), list):
            val = _scalar(item.group(1))
            if isinstance(val, (str, int, float)):
                data[key].append(val)
    return {k: v for k, v in data.items() if v not in ([], None)}
