"""The torchvision, torchaudio and torchtext model zoos read with ast (never imported) and merged into PyTorch Hub
as the paper did."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from peatmoss.db import session_scope
from peatmoss.db import models as m
from peatmoss.registries.pytorch_hub import collect_pytorch_hub
from peatmoss.registries.zoo import (bundled_library_zoo, bundled_zoo, read_library_sources, read_library_wheel,
                                     read_tree, read_wheel, write_facts, write_library_facts)

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


AUDIO_INIT = ("from ._wav2vec2.impl import BASE_BUNDLE, Wav2VecBundle\n"
              "__all__ = ['Wav2VecBundle', 'BASE_BUNDLE']\n")
AUDIO_IMPL = '''
from dataclasses import dataclass
from torchaudio.models import wav2vec2_base

@dataclass
class Wav2VecBundle:
    """A bundle of :py:func:`~torchaudio.models.wav2vec2_base` weights."""
    path: str

BASE_BUNDLE = Wav2VecBundle("models/base.pth")
BASE_BUNDLE.__doc__ = """Pre-trained by :cite:`baevski2020wav2vec,voxpopuli` and fine-tuned.
[`License <https://example.org/LICENSE>`__]"""
'''
MODELS_INIT = ("from .wav2vec2 import wav2vec2_base, Wav2Vec2Model\nfrom .rnnt_decoder import Hypothesis\n"
               "__all__ = ['wav2vec2_base', 'Wav2Vec2Model', 'Hypothesis']\n")
MODELS_W2V_INIT = "from .model import wav2vec2_base, Wav2Vec2Model\n"
MODELS_W2V = '''
class Wav2Vec2Model:
    """wav2vec 2.0 :cite:`hsu2021hubert`."""

def wav2vec2_base(**kwargs):
    """Builds a model; see :py:class:`~torchaudio.models.Wav2Vec2Model`."""
    raise SystemExit("must not run")
'''
TEXT_INIT = "from .t5 import *  # noqa\n"
TEXT_T5_INIT = "from .bundler import T5_TINY, T5Bundle\n__all__ = ['T5Bundle', 'T5_TINY']\n"
TEXT_T5_BUNDLER = '''
DOC = """T5 {} from `a paper <https://arxiv.org/abs/1910.10683>`. [`License <https://example.org/t5>`__]"""
class T5Bundle:
    pass
T5_TINY = T5Bundle()
T5_TINY.__doc__ = DOC.format("tiny")
'''


def _library_files() -> dict[str, str]:
    return {"torchaudio/pipelines/__init__.py": AUDIO_INIT, "torchaudio/pipelines/_wav2vec2/__init__.py": "",
            "torchaudio/pipelines/_wav2vec2/impl.py": AUDIO_IMPL, "torchaudio/models/__init__.py": MODELS_INIT,
            "torchaudio/models/wav2vec2/__init__.py": MODELS_W2V_INIT,
            "torchaudio/models/wav2vec2/model.py": MODELS_W2V,
            "torchaudio/models/rnnt_decoder.py": "Hypothesis = tuple\n", "torchaudio/io/x.py": "BAD = (",
            "torchtext/models/__init__.py": TEXT_INIT, "torchtext/models/t5/__init__.py": TEXT_T5_INIT,
            "torchtext/models/t5/bundler.py": TEXT_T5_BUNDLER}


def test_reads_library_public_names_kinds_families_and_papers():
    audio = {z.name: z for z in read_library_sources("torchaudio", _library_files().items())}
    assert list(audio) == ["Wav2VecBundle", "BASE_BUNDLE", "wav2vec2_base", "Wav2Vec2Model", "Hypothesis"]
    assert {n: (z.kind, z.package, z.family) for n, z in audio.items()} == {
        "Wav2VecBundle": ("class", "pipelines", "wav2vec2"), "BASE_BUNDLE": ("bundle", "pipelines", "wav2vec2"),
        "wav2vec2_base": ("builder", "models", "wav2vec2"), "Wav2Vec2Model": ("class", "models", "wav2vec2"),
        "Hypothesis": ("alias", "models", "rnnt_decoder")}
    assert audio["BASE_BUNDLE"].papers == ["2006.11477", "2101.00390"]
    assert audio["BASE_BUNDLE"].weights_license_url == "https://example.org/LICENSE"
    assert audio["wav2vec2_base"].papers == ["2106.07447"]  # from the class its docstring names
    text = read_library_sources("torchtext", _library_files().items())
    assert [(z.name, z.kind, z.family, z.papers) for z in text] == [
        ("T5Bundle", "class", "t5", []), ("T5_TINY", "bundle", "t5", ["1910.10683"])]


def test_library_wheel_reads_like_sources_and_facts_round_trip(tmp_path):
    wheel = tmp_path / "torchaudio-9.9.9-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, text in _library_files().items():
            zf.writestr(path, text)
    assert read_library_wheel("torchaudio", wheel) == read_library_sources("torchaudio", _library_files().items())
    out = io.StringIO()
    write_library_facts("torchaudio", read_library_wheel("torchaudio", wheel), "torchaudio==9.9.9", out)
    rows = out.getvalue().splitlines()
    assert rows[0] == "name,kind,package,family,papers,weights_license_url,source,license,license_url"
    assert rows[2].startswith("BASE_BUNDLE,bundle,pipelines,wav2vec2,2006.11477 2101.00390,https://example.org/")
    assert len(rows) == 6 and all(",BSD-2-Clause," in r for r in rows[1:])
    with pytest.raises(ValueError, match="no bundled zoo"):
        bundled_library_zoo("torchvideo")


def test_bundled_facts():
    rows = bundled_zoo()
    assert len(rows) > 100 and all(r["license"] == "BSD-3-Clause" and r["source"].startswith("torchvision==")
                                   for r in rows)
    subs = {r["submodule"] for r in rows}
    assert {"", "quantization", "segmentation", "detection", "video", "optical_flow"} <= subs
    audio, text = bundled_library_zoo("torchaudio"), bundled_library_zoo("torchtext")
    assert len(audio) == 90 and len(text) == 40  # the paper's torchaudio and torchtext counts
    assert {r["kind"] for r in audio} == {"bundle", "builder", "class", "alias"}
    assert all(r["license"] == "BSD-2-Clause" and r["source"].startswith("torchaudio==") for r in audio)
    assert all(r["license"] == "BSD-3-Clause" and r["source"].startswith("torchtext==") for r in text)
    assert sum(r["kind"] == "bundle" for r in audio) == 40 and sum(r["kind"] == "bundle" for r in text) == 32


def _tags_and_licenses(s, registry: str) -> dict[str, tuple[set, set, m.Model]]:
    reg = s.scalar(select(m.Registry.id).where(m.Registry.name == registry))
    out = {}
    for model in s.scalars(select(m.Model).where(m.Model.registry_id == reg)).all():
        tags = set(s.scalars(select(m.Tag.name).join(m.model_to_tag, m.model_to_tag.c.tag_id == m.Tag.id)
                             .where(m.model_to_tag.c.model_id == model.id)))
        licenses = set(s.scalars(select(m.License.name).join(
            m.model_to_license, m.model_to_license.c.license_id == m.License.id)
            .where(m.model_to_license.c.model_id == model.id)))
        out[model.hub_id] = (tags, licenses, model)
    return out


@pytest.mark.shared
def test_shared_pages_plus_zoos_reach_the_papers_count(db_url, shared_data):
    pages_only = collect_pytorch_hub(db_url, shared_data / "pytorch_hub", zoo=False).models
    counts = collect_pytorch_hub(db_url, shared_data / "pytorch_hub")
    assert counts.models >= 362 > pages_only and counts.errors == 0
    with session_scope(db_url) as s:
        models = _tags_and_licenses(s, "pytorch_hub")
        assert len(models) == counts.models
        for hub_id, (tags, licenses, model) in models.items():
            assert "pytorch" in tags and "library:pytorch" in tags, hub_id
            assert model.author and model.author.name, hub_id
        complete = [h for h, (tags, licenses, _) in models.items()
                    if tags - {"pytorch", "library:pytorch"} and licenses]
        assert len(complete) >= 362
        # the only models without a license are those of repositories that declare none (the paper's data agrees)
        bare = {h.rsplit("/", 1)[0] for h, (_, licenses, _) in models.items() if not licenses}
        assert bare == {"NVIDIA/DeepLearningExamples", "huawei-noah/Efficient-AI-Backbones", "szq0214/MEAL-V2"}
    tags_of = {h: models[h][0] for h in models}
    assert "quantization" in tags_of["pytorch/vision/quantized_resnet50"]
    assert "object_detection" in tags_of["pytorch/vision/fasterrcnn_resnet50_fpn"]
    assert "optical_flow" in tags_of["pytorch/vision/raft_large"] and "video" in tags_of["pytorch/vision/r3d_18"]
    assert "segmentation" in tags_of["pytorch/vision/fcn_resnet50"]
    # a page's tags, category and accelerator (as the paper tagged them), merged with the zoo's builder
    assert {"vision", "scriptable", "researchers", "cuda-optional"} <= tags_of["pytorch/vision/alexnet"]
    # a published weight set is a model of its own, with its builder's tags (as torchaudio's bundles are)
    assert "pytorch/vision/resnet50/IMAGENET1K_V2" in models and "pytorch/vision/resnet50" in models
    assert "pytorch/vision/quantized_resnet50/IMAGENET1K_FBGEMM_V1" in models
    # torchaudio and torchtext: domain, family and paper tags, the library's license
    assert {"audio", "wav2vec2", "arxiv:2006.11477"} <= tags_of["pytorch/audio/WAV2VEC2_ASR_BASE_960H"]
    assert {"audio", "tacotron2", "arxiv:1712.05884"} <= tags_of["pytorch/audio/Tacotron2"]
    assert {"nlp", "t5", "arxiv:2210.11416"} <= tags_of["pytorch/text/FLAN_T5_XL"]
    assert models["pytorch/audio/HUBERT_BASE"][1] == {"bsd-simplified"}
    assert models["pytorch/text/XLMR_BASE_ENCODER"][1] == {"bsd-new"}


@pytest.mark.shared
def test_the_papers_rule_counts_builders_and_public_names(db_url, shared_data):
    """One model per torchvision builder (121) and per public name of torchaudio (90) and torchtext (40): the
    paper's own numbers; the pages (2024 snapshot) give fewer models than the paper's 2023 pages did."""
    counts = collect_pytorch_hub(db_url, shared_data / "pytorch_hub", zoo_weights=False)
    with session_scope(db_url) as s:
        models = _tags_and_licenses(s, "pytorch_hub")
    per_repo = {repo: sum(h.startswith(repo + "/") for h in models)
                for repo in ("pytorch/vision", "pytorch/audio", "pytorch/text")}
    assert per_repo == {"pytorch/vision": 121, "pytorch/audio": 90, "pytorch/text": 40}
    assert counts.models == len(models) == 336 and counts.zoo == 251
    assert not any(h.count("/") > 2 for h in models)  # no weight-set models


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
