"""Small git repositories that load models, for the mining tests."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "usage" / "fixtures_repo"))
from gitrepos import make_simple_repo  # noqa: E402

LOADS = ['from transformers import AutoModel\nm = AutoModel.from_pretrained("org{i}/model-{i}")\n',
         'import timm\nnet = timm.create_model("resnet{i}", pretrained=True)\n',
         'from sentence_transformers import SentenceTransformer\nst = SentenceTransformer("all-MiniLM-L{i}-v2")\n']


def make_repos(root: Path, n: int) -> list[str]:
    specs = []
    for i in range(n):
        files = {f"pkg/m{j}.py": LOADS[(i + j) % 3].format(i=i) for j in range(3)}
        files["README.md"] = f"repo {i}\n"
        make_simple_repo(root / f"r{i:03d}", files)
        specs.append(str(root / f"r{i:03d}"))
    return specs
