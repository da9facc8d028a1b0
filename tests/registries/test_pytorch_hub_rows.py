"""PyTorch Hub models get the rows a Hugging Face model has: tags (page + torchvision sub-module), author,
library, framework and their GitHub repository's license; I-3 and Figure 8 then agree on their domain."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from peatmoss.analysis.figures import fig8_domains
from peatmoss.analysis.load import load
from peatmoss.analysis.queries import run
from peatmoss.db import get_engine, session_scope
from peatmoss.db import models as m
from peatmoss.licenses.modellicense import fill_license_table
from peatmoss.registries.pytorch_hub import collect_pytorch_hub, repo_licenses, submodule_tag

HUBCONF = """dependencies = ["torch"]
from torchvision.models.resnet import resnet18
from torchvision.models.video import r3d_18
from torchvision.models.detection import fasterrcnn_resnet50_fpn
from torchvision.models.quantization import mobilenet_v2 as quantized_mobilenet_v2
from torchvision.models.optical_flow import raft_large
"""


def _rows(url: str) -> dict[str, dict]:
    """hub_id -> its tags, author, library, framework and licenses, read through the shared tables."""
    out: dict[str, dict] = {}
    with session_scope(url) as s:
        reg = s.scalar(select(m.Registry.id).where(m.Registry.name == "pytorch_hub"))
        for model in s.scalars(select(m.Model).where(m.Model.registry_id == reg)):
            def names(link, table, col):
                return {n for (n,) in s.execute(select(table.name).join(link, getattr(link.c, col) == table.id)
                                                .where(link.c.model_id == model.id))}
            out[model.hub_id] = {
                "tags": names(m.model_to_tag, m.Tag, "tag_id"),
                "author": model.author.name if model.author else None, "library_name": model.library_name,
                "libraries": names(m.model_to_library, m.library_view.c, "library_id"),
                "frameworks": names(m.model_to_framework, m.framework_view.c, "framework_id"),
                "licenses": names(m.model_to_license, m.License, "license_id")}
    return out


def test_submodule_tags():
    assert submodule_tag("https://github.com/pytorch/vision/blob/main/torchvision/models/segmentation/fcn.py") \
        == "segmentation"
    assert submodule_tag("torchvision.models.detection") == "object_detection"
    assert submodule_tag("torchvision/models/resnet.py") is None and submodule_tag(None) is None


@pytest.mark.shared
def test_shared_pages_get_model_rows(db_url, shared_data, tmp_path):
    hubconfs = tmp_path / "hubconfs" / "pytorch" / "vision"
    hubconfs.mkdir(parents=True)
    (hubconfs / "hubconf.py").write_text(HUBCONF)
    collect_pytorch_hub(db_url, shared_data / "pytorch_hub", tmp_path / "hubconfs")
    rows = _rows(db_url)
    assert len(rows) > 50
    for hub_id, r in rows.items():
        assert r["library_name"] == "pytorch" and r["libraries"] == {"pytorch"} == r["frameworks"], hub_id
    paged = {h: r for h, r in rows.items() if r["author"]}
    assert all(r["tags"] for r in paged.values())  # every page has tags
    assert rows["pytorch/vision/alexnet"]["author"] == "Pytorch Team"
    assert {"vision", "scriptable"} <= rows["pytorch/vision/alexnet"]["tags"]
    assert "segmentation" in rows["pytorch/vision/deeplabv3_resnet101"]["tags"]  # from the page's github-link
    assert "segmentation" in rows["pytorch/vision/fcn_resnet101"]["tags"]
    assert "video" in rows["pytorch/vision/r3d_18"]["tags"]  # from the hubconf's import
    assert "object_detection" in rows["pytorch/vision/fasterrcnn_resnet50_fpn"]["tags"]
    assert "quantization" in rows["pytorch/vision/quantized_mobilenet_v2"]["tags"]
    assert "optical_flow" in rows["pytorch/vision/raft_large"]["tags"]
    assert rows["pytorch/vision/resnet18"]["author"] == "Pytorch Team"  # a hubconf entry keeps the page's author
    # the GitHub repository's license (bundled facts), matched whatever the case of the load call
    assert rows["pytorch/vision/alexnet"]["licenses"] == {"bsd-new"}
    assert rows["ultralytics/yolov5/yolov5s"]["licenses"] == {"agpl-3.0"}
    assert rows["datvuthanh/hybridnets/hybridnets"]["licenses"] == {"mit"}
    assert rows["NVIDIA/DeepLearningExamples/nvidia_ssd"]["licenses"] == set()  # no license found at its root
    licensed = sum(bool(r["licenses"]) for r in rows.values())
    expected = sum(bool(repo_licenses().get(h.rsplit("/", 1)[0].lower())) for h in rows)
    assert licensed >= expected > 0
    with session_scope(db_url) as s:  # the licenses stage reads them like Hub license ids
        fill_license_table(s)
        spdx = dict(s.execute(select(m.License.name, m.License.spdx_expression)).all())
    assert spdx["bsd-new"] == "BSD-3-Clause" and spdx["agpl-3.0"] == "AGPL-3.0-only"
    # one domain per model for query I-3 and Figure 8; most PyTorch Hub models are vision models
    f8 = fig8_domains(load(get_engine(db_url))).data
    pt = f8[f8["hub"] == "pytorch_hub"].set_index("domain")["models"]
    i3, _ = run(get_engine(db_url), "DOM-1")
    assert dict(zip(i3["domain"], i3["models"])) == {k: int(v) for k, v in pt.items() if v}
    assert pt["CV"] > len(rows) / 2 and pt.get("Audio", 0) > 0 and pt.get("NLP", 0) > 0
