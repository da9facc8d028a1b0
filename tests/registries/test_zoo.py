"""torchvision's model zoo read with ast (never imported) and merged into PyTorch Hub as the paper did."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from peatmoss.db import session_scope
from peatmoss.db import models as m
from peatmoss.registries.pytorch_hub import collect_pytorch_hub
from peatmoss.registries.zoo import bundled_zoo, read_tree, read_wheel, write_facts

API = "class WeightsEnum:\n    pass\ndef register_model(name=None):\n    return lambda f: f\n"
CLASSIFIER = '''
import torch  # never imported by the reader
from ._api import register_model, Weights, WeightsEnum
__all__ = ["TinyNet", "TinyNet_Weights", "tinynet", "helper"]

class TinyNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(url="https://example.org/a.pth")
    IMAGENET1K_V2 = Weights(url="https://example.org/b.pth")
    DEFAULT = IMAGENET1K_V2

@register_model()
def tinynet(*, weights: Optional[TinyNet_Weights] = None, progress: bool = True):
    raise SystemExit("must not run")

def helper(x):
    return x
'''
QUANTIZED = '''
from .._api import register_model, Weights, WeightsEnum
from ..tiny import TinyNet_Weights

class TinyNet_QuantizedWeights(WeightsEnum):
    IMAGENET1K_FBGEMM_V1 = Weights(url="https://example.org/q.pth")

@register_model(name="quantized_tinynet")
def tinynet(*, weights: Optional[Union[TinyNet_QuantizedWeights, TinyNet_Weights]] = None, quantize=False):
    pass
'''
OLD_STYLE = ('__all__ = ["oldnet", "list_things"]\n'
             "def oldnet(pretrained=False):\n    pass\ndef list_things():\n    pass\n")


def _tree(root):
    models = root / "torchvision" / "models"
    (models / "quantization").mkdir(parents=True)
    (models / "_api.py").write_text(API)
    (models / "tiny.py").write_text(CLASSIFIER)
    (models / "quantization" / "tiny.py").write_text(QUANTIZED)
    (models / "old.py").write_text(OLD_STYLE)
    return root


def test_reads_builders_weights_and_submodules(tmp_path):
    found = {z.builder: z for z in read_tree(_tree(tmp_path))}
    assert set(found) == {"tinynet", "quantized_tinynet", "oldnet"}  # helper and list_things are no builders
    assert found["tinynet"].weights == ["TinyNet_Weights.IMAGENET1K_V1", "TinyNet_Weights.IMAGENET1K_V2"]
    assert found["tinynet"].submodule == "" and found["oldnet"].weights == []
    q = found["quantized_tinynet"]
    assert (q.function, q.submodule) == ("tinynet", "quantization")
    assert q.weights == ["TinyNet_QuantizedWeights.IMAGENET1K_FBGEMM_V1", "TinyNet_Weights.IMAGENET1K_V1",
                         "TinyNet_Weights.IMAGENET1K_V2"]


def test_wheel_reads_like_tree_and_facts_round_trip(tmp_path):
    root = _tree(tmp_path / "src")
    wheel = tmp_path / "torchvision-9.9.9-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path in root.rglob("*.py"):
            zf.write(path, path.relative_to(root).as_posix())
        zf.writestr("torchvision/io/video.py", "def not_a_model(weights=None):\n    pass\n")
    assert read_wheel(wheel) == read_tree(root)
    out = io.StringIO()
    write_facts(read_wheel(wheel), "torchvision==9.9.9", out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("builder,function,submodule,weights") and len(lines) == 4
    assert "quantized_tinynet,tinynet,quantization," in out.getvalue()


def test_bundled_facts():
    rows = bundled_zoo()
    assert len(rows) > 100 and all(r["license"] == "BSD-3-Clause" and r["source"].startswith("torchvision==")
                                   for r in rows)
    subs = {r["submodule"] for r in rows}
    assert {"", "quantization", "segmentation", "detection", "video", "optical_flow"} <= subs


@pytest.mark.shared
def test_shared_pages_plus_zoo_reach_the_papers_count(db_url, shared_data):
    pages_only = collect_pytorch_hub(db_url, shared_data / "pytorch_hub", zoo=False).models
    counts = collect_pytorch_hub(db_url, shared_data / "pytorch_hub")
    assert counts.models >= 362 > pages_only and counts.errors == 0
    with session_scope(db_url) as s:
        reg = s.scalar(select(m.Registry.id).where(m.Registry.name == "pytorch_hub"))
        models = s.scalars(select(m.Model).where(m.Model.registry_id == reg)).all()
        assert len(models) == counts.models
        for model in models:
            tags = set(s.scalars(select(m.Tag.name).join(m.model_to_tag, m.model_to_tag.c.tag_id == m.Tag.id)
                                 .where(m.model_to_tag.c.model_id == model.id)))
            licenses = set(s.scalars(select(m.License.name).join(
                m.model_to_license, m.model_to_license.c.license_id == m.License.id)
                .where(m.model_to_license.c.model_id == model.id)))
            assert "pytorch" in tags and "library:pytorch" in tags, model.hub_id
            if model.hub_id.startswith("pytorch/vision/"):
                assert licenses and model.author and model.author.name, model.hub_id
        by_id = {x.hub_id: x for x in models}
        tags_of = {h: set(s.scalars(select(m.Tag.name).join(m.model_to_tag, m.model_to_tag.c.tag_id == m.Tag.id)
                                    .where(m.model_to_tag.c.model_id == by_id[h].id)))
                   for h in ["pytorch/vision/quantized_resnet50", "pytorch/vision/fasterrcnn_resnet50_fpn",
                             "pytorch/vision/raft_large", "pytorch/vision/r3d_18", "pytorch/vision/fcn_resnet50",
                             "pytorch/vision/alexnet"]}
    assert "quantization" in tags_of["pytorch/vision/quantized_resnet50"]
    assert "object_detection" in tags_of["pytorch/vision/fasterrcnn_resnet50_fpn"]
    assert "optical_flow" in tags_of["pytorch/vision/raft_large"] and "video" in tags_of["pytorch/vision/r3d_18"]
    assert "segmentation" in tags_of["pytorch/vision/fcn_resnet50"]
    assert "vision" in tags_of["pytorch/vision/alexnet"]  # a page's tag, merged with the zoo's builder
    # a published weight set is a model of its own, with its builder's tags
    assert "pytorch/vision/resnet50/IMAGENET1K_V2" in by_id and "pytorch/vision/resnet50" in by_id
    assert "pytorch/vision/quantized_resnet50/IMAGENET1K_FBGEMM_V1" in by_id


def test_cli_no_zoo_flag(tmp_path):
    from typer.testing import CliRunner

    from peatmoss.cli import app

    pages = tmp_path / "hub"
    pages.mkdir()
    (pages / "owner_repo_net.md").write_text("---\ntitle: Net\ntags: [vision]\n---\n```python\n"
                                             "torch.hub.load('owner/repo', 'net')\n```\n")
    runner = CliRunner()
    bare = runner.invoke(app, ["--db", str(tmp_path / "a.db"), "collect", "pytorch-hub", "--source", str(pages),
                               "--no-zoo", "--format", "json"])
    merged = runner.invoke(app, ["--db", str(tmp_path / "b.db"), "collect", "pytorch-hub", "--source", str(pages),
                                 "--format", "json"])
    assert bare.exit_code == 0 == merged.exit_code, bare.output + merged.output
    bare, merged = json.loads(bare.output), json.loads(merged.output)
    assert bare["models"] == 1 and bare["zoo"] == 0
    assert merged["zoo"] > 100 and merged["models"] == 1 + merged["zoo"]
