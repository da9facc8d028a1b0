"""Token-scan fallback for sources that `ast` cannot parse (Python 2, syntax errors): lower confidence."""

from __future__ import annotations

import bisect
import io
import re
import tokenize

from .catalog import Catalog
from .model import Finding
from .normalize import is_local_path, normalize

_IMPORT = re.compile(r"^\s*import\s+([\w., ]+?)\s*$", re.M)
_FROM = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?([\w., ]+)\)?", re.M)
_CALL = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\s*\(")
_STR = re.compile(r"""\s*(?:(\w+)\s*=\s*)?[rbuRBU]?(['"])((?:\\.|(?!\2).)*)\2""")


def _strip(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Blank out comments and find string-literal spans (offsets), with tokenize as far as it gets."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    strings = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                row, col = tok.start
                line = lines[row - 1]
                lines[row - 1] = line[:col] + " " * (len(line) - col)
            elif tok.type == tokenize.STRING:
                strings.append((starts[tok.start[0] - 1] + tok.start[1], starts[tok.end[0] - 1] + tok.end[1]))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return "\n".join(lines), strings


def _inside(spans: list[tuple[int, int]], offset: int) -> bool:
    i = bisect.bisect_right(spans, (offset, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= offset < spans[i][1]


def _aliases(text: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for m in _IMPORT.finditer(text):
        for part in m.group(1).split(","):
            bits = part.split()
            if len(bits) == 3 and bits[1] == "as":
                names[bits[2]] = bits[0]
            elif bits:
                names.setdefault(bits[0].split(".")[0], bits[0].split(".")[0])
    for m in _FROM.finditer(text):
        for part in m.group(2).split(","):
            bits = part.split()
            if len(bits) == 3 and bits[1] == "as":
                names[bits[2]] = f"{m.group(1)}.{bits[0]}"
            elif bits:
                names[bits[0]] = f"{m.group(1)}.{bits[0]}"
    return names


def token_scan(text: str, catalog: Catalog, file: str, locate) -> list[Finding]:
    """Findings from imports and call tokens: literal first/keyword string argument, else model None."""
    text, strings = _strip(text)
    aliases = _aliases(text)
    starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    findings = []
    for m in _CALL.finditer(text):
        head, _, rest = m.group(1).partition(".")
        if head not in aliases or _inside(strings, m.start()):
            continue
        qualified = aliases[head] + ("." + rest if rest else "")
        sig = catalog.lookup(qualified)
        if sig is None:
            continue
        lineno = _line(starts, m.start())
        cell, line = locate(lineno)
        model = sig.fixed_model
        arg = None
        if model is None:
            s = _STR.match(text, m.end())
            if s and (s.group(1) is None or s.group(1) == sig.arg_kw) and sig.arg_pos in (0, None) or (
                    s and s.group(1) == sig.arg_kw):
                arg = s.group(0).strip()
                model = s.group(3)
        hub = sig.hub
        if model:
            model, hub = normalize(sig.normalize, model, sig.hub)
        end = text.find("\n", m.start())
        findings.append(Finding(
            file=file, line=line, col=m.start() - starts[lineno - 1], cell=cell, library=sig.library,
            api=qualified, call_text=text[m.start(): end if end != -1 else None].strip()[:300], arg_text=arg,
            model=model, candidates=[model] if model else [], resolution="token_scan",
            confidence=0.5 if model else 0.2, hub=hub, revision=None, trust_remote_code=None,
            is_local_path=bool(model) and is_local_path(model, sig.hub)))
    return findings


def _line(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts)
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid
    return lo + 1
