"""The byte prefilter is sound: on a real corpus it hides no file that has a finding."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from usage_markers import FIXTURES

from peatmoss.usage import scan_files
from peatmoss.usage.catalog import load_catalog
from peatmoss.usage.model import SourceFile
from peatmoss.usage.prefilter import Prefilter, import_tokens
from peatmoss.usage.walk import walk

SITE = Path(next(p for p in sys.path if p.endswith("site-packages")))


def _corpus() -> list[SourceFile]:
    files = [f for f in walk(FIXTURES) if isinstance(f, SourceFile)]
    hub = sorted((SITE / "huggingface_hub").rglob("*.py"))
    others = sorted(SITE.glob("*/*.py"))
    random.Random(7).shuffle(others)
    hub = [p for p in hub if p.stat().st_size < 60_000]
    for path in hub + others[:150]:
        rel = "site/" + path.relative_to(SITE).as_posix()
        files.append(SourceFile(rel, path.stat().st_size, path.read_bytes))
    return files


def test_prefilter_hides_no_finding():
    corpus = _corpus()
    fast = scan_files(corpus)
    full = scan_files(corpus, prefilter=False)
    key = lambda f: (f.file, f.cell, f.line, f.col, f.api, f.model)  # noqa: E731
    assert sorted(map(key, full.findings)) == sorted(map(key, fast.findings))
    assert any(f.file.startswith("site/huggingface_hub") for f in full.findings)  # the corpus has real loads
    skipped = [r for r in fast.files if r.message and r.message.startswith("prefilter")]
    assert len(skipped) > len(corpus) / 2  # and the prefilter does skip most files


def test_import_tokens_cover_continuations():
    data = b"x = 1\nfrom \\\n  transformers import (\n    AutoModel,\n    pipeline)\nimport a, b as c\n"
    tokens = import_tokens(data)
    assert {b"transformers", b"AutoModel", b"pipeline", b"a", b"b", b"c"} <= tokens
    assert b"x" not in tokens
    pf = Prefilter(load_catalog())
    assert pf.hot(data) and not pf.hot(b"import numpy\nprint('transformers')\n")
    assert pf.hot(b"from langchain_community.embeddings import HuggingFaceEmbeddings\n")


def test_reexport_through_repo_module_is_not_hidden():
    files = {
        "lib/loaders.py": b"from transformers import AutoModel as Loader\n",
        "lib/__init__.py": b"from .loaders import Loader\n",
        "app/main.py": b"from lib import Loader\nLoader.from_pretrained('gpt2')\n",
        "app/other.py": b"import os\nprint(os.name)\n",
    }
    result = scan_files(SourceFile(p, len(d), (lambda d=d: d)) for p, d in files.items())
    assert [(f.file, f.model, f.api) for f in result.findings] == [
        ("app/main.py", "gpt2", "transformers.AutoModel.from_pretrained")]
