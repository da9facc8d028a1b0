"""Token-scan fallback for sources that `ast` cannot parse (Python 2, syntax errors): lower confidence."""

from __future__ import annotations

import bisect
import io
import re
import tokenize
from fnmatch import fnmatchcase

from .analyzer import CHECKPOINT_EXT, DATA_FILE, NOT_WEIGHTS, WEIGHTS_HINT
from .catalog import Catalog, Signature
from .model import Finding
from .normalize import is_local_path, normalize, torch_hub

_IMPORT = re.compile(r"^\s*import\s+([\w., ]+?)\s*$", re.M)
_FROM = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?([\w., ]+)\)?", re.M)
_CALL = re.compile(r"(?<![\w.])([A-Za-z_][\w.]*)\s*\(")


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


_KW = re.compile(r"^\s*([A-Za-z_]\w*)\s*=(?!=)\s*(.*?)\s*$", re.S)
_LITERAL = re.compile(r"""^[rbuRBU]{0,2}(['"])((?:\\.|(?!\1).)*)\1$""", re.S)
_OFF = ("False", "None", "0")


def _arguments(text: str, open_at: int, strings: list[tuple[int, int]]) -> tuple[list[str], dict[str, str]]:
    """Top-level positional and keyword argument texts of the call whose '(' is at open_at."""
    depth, i, start, parts = 0, open_at, open_at + 1, []
    span_at = {a: b for a, b in strings}
    while i < len(text):
        if i in span_at:
            i = span_at[i]
            continue
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                parts.append(text[start:i])
                break
        elif ch == "," and depth == 1:
            parts.append(text[start:i])
            start = i + 1
        i += 1
    positional, keywords = [], {}
    for part in parts:
        if not part.strip():
            continue
        m = _KW.match(part)
        if m:
            keywords[m.group(1)] = m.group(2)
        else:
            positional.append(part.strip())
    return positional, keywords


def _value(arg: str | None, constants: dict[str, list[str]]) -> str | None:
    """A string literal, or a module constant assigned one literal; else None."""
    if arg is None:
        return None
    m = _LITERAL.match(arg.strip())
    if m:
        return m.group(2)
    values = constants.get(arg.strip())
    return values[0] if values and len(set(values)) == 1 else None


def _constants(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for m in re.finditer(r"""^([A-Za-z_]\w*)\s*=\s*[rbuRBU]{0,2}(['"])([^'"\n]*)\2\s*$""", text, re.M):
        out.setdefault(m.group(1), []).append(m.group(3))
    return out


def _pick(positional: list[str], keywords: dict[str, str], pos: int | None, kw: str | None) -> str | None:
    if kw and kw in keywords:
        return keywords[kw]
    if pos is not None and len(positional) > pos and not any(p.startswith("*") for p in positional[:pos + 1]):
        return positional[pos]
    return None


def _no_load(sig: Signature, arg: str | None, positional: list[str], keywords: dict[str, str],
             constants: dict[str, list[str]]) -> bool:
    """The rules the full analysis applies before a load: parts assembled (`modules=`), a value that fetches no
    model (`repo_type="dataset"`), a local model file run as it is, and `torch.load` of anything but weights."""
    if sig.not_if and arg is None and any(k in keywords for k in sig.not_if):
        return True
    for pos, kw, patterns in sig.not_if_value:
        value = _value(_pick(positional, keywords, pos, kw), constants)
        if value is not None and any(fnmatchcase(value.lower(), p) for p in patterns):
            return True
    value = _value(arg, constants)
    if sig.file_runtime and value and is_local_path(value, sig.hub):
        return True
    if sig.id != "torch.load":
        return False
    name = value.replace("\\", "/").rsplit("/", 1)[-1] if value else ""
    if arg is None or NOT_WEIGHTS.search(arg) or (name and DATA_FILE.search(name)):
        return True
    return not ((value and value.lower().endswith(CHECKPOINT_EXT)) or WEIGHTS_HINT.search(arg))


def token_scan(text: str, catalog: Catalog, file: str, locate) -> list[Finding]:
    """Findings from imports and call tokens; model ids from string literals or module constants only."""
    text, strings = _strip(text)
    aliases = _aliases(text)
    constants = _constants(text)
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
        positional, keywords = _arguments(text, m.end() - 1, strings)
        if any(keywords.get(flag) in _OFF for flag in ("pretrained", "weights")):
            continue
        if sig.load_if or sig.load_if_prefix:
            flags = [keywords[k] for k in sig.load_if if k in keywords]
            if sig.fixed_model and positional and not flags:
                flags = positional[:1]
            elif sig.arg_kw in sig.load_if and sig.arg_pos is not None and len(positional) > sig.arg_pos and not flags:
                flags = [positional[sig.arg_pos]]
            first = _value(_pick(positional, keywords, sig.arg_pos, sig.arg_kw), constants) or ""
            if not (sig.load_if_prefix and first.startswith(sig.load_if_prefix)) and not (
                    flags and any(f not in _OFF for f in flags)):
                continue
        arg = _pick(positional, keywords, sig.arg_pos, sig.arg_kw)
        if _no_load(sig, arg, positional, keywords, constants):
            continue
        model = sig.fixed_model or (qualified.rsplit(".", 1)[-1] if sig.named else _value(arg, constants))
        hub, revision = sig.hub, None
        if sig.normalize == "torch_hub":
            entry = _value(_pick(positional, keywords, sig.arg2_pos, sig.arg2_kw), constants)
            model, revision = torch_hub(model, entry) if model and entry else (None, None)
        elif model:
            model, hub = normalize(sig.normalize, model, sig.hub)
        elif arg is None and sig.task_pos is not None:
            task = _value(_pick(positional, keywords, sig.task_pos, sig.task_kw), constants)
            model = catalog.task_default(task) if task else None
        lineno = _line(starts, m.start())
        cell, line = locate(lineno)
        end = text.find("\n", m.start())
        findings.append(Finding(
            file=file, line=line, col=m.start() - starts[lineno - 1], cell=cell, library=sig.library,
            api=qualified, call_text=text[m.start(): end if end != -1 else None].strip()[:300],
            arg_text=arg.strip()[:300] if arg else None, model=model, candidates=[model] if model else [],
            resolution="token_scan", confidence=0.5 if model else 0.2, hub=hub, revision=revision,
            trust_remote_code=None, is_local_path=bool(model) and is_local_path(model, sig.hub)))
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
