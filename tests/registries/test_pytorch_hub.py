"""PyTorch Hub pages: front matter and every (repo, model) loaded in their code blocks."""

from __future__ import annotations

import zipfile

import pytest
from sqlalchemy import func, select

from peatmoss.db import get_engine
from peatmoss.db import models as m
from peatmoss.registries.pytorch_hub import collect_pytorch_hub, hubconf_entrypoints, parse_page

PAGE = '''---
layout: hub_detail
title: Demo
summary: A page
category: researchers
tags: [vision, scriptable]
github-link: https://github.com/owner/repo/blob/main/hubconf.py
github-id: owner/repo
accelerator: “cuda-optional”
---

```python
import torch
model = torch.hub.load('owner/repo:v1.0', 'net_small', pretrained=True)
# model = torch.hub.load('owner/repo:v1.0', 'net_large', pretrained=True)
variant = "net_tiny"
other = torch.hub.load(repo_or_dir="owner/repo", model=variant)
dyn = torch.hub.load('owner/repo', get_name())
```

```
$ pip install something
```
'''


def test_parse_page_forms():
    page = parse_page("owner_repo_net", PAGE)
    assert page.front_matter["accelerator"] == "cuda-optional"  # curly quotes removed
    pairs = {(e.repo, e.entrypoint, e.ref) for e in page.entries}
    assert pairs == {("owner/repo", "net_small", "v1.0"), ("owner/repo", "net_large", "v1.0"),
                     ("owner/repo", "net_tiny", None)}
    assert page.entries[0].line == 14
    assert page.unresolved == ["torch.hub.load('owner/repo', get_name())"]


def test_hubconf_read_not_run():
    source = "dependencies = ['torch']\nfrom .models import resnet18, resnet50 as r50\nimport os\n" \
             "def _helper():\n    pass\ndef tiny(pretrained=False):\n    raise SystemExit('must not run')\n" \
             "alias = tiny\n"
    assert hubconf_entrypoints(source) == ["resnet18", "r50", "tiny", "alias"]


def test_collect_from_zip_with_hubconf(sqlite_url, tmp_path):
    archive = tmp_path / "hub.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("hub-master/owner_repo_net.md", PAGE)
        zf.writestr("hub-master/README.md", "# not a model page")
        zf.writestr("hub-master/broken.md", b"---\ntitle: [unclosed\n---\n")
    hubconfs = tmp_path / "hubconfs" / "owner" / "repo"
    hubconfs.mkdir(parents=True)
    (hubconfs / "hubconf.py").write_text("def net_small():\n    pass\ndef net_huge():\n    pass\n")
    counts = collect_pytorch_hub(sqlite_url, archive, tmp_path / "hubconfs", zoo=False)
    # errors are the run's error rows: the broken page and the unresolved load
    assert counts.pages == 1 and counts.errors == 2 and counts.entries == 5
    assert counts.models == 4  # net_small, net_large, net_tiny, net_huge
    with get_engine(sqlite_url).connect() as conn:  # the snapshot lists its models
        assert conn.execute(select(func.count()).select_from(m.ModelStats)).scalar_one() == 4
    with get_engine(sqlite_url).connect() as conn:
        kinds = conn.execute(select(m.CollectionError.error_kind)).scalars().all()
    assert sorted(kinds) == ["FrontMatterError", "unresolved_entrypoint"]


@pytest.mark.shared
def test_shared_pages_one_row_per_pair(db_url, shared_data):
    source = shared_data / "pytorch_hub"
    expected = {}
    for path in sorted(source.glob("*.md")):
        page = parse_page(path.stem, path.read_text(encoding="utf-8"))
        if page.front_matter:
            expected[path.stem] = {(e.repo, e.entrypoint) for e in page.entries}
    assert len(expected) == 52
    counts = collect_pytorch_hub(db_url, source, zoo=False)
    assert counts.pages == 52 and counts.entries == sum(len(v) for v in expected.values())
    with get_engine(db_url).connect() as conn:
        rows = conn.execute(select(m.PytorchHubPage.slug, m.PytorchHubEntry.repo, m.PytorchHubEntry.entrypoint)
                            .join(m.PytorchHubEntry, m.PytorchHubEntry.page_id == m.PytorchHubPage.id)).all()
        pages = conn.execute(select(func.count()).select_from(m.PytorchHubPage)).scalar_one()
    got: dict[str, set] = {}
    for slug, repo, entry in rows:
        got.setdefault(slug, set()).add((repo, entry))
    assert len(rows) == sum(len(v) for v in got.values())  # one row per pair
    assert got == {k: v for k, v in expected.items() if v} and pages == 52
    # facts from the INDEX: positional, keyword and variable forms, refs, commented alternatives
    assert ("pytorch/vision", "resnet152") in got["pytorch_vision_resnet"]
    assert ("snakers4/silero-models", "silero_stt") in got["snakers4_silero-models_stt"]
    assert ("mit-han-lab/ProxylessNAS", "proxyless_cpu") in got["pytorch_vision_proxylessnas"]
    assert ("facebookresearch/pytorchvideo", "x3d_s") in got["facebookresearch_pytorchvideo_x3d"]
    assert ("facebookresearch/pytorch_GAN_zoo", "PGAN") in got["facebookresearch_pytorch-gan-zoo_pgan"]
