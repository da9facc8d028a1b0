"""Markdown structure of a card body: headed sections, fenced code blocks, tables (all with offsets)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE_LINE = re.compile(r"^[ \t]{0,8}(```+|~~~+)[ \t]{0,8}([\w+\-.]{0,40})([^\n]{0,500})$", re.M)
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.M)
_HTML_HEADING = re.compile(r"<h([1-6])[^>\n]{0,300}>(.{0,500}?)</h\1>", re.I | re.S)
_TABLE = re.compile(r"(?:^[ \t]{0,8}\|[^\n]{0,5000}\|[ \t]{0,8}\r?\n){2,}", re.M)


_CANDIDATES: dict[str, re.Pattern] = {}


def line_matches(rx: re.Pattern, text: str, start: int, first: str):
    """The matches of `rx` (anchored with ^, re.M) at the lines from `start` on whose first non-blank character
    is one of `first`. The candidate lines are found by a search that starts with a literal newline, which the
    regex engine skips to quickly; running a ^-anchored pattern over every position is many times slower."""
    cand = _CANDIDATES.get(first)
    if cand is None:
        cand = _CANDIDATES[first] = re.compile(r"\n[ \t]{0,8}[" + re.escape(first) + "]")
    if start == 0 or text[start - 1:start] == "\n":
        if m := rx.match(text, start):
            yield m
            start = max(m.end(), start + 1)
    pos = start - 1 if start > 0 else 0
    while (c := cand.search(text, pos)) is not None:
        if m := rx.match(text, c.start() + 1):
            yield m
            pos = max(m.end() - 1, c.start() + 1)
        else:
            pos = c.start() + 1


@dataclass
class Section:
    level: int
    title: str
    start: int  # heading start
    body_start: int
    end: int  # where the next heading of the same or higher level begins

    def body(self, text: str) -> str:
        return text[self.body_start:self.end]


@dataclass
class CodeBlock:
    lang: str
    start: int
    end: int
    code_start: int
    code_end: int


def code_blocks(text: str, start: int = 0) -> list[CodeBlock]:
    """Fenced blocks: an opening fence line up to the next bare line with the same fence (linear scan)."""
    if "```" not in text and "~~~" not in text:
        return []
    lines = list(line_matches(_FENCE_LINE, text, start, "`~"))
    out, i = [], 0
    while i < len(lines):
        m = lines[i]
        close = next((j for j in range(i + 1, len(lines)) if lines[j].group(1) == m.group(1)
                      and not (lines[j].group(2) + lines[j].group(3)).strip()), None)
        if close is None:
            i += 1
            continue
        end = lines[close]
        code_start = min(m.end() + 1, len(text))
        out.append(CodeBlock(m.group(2).lower(), m.start(), end.end(), code_start, max(code_start, end.start())))
        i = close + 1
    return out


def _outside(spans: list[CodeBlock], pos: int) -> bool:
    return not any(b.start <= pos < b.end for b in spans)


def sections(text: str, start: int = 0, blocks: list[CodeBlock] | None = None) -> list[Section]:
    """Headed sections of the body (ATX and HTML headings outside code blocks)."""
    blocks = code_blocks(text, start) if blocks is None else blocks
    heads = [(len(m.group(1)), m.group(2).strip(), m.start(), m.end()) for m in line_matches(_HEADING, text, start, "#")
             if _outside(blocks, m.start())]
    heads += [(int(m.group(1)), re.sub(r"<[^>]+>", "", m.group(2)).strip(), m.start(), m.end())
              for m in _HTML_HEADING.finditer(text, start) if _outside(blocks, m.start())]
    heads.sort(key=lambda h: h[2])
    out = []
    for i, (level, title, hs, he) in enumerate(heads):
        end = len(text)
        for level2, _, hs2, _ in heads[i + 1:]:
            if level2 <= level:
                end = hs2
                break
        out.append(Section(level, title, hs, he, end))
    return out


@dataclass
class Table:
    start: int
    end: int
    header: list[str]
    rows: list[list[tuple[str, int, int]]]  # cells with offsets


def tables(text: str, start: int = 0, want=None, max_rows: int | None = None) -> list[Table]:
    """Pipe tables; `want(header cells)` (optional) says which tables to parse further, `max_rows` how many of a
    table's lines to parse at most."""
    out: list[Table] = []
    if "|" not in text:
        return out
    for m in line_matches(_TABLE, text, start, "|"):
        lines = []
        pos = m.start()
        rows = m.group(0).splitlines(keepends=True)
        if want is not None and not want([c.strip() for c in rows[0].strip().strip("|").split("|")]):
            continue
        if max_rows is not None:
            rows = rows[:max_rows + 2]  # header and separator lines besides
        for line in rows:
            cells = []
            for cm in re.finditer(r"\|([^|\n]*)(?=\|)", line):
                raw = cm.group(1)
                lead = len(raw) - len(raw.lstrip())
                cells.append((raw.strip(), pos + cm.start(1) + lead, pos + cm.start(1) + lead + len(raw.strip())))
            lines.append(cells)
            pos += len(line)
        if len(lines) < 2:
            continue
        header = [c[0] for c in lines[0]]
        body = [row for row in lines[1:] if not all(re.fullmatch(r":?-+:?", c[0] or "-") for c in row)]
        out.append(Table(m.start(), m.end(), header, body))
    return out


PLACEHOLDER = re.compile(r"^\W*(?:more information needed|\[?more information needed\]?|tbd|todo|n/?a|none|"
                         r"coming soon|\[?needs more information\]?|to be added|-)?\W*$", re.I)


def is_placeholder(body: str) -> bool:
    """A template section nobody filled in: empty, "More information needed", TODO, or only HTML comments (a
    section whose heading sits inside a comment starts in one and may end in another)."""
    if "-->" in body and ("<!--" not in body or body.index("-->") < body.index("<!--")):
        body = body[body.index("-->") + 3:]
    if "<!--" in body:
        body = re.sub(r"<!--.*?(?:-->|$)", "", body, flags=re.S)
    stripped = body.strip()
    if re.match(r"^\W{0,3}more information needed\W{0,3}\n\s{0,9}#", stripped, re.I):
        return True  # the section's own text is the placeholder; what follows are the template's sub-sections
    if len(stripped) >= 300:
        return False
    return bool(PLACEHOLDER.match(stripped) or re.match(r"^\[?\s*TODO\b", stripped, re.I))


INJECTION = re.compile(
    r"ignore (?:all |any |the )?(?:previous|prior|above|earlier) (?:instructions|prompts?)|disregard (?:all |the )?"
    r"(?:previous|above|prior)|\byou are now\b|system prompt|\breport (?:the|its|this) [\w ]{1,40} as\b|"
    r"do not report|new instructions", re.I)
_INJECTION_WORDS = ("ignore", "disregard", "you are now", "system prompt", "report", "new instructions")


def injection_spans(text: str, start: int = 0, low: str | None = None) -> list[tuple[int, int]]:
    """Paragraphs that address a reader with instructions ("ignore previous instructions"): not card facts.
    `low`: text.lower() when the caller has it already."""
    spans: list[tuple[int, int]] = []
    low = text.lower() if low is None else low
    if not any(w in low for w in _INJECTION_WORDS):
        return spans
    starts = set()  # the alternation runs only near the words (positions found by str.find)
    for w in _INJECTION_WORDS:
        pos, n = low.find(w, start), 0
        while pos >= 0 and n < 50:
            starts.add(pos)
            pos, n = low.find(w, pos + len(w)), n + 1
    found = {}
    for pos in sorted(starts):
        if (m := INJECTION.search(text, max(start, pos - 10), pos + 80)) and m.start() not in found:
            found[m.start()] = m
    for m in (found[k] for k in sorted(found)):
        if spans and m.start() < spans[-1][1]:
            continue
        lo = max(text.rfind("\n\n", 0, m.start()), start - 1) + 1
        hi = text.find("\n\n", m.end())
        spans.append((lo, hi if hi >= 0 else len(text)))
    return spans
