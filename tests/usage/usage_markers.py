"""Read the `# expect: ...` markers that fixture files carry on the line of each (non-)load."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from peatmoss.usage import scan_path

FIXTURES = Path(__file__).parent / "fixtures"
_MARK = re.compile(r"#\s*expect:\s*(.*?)\s*(?:\\n)?$")


def _parse(spec: str) -> dict:
    if spec.strip() == "none":
        return {"none": True}
    out = {}
    for part in spec.split():
        key, _, value = part.partition("=")
        out[key] = value
    return out


def markers(path: Path, rel: str) -> dict[tuple[int | None, int], dict]:
    """(cell, line) -> expected fields, for a .py file or the code cells of a notebook."""
    found = {}
    if path.suffix == ".ipynb":
        try:
            doc = json.loads(path.read_text("utf-8"))
        except ValueError:
            return found
        for index, cell in enumerate(doc.get("cells", [])):
            src = cell.get("source", "")
            lines = ("".join(src) if isinstance(src, list) else src).split("\n")
            for n, line in enumerate(lines, 1):
                m = _MARK.search(line)
                if m:
                    found[(index, n)] = _parse(m.group(1))
        return found
    text = path.read_bytes().decode("utf-8", "replace")
    percent = "# %%" in text
    cell, start = (-1, 0)
    for n, line in enumerate(text.split("\n"), 1):
        if percent and line.startswith("# %%"):
            cell, start = cell + 1, n
        m = _MARK.search(line)
        if m:
            found[(cell if percent else None, n - start if percent else n)] = _parse(m.group(1))
    return found


def all_markers(root: Path = FIXTURES) -> dict[tuple[str, int | None, int], dict]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".ipynb") and path.is_file():
            rel = path.relative_to(root).as_posix()
            for (cell, line), spec in markers(path, rel).items():
                out[(rel, cell, line)] = spec
    return out


@pytest.fixture(scope="session")
def fixture_scan():
    """One scan of the whole fixtures folder (it is a small repository)."""
    return scan_path(FIXTURES)
