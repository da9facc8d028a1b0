"""The lookup chain of `licenses check` and `bom` (database -> cache -> Hub -> bundled facts) against a loopback
Hub replaying recorded Hub records, the CI policy (--fail-on) and the BOM's purls, tools and model cards."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.licenses.bom import build_bom, python_dependencies
from peatmoss.licenses.check import check
from peatmoss.licenses.lookup import Lookup, library_facts
from peatmoss.registries.hubserver import HubServer, RecordSource, read_records

runner = CliRunner()

APP = """\
import clip
import spacy
import torchvision
from sentence_transformers import SentenceTransformer
from transformers import AutoModel, GPT2LMHeadModel, ViTForImageClassification, pipeline

bert = AutoModel.from_pretrained("bert-base-uncased")
summarizer = pipeline("summarization", model="facebook/bart-large-cnn")
gpt = GPT2LMHeadModel.from_pretrained("gpt2")
st = SentenceTransformer("sentence-transformers/all-MiniLM-L6-v2")
vit = ViTForImageClassification.from_pretrained("google/vit-base-patch16-224", revision="e15abf55f36bc1d95c852bc0d88f8c1ecb1a804f")
model, preprocess = clip.load("ViT-B/32")
resnet = torchvision.models.resnet50(weights="IMAGENET1K_V2")
nlp = spacy.load("en_core_web_sm")
"""
NOWHERE = 'from transformers import AutoModel\nAutoModel.from_pretrained("no-such-org/no-such-model")\n'


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PEATMOSS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)


def _repo(tmp_path: Path, name: str, code: str) -> Path:
    repo = tmp_path / name
    repo.mkdir()
    (repo / "app.py").write_text(code, encoding="utf-8")
    (repo / "LICENSE").write_text("MIT License\n\nCopyright (c) 2024 someone\n\nPermission is hereby granted, free of "
                                  "charge, to any person obtaining a copy of this software\n", encoding="utf-8")
    (repo / "requirements.txt").write_text("torch==2.3.1\ntransformers>=4.40  # models\nspacy\n", encoding="utf-8")
    return repo


def _hub_records(shared_data: Path) -> list[dict]:
    """The recorded Hub API records; the 2022 listing's records carry only `modelId`, the API's `id` is added."""
    records = []
    for rec in read_records(shared_data / "hf_api"):
        if "modelId" in rec and "id" not in rec:
            rec = {**rec, "id": rec["modelId"]}
        records.append(rec)
    return records


@pytest.fixture
def hub(shared_data):
    with HubServer(RecordSource(_hub_records(shared_data))) as server:
        yield server


@pytest.mark.shared
def test_app_all_known_offline_makes_no_request(tmp_path, hub):
    repo = _repo(tmp_path, "app", APP)
    offline = runner.invoke(app, ["licenses", "check", str(repo), "--no-db", "--offline", "--endpoint", hub.url,
                                  "--format", "json"])
    assert hub.requests == 0  # --offline: no request at all
    assert offline.exit_code == 0, offline.output
    cold = {m["model"]: m for m in json.loads(offline.output)["models"]}
    assert cold["resnet50"]["license"] == "BSD-3-Clause" and cold["resnet50"]["license_source"] == "bundled"
    assert cold["gpt2"]["license"] is None and "offline" in cold["gpt2"]["reason"]

    res = runner.invoke(app, ["licenses", "check", str(repo), "--no-db", "--endpoint", hub.url, "--format", "json",
                              "--fail-on", "unknown"])
    assert res.exit_code == 0, res.output
    models = {m["model"]: m for m in json.loads(res.output)["models"]}
    assert len(models) == 8
    assert {m: (v["license"], v["verdict"]) for m, v in models.items()} == {
        "bert-base-uncased": ("Apache-2.0", "compatible"),
        "facebook/bart-large-cnn": ("MIT", "compatible"),
        "gpt2": ("MIT", "compatible"),
        "sentence-transformers/all-MiniLM-L6-v2": ("Apache-2.0", "compatible"),
        "google/vit-base-patch16-224": ("Apache-2.0", "compatible"),
        "ViT-B/32": ("MIT", "compatible"),  # the Hub port declares none; the CLIP repository's license
        "resnet50": ("BSD-3-Clause", "compatible"),
        "en_core_web_sm": ("MIT", "compatible")}
    assert models["bert-base-uncased"]["license_source"] == "hub"
    asked = hub.requests
    assert 0 < asked <= 8

    # a second run answers from the cache; --offline too; --refresh asks again
    again = runner.invoke(app, ["licenses", "check", str(repo), "--no-db", "--endpoint", hub.url, "--offline",
                                "--format", "json"])
    assert again.exit_code == 0 and hub.requests == asked
    assert {m["model"]: m["license_source"] for m in json.loads(again.output)["models"]}["gpt2"] == "cache"
    runner.invoke(app, ["licenses", "check", str(repo), "--no-db", "--endpoint", hub.url, "--refresh"])
    assert hub.requests == 2 * asked


@pytest.mark.shared
def test_fail_on_policy_and_not_on_hub(tmp_path, hub, monkeypatch):
    repo = _repo(tmp_path, "nowhere", NOWHERE)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)  # the endpoint from the environment, as `collect` takes it
    passes = runner.invoke(app, ["licenses", "check", str(repo), "--no-db", "--format", "json"])
    assert passes.exit_code == 0, passes.output  # default policy: incompatible only
    model = json.loads(passes.output)["models"][0]
    assert model["status"] == "not-on-hub" and model["verdict"] == "unknown"
    assert "not on the Hub" in model["reason"]
    assert hub.requests == 1
    fails = runner.invoke(app, ["licenses", "check", str(repo), "--no-db", "--fail-on", "unknown"])
    assert fails.exit_code == 1
    fails = runner.invoke(app, ["licenses", "check", str(repo), "--no-db", "--fail-on", "incompatible,unknown"])
    assert fails.exit_code == 1
    bad = runner.invoke(app, ["licenses", "check", str(repo), "--no-db", "--fail-on", "unknwon"])
    assert bad.exit_code == 2 and "--fail-on" in bad.output and "Traceback" not in bad.output
    helptext = runner.invoke(app, ["licenses", "check", "--help"], terminal_width=200).output
    assert "--fail-on" in helptext and "Exit 0" in helptext


def test_unknown_without_hub_differs_from_not_on_hub(tmp_path):
    lookup = Lookup(offline=True)
    info = lookup.one("no-such-org/no-such-model", "huggingface", "transformers")
    assert info.status == "unknown" and info.license.expression is None
    assert "not on the Hub" not in info.license.reason


def test_bundled_facts_cite_their_source():
    facts = library_facts()
    assert {"clip", "openai_whisper", "torchvision", "spacy", "timm", "faster_whisper", "fasttext", "ultralytics",
            "pytorch_hub"} <= {f["library"] for f in facts}
    for f in facts:
        assert f["source_url"].startswith("https://"), f
        assert f["applies"] in ("code", "weights", "code+weights"), f
        assert f["license"] or f["hub_id"], f
    lookup = Lookup(offline=True)
    timm = lookup.one("resnet50.a1_in1k", "timm", "timm")
    assert timm.canonical == "timm/resnet50.a1_in1k" and timm.license.expression == "Apache-2.0"
    assert lookup.one("large-v3", "huggingface", "faster_whisper").canonical == "Systran/faster-whisper-large-v3"


@pytest.mark.shared
def test_bom_purls_tools_card_and_dependencies(tmp_path, hub):
    repo = _repo(tmp_path, "app", APP)
    data, errors = build_bom(repo, endpoint=hub.url, offline=False)
    assert errors == []
    tools = data["metadata"]["tools"]["components"]
    assert tools[0]["name"] == "peatmoss" and tools[0]["version"]
    comps = {c["name"]: c for c in data["components"]}
    hub_models = ["bert-base-uncased", "facebook/bart-large-cnn", "gpt2", "sentence-transformers/all-MiniLM-L6-v2",
                  "google/vit-base-patch16-224", "ViT-B/32"]
    for name in hub_models:
        assert comps[name]["purl"].startswith("pkg:huggingface/"), name
    assert comps["bert-base-uncased"]["purl"] == "pkg:huggingface/google-bert/bert-base-uncased"
    vit = comps["google/vit-base-patch16-224"]
    assert vit["purl"] == "pkg:huggingface/google/vit-base-patch16-224@e15abf55f36bc1d95c852bc0d88f8c1ecb1a804f"
    assert vit["modelCard"]["modelParameters"]["task"] == "image-classification"
    assert {"type": "dataset", "name": "imagenet-1k"} in vit["modelCard"]["modelParameters"]["datasets"]
    assert comps["en_core_web_sm"]["purl"] == "pkg:pypi/en-core-web-sm"
    assert comps["resnet50"]["purl"] == "pkg:github/pytorch/vision"
    assert comps["torch"]["purl"] == "pkg:pypi/torch@2.3.1" and comps["spacy"]["type"] == "library"
    assert all(c.get("licenses") for c in data["components"] if c["type"] == "machine-learning-model")
    out = tmp_path / "bom.json"
    res = runner.invoke(app, ["bom", str(repo), "--no-db", "--offline", "--endpoint", hub.url, "-o", str(out)])
    assert res.exit_code == 0, res.output


def test_python_dependencies(tmp_path):
    (tmp_path / "requirements.txt").write_text("numpy==1.26.4\n-r other.txt\n# note\nRequests[socks]>=2\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\ndependencies=["numpy", "typer==0.12.3"]\n')
    assert python_dependencies(tmp_path) == [("numpy", "1.26.4", "requirements.txt"),
                                             ("requests", None, "requirements.txt"),
                                             ("typer", "0.12.3", "pyproject.toml")]


def test_offline_check_api_default_asks_nothing():
    report = check(Path(__file__).parent / "fixtures" / "mit_repo")
    assert all(m.info.source in ("none", "bundled") for m in report.models)


@pytest.mark.shared
def test_bom_spdx3_ai_profile(tmp_path, hub):
    import io

    from spdx_python_model import v3_0_1 as spdx

    repo = _repo(tmp_path, "app", APP)
    out = tmp_path / "bom.spdx.json"
    res = runner.invoke(app, ["bom", str(repo), "--no-db", "--endpoint", hub.url, "--format", "spdx", "-o", str(out)])
    assert res.exit_code == 0, res.output
    objects = spdx.SHACLObjectSet()
    spdx.JSONLDDeserializer().read(io.BytesIO(out.read_bytes()), objects)  # type-checked against the SPDX 3 model
    (doc,) = list(objects.foreach_type(spdx.SpdxDocument))
    assert spdx.ProfileIdentifierType.ai in doc.profileConformance
    models = {p.name: p for p in objects.foreach_type(spdx.ai_AIPackage)}
    assert len(models) == 8
    assert models["gpt2"].software_packageUrl == "pkg:huggingface/openai-community/gpt2"
    assert models["google/vit-base-patch16-224"].ai_domain == ["image-classification"]
    licensed = {r.from_.name: r.to[0].simplelicensing_licenseExpression
                for r in objects.foreach_type(spdx.Relationship)
                if r.relationshipType == spdx.RelationshipType.hasConcludedLicense}
    assert licensed["resnet50"] == "BSD-3-Clause" and licensed["app"] == "MIT" and len(licensed) == 9
