"""Jupyter (.ipynb) and percent-format (# %%) notebooks as Python source with a line map back to cells."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

_MAGIC = re.compile(r"^\s*(%|!|\?)|^\s*[\w.]+\s*=\s*[!%]|^\s*[\w.]+\?{1,2}\s*$")
_PERCENT = re.compile(r"^# ?%%")
_PYTHON_CELL_MAGIC = re.compile(r"^\s*%%(capture|time|timeit|prun|debug)\b")  # the cell body is still Python


class NotebookError(ValueError):
    """The file is not a readable notebook."""


@dataclass
class CellSource:
    index: int  # 0-based position in the cells array (markdown cells count)
    text: str


def _clean(line: str) -> str:
    """IPython magics and shell escapes become blank lines, keeping line numbers."""
    return "" if _MAGIC.match(line) else line


def notebook_cells(data: bytes) -> list[CellSource]:
    """Code cells of an .ipynb with magics blanked out."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise NotebookError(f"invalid notebook JSON: {exc}") from None
    cells = doc.get("cells") if isinstance(doc, dict) else None
    if cells is None and isinstance(doc, dict) and isinstance(doc.get("worksheets"), list):  # nbformat 3
        cells = [c for ws in doc["worksheets"] if isinstance(ws, dict) for c in ws.get("cells", [])]
    if not isinstance(cells, list):
        raise NotebookError("notebook has no cells array")
    out = []
    for i, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        src = cell.get("source", cell.get("input", ""))
        # a list holding anything but strings (numbers, nulls from a hostile or broken file): its strings only
        text = "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else \
            src if isinstance(src, str) else ""
        lines = text.split("\n")
        if lines and _PYTHON_CELL_MAGIC.match(lines[0]):
            lines = [""] + lines[1:]
        elif lines and lines[0].lstrip().startswith("%%"):  # another cell magic: not Python
            lines = [""] * len(lines)
        out.append(CellSource(i, "\n".join(_clean(line) for line in lines)))
    return out


def join_cells(cells: list[CellSource]) -> tuple[str, list[tuple[int, int]]]:
    """One module of all cells and a map: module line (1-based) -> (cell index, line in cell)."""
    parts, where = [], [(0, 0)]
    for cell in cells:
        lines = cell.text.split("\n")
        parts.extend(lines)
        where.extend((cell.index, n) for n in range(1, len(lines) + 1))
    return "\n".join(parts), where


def is_percent(text: str) -> bool:
    return any(_PERCENT.match(line) for line in text.splitlines()[:2000])


def percent_map(text: str) -> list[tuple[int, int]]:
    """Line map of a percent-format script: module line -> (cell index, line in cell).

    A cell starts at each `# %%` marker (markdown cells count); lines before the first marker form
    cell 0 only when they hold something other than blanks."""
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if _PERCENT.match(line)), len(lines))
    cell = 0 if any(line.strip() for line in lines[:first]) else -1
    start, where = -1, [(0, 0)]
    for i, line in enumerate(lines):
        if _PERCENT.match(line):
            cell, start = cell + 1, i
        where.append((max(cell, 0), i - start))  # the marker itself is line 0 of its cell
    return where
