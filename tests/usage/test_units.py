"""Small pieces: id normalisation, local paths, nbformat 3 notebooks, and scans that never crash."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peatmoss.usage import scan_files
from peatmoss.usage.model import SourceFile
from peatmoss.usage.normalize import is_local_path, normalize, torch_hub
from peatmoss.usage.notebooks import NotebookError, notebook_cells


@pytest.mark.parametrize("value,hub,local", [
    ("bert-base-uncased", "huggingface", False),
    ("facebook/opt-125m", "huggingface", False),
    ("./out/checkpoint-500", "huggingface", True),
    ("/models/llama", "huggingface", True),
    ("~/ckpt", "huggingface", True),
    ("C:\\models\\bert", "huggingface", True),
    ("runs/exp1/best", "huggingface", True),
    ("model.safetensors", "huggingface", True),
    ("https://huggingface.co/x/y/resolve/main/a.bin", "huggingface", False),
    ("tts_models/en/ljspeech/glow-tts", "coqui", False),
    ("yolov8n.pt", "ultralytics", False),
    ("path to the weight file", "ultralytics", True),  # a config placeholder names a file, never a hub model
    ("path to weights", "pytorch_hub", True),
])
def test_is_local_path(value, hub, local):
    assert is_local_path(value, hub) is local


def test_normalize_families():
    assert normalize("timm", "hf-hub:timm/resnet50.a1_in1k", "timm") == ("timm/resnet50.a1_in1k", "huggingface")
    assert normalize("timm", "resnet50", "timm") == ("resnet50", "timm")
    assert normalize("faster_whisper", "small.en", "huggingface") == ("Systran/faster-whisper-small.en", "huggingface")
    assert normalize("faster_whisper", "org/custom", "huggingface") == ("org/custom", "huggingface")
    assert normalize("stanza", "fr", "huggingface")[0] == "stanfordnlp/stanza-fr"
    assert normalize("hf_uri", "hf://google/gemma-2b", "kaggle") == ("google/gemma-2b", "huggingface")
    assert torch_hub("pytorch/vision:v0.10.0", "resnet18") == ("pytorch/vision/resnet18", "v0.10.0")


def test_nbformat3_and_bad_notebooks():
    doc = {"nbformat": 3, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": ["hi"]},
        {"cell_type": "code", "input": ["import spacy\n", "nlp = spacy.load('en_core_web_md')"]}]}]}
    cells = notebook_cells(json.dumps(doc).encode())
    assert [c.index for c in cells] == [1]
    result = scan_files([SourceFile("old.ipynb", 10, lambda: json.dumps(doc).encode())])
    assert [(f.cell, f.line, f.model) for f in result.findings] == [(1, 2, "en_core_web_md")]
    for bad in (b"[]", b'{"cells": {}}', b"not json"):
        with pytest.raises(NotebookError):
            notebook_cells(bad)


PIECES = ["from transformers import AutoModel\n", "AutoModel.from_pretrained(", "'gpt2'", ")", "(", "[", "]",
          "\n", "    ", "def f(x=", "class C:", "import torch\n", "torch.hub.load(", "f'{", "}'", "%", "\\",
          "\"", "#", "lambda:", "**kw", "*", ",", "=", "if", "else", "\x00", "\xff", "é", "# %%\n", "!ls\n"]


@settings(max_examples=120, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60), st.sampled_from(["a.py", "b.ipynb", "c.yaml"]))
def test_scan_never_crashes(pieces, name):
    data = "".join(pieces).encode("utf-8", "surrogatepass")
    result = scan_files([SourceFile(name, len(data), lambda: data)])
    for record in result.files:
        assert record.status in ("ok", "degraded", "skipped", "error")
        assert record.error_kind != "analysis_error", record.message
    for f in result.findings:
        assert f.line >= 1 and f.resolution


def test_self_referencing_reassignments_resolve_quickly():
    import time

    lines = ["from transformers import AutoModel", 's = "org/"'] + [f's = s + "{c}"' for c in "abcdefghijklmnopqrst"]
    lines.append("AutoModel.from_pretrained(s)")
    data = "\n".join(lines).encode()
    start = time.perf_counter()
    result = scan_files([SourceFile("loop.py", len(data), lambda: data)])
    assert time.perf_counter() - start < 5
    assert len(result.findings) == 1 and result.files[0].status == "ok"


def test_module_cache_is_bounded_and_rebuilds(monkeypatch):
    from peatmoss.usage import repo as repo_mod

    monkeypatch.setattr(repo_mod, "MAX_MODULES", 3)
    texts = {f"pkg/m{i}.py": (lambda i=i: f"NAME = 'org/model-{i}'\n") for i in range(6)}
    repo = repo_mod.Repo(texts, {})
    for path in texts:
        assert repo.module_at(path) is not None
    assert len(repo._modules) == 3
    again = repo.module_at("pkg/m0.py")  # evicted, parsed again, same facts
    assert again.name == "pkg.m0" and "NAME" in again.scope.assigns
    assert repo.constant("pkg.m1.NAME", 0).values == ["org/model-1"]


def test_catalog_may_end():
    from peatmoss.usage.catalog import load_catalog

    catalog = load_catalog()
    assert catalog.may_end("from_pretrained") and catalog.may_end("load_model")  # plain and `*load*` names
    assert not catalog.may_end("append") and not catalog.may_end("groupby")
