"""One model identity for every stage: the same reference gives the same model row in usage (scan_path and
the Canonicalizer), cards (base-model edges), registries (resolve_edge_parents) and licenses (lookup and
`licenses check` with a database and with recorded hub data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from peatmoss.cards.run import extract_models
from peatmoss.cli import app
from peatmoss.core.identity import ModelResolver, parse, split_ref
from peatmoss.db import get_engine, session_scope
from peatmoss.db.models import CollectionRun, Model, ModelEdge, Registry
from peatmoss.licenses.lookup import load_hub_data, lookup_model
from peatmoss.licenses.normalize import normalize
from peatmoss.registries.records import normalise
from peatmoss.registries.store import ModelStore, resolve_edge_parents
from peatmoss.usage import scan_path
from peatmoss.usage.canonical import Canonicalizer

runner = CliRunner()

# The rows we hold: hub_id as stored -> (registry, license). Each row has its own license, so a license
# answer names one row. `gpt2` is stored under its legacy id (a 2022 snapshot).
ROWS = {
    "google-bert/bert-base-uncased": ("huggingface", "apache-2.0"),
    "gpt2": ("huggingface", "mit"),
    "sentence-transformers/all-MiniLM-L6-v2": ("huggingface", "cc-by-4.0"),
    "timm/resnet50.a1_in1k": ("huggingface", "bsd-3-clause"),
    "openai/whisper-base": ("huggingface", "gpl-3.0"),
    "openai/clip-vit-base-patch32": ("huggingface", "cc-by-sa-4.0"),
    "Org/Unique-Name": ("huggingface", "mpl-2.0"),
    "pytorch/vision/resnet50": ("pytorch_hub", "bsd-2-clause"),
}

IMPORTS = ("from transformers import AutoModel\nimport clip, timm, torch, torchvision, whisper\n"
           "from huggingface_hub import snapshot_download\nfrom sentence_transformers import SentenceTransformer\n")

# (code that loads the model, the reference as written, the row it names, written in a card or Hub record
# too?) Library names (whisper sizes, CLIP names, torchvision builders) mean a model only in their library's
# code, so cards and registries (no library there) are not asked about them.
CASES = [
    ('AutoModel.from_pretrained("bert-base-uncased")', "bert-base-uncased", "google-bert/bert-base-uncased", True),
    ('AutoModel.from_pretrained("google-bert/bert-base-uncased")', "google-bert/bert-base-uncased",
     "google-bert/bert-base-uncased", True),
    ('AutoModel.from_pretrained("Google-BERT/BERT-Base-Uncased")', "Google-BERT/BERT-Base-Uncased",
     "google-bert/bert-base-uncased", True),
    ('AutoModel.from_pretrained("BERT-base-uncased")', "BERT-base-uncased", "google-bert/bert-base-uncased", True),
    ('AutoModel.from_pretrained("https://huggingface.co/google-bert/bert-base-uncased/tree/v1.0")',
     "https://huggingface.co/google-bert/bert-base-uncased/tree/v1.0", "google-bert/bert-base-uncased", True),
    ('AutoModel.from_pretrained("google-bert/bert-base-uncased@v1.0")', "google-bert/bert-base-uncased@v1.0",
     "google-bert/bert-base-uncased", True),
    ('snapshot_download("hf://google-bert/bert-base-uncased")', "hf://google-bert/bert-base-uncased",
     "google-bert/bert-base-uncased", True),
    ('AutoModel.from_pretrained("openai-community/gpt2")', "openai-community/gpt2", "gpt2", True),  # reverse alias
    ('AutoModel.from_pretrained("GPT2")', "GPT2", "gpt2", True),
    ('AutoModel.from_pretrained("https://hf.co/org/unique-name")', "https://hf.co/org/unique-name",
     "Org/Unique-Name", True),
    ('AutoModel.from_pretrained("unique-name")', "unique-name", "Org/Unique-Name", True),  # one `*/unique-name`
    ('SentenceTransformer("all-MiniLM-L6-v2")', "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", True),
    ('timm.create_model("hf-hub:timm/resnet50.a1_in1k", pretrained=True)', "hf-hub:timm/resnet50.a1_in1k",
     "timm/resnet50.a1_in1k", True),
    ('timm.create_model("resnet50.a1_in1k", pretrained=True)', "resnet50.a1_in1k", "timm/resnet50.a1_in1k", True),
    ('torch.hub.load("pytorch/vision:v0.10.0", "resnet50")', "pytorch/vision/resnet50", "pytorch/vision/resnet50",
     True),
    ("torchvision.models.resnet50(pretrained=True)", "resnet50", "pytorch/vision/resnet50", False),
    ('whisper.load_model("base")', "base", "openai/whisper-base", False),
    ('clip.load("ViT-B/32")', "ViT-B/32", "openai/clip-vit-base-patch32", False),
]


def _spdx(hub_id: str) -> str:
    return normalize(ROWS[hub_id][1]).expression


def _hold(url: str) -> dict[str, int]:
    with session_scope(url) as s:
        regs = {}
        for name in ("huggingface", "pytorch_hub"):
            regs[name] = Registry(name=name)
            s.add(regs[name])
        s.flush()
        models = {h: Model(registry_id=regs[reg].id, hub_id=h, card_data={"license": lic})
                  for h, (reg, lic) in ROWS.items()}
        s.add_all(models.values())
        s.flush()
        return {h: m.id for h, m in models.items()}


def _folder(root: Path, name: str, code: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "app.py").write_text(IMPORTS + f"m = {code}\n", encoding="utf-8")
    return folder


def _collect(url: str, items: list[dict]) -> dict[str, int]:
    """Registries: Hub records written by the store, as a collection run writes a page."""
    with get_engine(url).begin() as conn:
        reg = conn.execute(select(Registry.id).where(Registry.name == "huggingface")).scalar_one()
        run = conn.execute(CollectionRun.__table__.insert().values(stage="collect", source="huggingface", key="t",
                                                                   started_at=_now())).inserted_primary_key[0]
        return ModelStore(reg, run).write_page(conn, [normalise(item) for item in items])


def _now():
    from datetime import datetime, timezone
    return datetime.now(timezone.utc)


def _check(folder: Path, db: str, *options: str) -> dict:
    res = runner.invoke(app, ["--db", db, "licenses", "check", str(folder), "--format", "json", *options])
    assert res.exit_code in (0, 1), res.output
    return json.loads(res.output)


def test_every_stage_gives_the_same_row(db_url, tmp_path):
    ids = _hold(db_url)
    hub_file = tmp_path / "hub.json"
    hub_file.write_text(json.dumps({h: lic for h, (_, lic) in ROWS.items()}), encoding="utf-8")
    hub_data = load_hub_data(hub_file)
    card_refs = [ref for _, ref, _, in_cards in CASES if in_cards]
    # cards: a model whose card names the reference as its base model, extracted by the rules
    with session_scope(db_url) as s:
        reg = s.scalar(select(Registry.id).where(Registry.name == "huggingface"))
        s.add_all([Model(registry_id=reg, hub_id=f"card-child/{i}", card_data={"base_model": ref})
                   for i, ref in enumerate(card_refs)])
    extract_models(db_url, models=[f"card-child/{i}" for i in range(len(card_refs))])
    hub_children = [f"hub-child/{i}" for i in range(len(card_refs))]
    _collect(db_url, [{"id": child, "cardData": {"base_model": ref}} for child, ref in zip(hub_children, card_refs)])
    with get_engine(db_url).begin() as conn:
        assert resolve_edge_parents(conn) == len(card_refs)  # the cards' edges got their parent when written
    with session_scope(db_url) as s:
        edges = {(child, raw): parent for child, raw, parent in s.execute(
            select(Model.hub_id, ModelEdge.parent_raw_id, ModelEdge.parent_id).join(Model,
                                                                                   Model.id == ModelEdge.child_id))}
        canon = Canonicalizer(s)
    card_index = {ref: i for i, ref in enumerate(card_refs)}
    for n, (code, ref, expected, in_cards) in enumerate(CASES):
        want = ids[expected]
        folder = _folder(tmp_path, f"case{n}", code)
        findings = scan_path(folder).findings
        assert len(findings) == 1 and findings[0].model in (ref, split_ref(ref)[0]), code  # prefix may go at scan
        f = findings[0]
        # usage
        link = canon.link(f.model, library=f.library, hub=f.hub, is_local_path=f.is_local_path)
        assert (link.model_id, link.status, link.canonical) == (want, "matched", expected), code
        # licenses: lookup in the database and in recorded hub data, and `licenses check` with each
        info = lookup_model(f.model, f.hub, db_url, {}, library=f.library)
        assert (info.source, info.canonical) == ("database", expected), code
        info = lookup_model(f.model, f.hub, None, hub_data, library=f.library)
        assert (info.source, info.canonical) == ("hub-data", expected), code
        for options in ((), ("--hub-data", str(hub_file), "--no-db")):
            got = _check(folder, db_url, *options)["models"]
            assert [(m["model"], m["license"]) for m in got] == [(f.model, _spdx(expected))], (code, options)
        # cards and registries, where the reference can be written without a library
        if in_cards:
            i = card_index[ref]
            cleaned = split_ref(ref)[0]
            assert edges[(f"card-child/{i}", cleaned)] == want, ref
            assert edges[(hub_children[i], ref)] == want, ref


def test_parent_collected_later_is_attached(db_url):
    with session_scope(db_url) as s:
        reg = Registry(name="huggingface")
        s.add(reg)
        s.flush()
        s.add_all([Model(registry_id=reg.id, hub_id="me/tuned", card_data={"base_model": "BERT-base-uncased"}),
                   Model(registry_id=reg.id, hub_id="me/other", card_data={"base_model": "nobody/absent"})])
    extract_models(db_url)
    with session_scope(db_url) as s:
        edges = s.scalars(select(ModelEdge)).all()
        assert sorted(e.parent_raw_id for e in edges) == ["BERT-base-uncased", "nobody/absent"]
        assert all(e.parent_id is None for e in edges)
    # a later collection holds the parent under the Hub's new id; two edges wait, one finds its parent
    parent_id = _collect(db_url, [{"id": "google-bert/bert-base-uncased"}])["google-bert/bert-base-uncased"]
    with get_engine(db_url).begin() as conn:
        assert resolve_edge_parents(conn) == 1
    with get_engine(db_url).begin() as conn:
        assert resolve_edge_parents(conn) == 0  # nothing new: the absent parent stays unresolved
    with session_scope(db_url) as s:
        got = {e.parent_raw_id: e.parent_id for e in s.scalars(select(ModelEdge))}
        assert got == {"BERT-base-uncased": parent_id, "nobody/absent": None}
    extract_models(db_url)  # re-extracting adds no second edge for the same parent
    with session_scope(db_url) as s:
        assert len(s.scalars(select(ModelEdge)).all()) == 2


@pytest.mark.parametrize("held, written", [("google-bert/bert-base-uncased", "bert-base-uncased"),
                                           ("bert-base-uncased", "google-bert/bert-base-uncased")])
def test_licenses_check_finds_a_license_under_either_name(tmp_path, held, written):
    folder = _folder(tmp_path, "repo", f'AutoModel.from_pretrained("{written}")')
    hub_file = tmp_path / "hub.json"
    hub_file.write_text(json.dumps({held: {"cardData": {"license": "apache-2.0"}}}), encoding="utf-8")
    got = _check(folder, str(tmp_path / "none.db"), "--hub-data", str(hub_file), "--no-db")["models"]
    assert [(m["model"], m["license"], m["license_source"]) for m in got] == [(written, "Apache-2.0", "hub-data")]
    url = f"sqlite:///{tmp_path / 'held.db'}"
    from peatmoss.db import init_db
    init_db(url)
    with session_scope(url) as s:
        reg = Registry(name="huggingface")
        s.add(reg)
        s.flush()
        s.add(Model(registry_id=reg.id, hub_id=held, card_data={"license": "apache-2.0"}))
    got = _check(folder, url)["models"]
    assert [(m["model"], m["license"], m["license_source"]) for m in got] == [(written, "Apache-2.0", "database")]


@pytest.mark.parametrize("raw, library, hub, key, revision", [
    ("bert-base-uncased", None, None, "google-bert/bert-base-uncased", None),
    ("HF-HUB:Google-BERT/bert-base-uncased", None, None, "google-bert/bert-base-uncased", None),
    ("https://www.huggingface.co/models/gpt2/blob/abc123/config.json", None, None, "openai-community/gpt2", "abc123"),
    ("hf://FacebookAI/roberta-base@refs/pr/1", None, None, "facebookai/roberta-base", "refs/pr/1"),
    ("all-MiniLM-L6-v2", "langchain", "huggingface", "sentence-transformers/all-minilm-l6-v2", None),
    ("bert-base-uncased", "sentence_transformers", "huggingface", "google-bert/bert-base-uncased", None),
    ("ViT-L/14@336px", "clip", "openai_clip", "openai/clip-vit-large-patch14-336", None),
    ("large-v2", "whisper_timestamped", "openai_whisper", "openai/whisper-large-v2", None),
    ("https://example.org/w@2.pth", None, "url", "https://example.org/w@2.pth", None),
])
def test_parse(raw, library, hub, key, revision):
    got = parse(raw, library=library, hub=hub)
    assert (got.key, got.revision, got.model_id) == (key, revision, None)


def test_ambiguous_bare_name_is_not_guessed():
    resolver = ModelResolver.from_ids(["a/dup", "b/dup", "c/single"])
    assert resolver.resolve("dup").id == "dup" and resolver.resolve("dup").model_id is None
    assert resolver.resolve("SINGLE").id == "c/single"
    assert resolver.resolve("single", hub="pytorch_hub").id == "single"  # bare names are looked up on the Hub only
