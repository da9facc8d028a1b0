"""The joints between stages, on one database: replay-collect real Hub records (with their real cards),
collect the PyTorch Hub pages, mine example repositories that load those models under several spellings,
extract cards, analyse licenses and build the report — then check that every stage handed the next one
the right rows."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from peatmoss.analysis import report as build_report
from peatmoss.cards import extract
from peatmoss.core.identity import model_key
from peatmoss.core.runs import run_totals
from peatmoss.db import get_engine
from peatmoss.db import models as m
from peatmoss.licenses import analyze, check
from peatmoss.licenses.textmatch import reference_texts
from peatmoss.registries import CollectOptions, collect_huggingface, collect_pytorch_hub
from peatmoss.registries.hubserver import HubServer, RecordSource
from peatmoss.usage import mine

pytestmark = pytest.mark.shared

# Recorded `model_info` answers in shared/data/hf_api, and the card each one has in shared/data/model_cards.
HUB = {
    "google-bert/bert-base-uncased": "bert-base-uncased.md",
    "openai-community/gpt2": "gpt2.md",
    "sentence-transformers/all-MiniLM-L6-v2": "sentence-transformers__all-MiniLM-L6-v2.md",
    "facebook/bart-large-mnli": "facebook__bart-large-mnli.md",
    "google/vit-base-patch16-224": "google__vit-base-patch16-224.md",
    "openai/clip-vit-base-patch32": "openai__clip-vit-base-patch32.md",
    "deepset/roberta-base-squad2": "deepset__roberta-base-squad2.md",
}
# A model of ours whose card names its parent by the legacy id: the edge must reach google-bert/….
CHILD = "acme/bert-imdb"
CHILD_CARD = (f"---\nlicense: mit\nbase_model: bert-base-uncased\ndatasets:\n- imdb\n---\n# {CHILD}\n\n"
              "This model is a fine-tuned version of [bert-base-uncased](https://huggingface.co/bert-base-uncased) "
              "on the imdb dataset.\n")

# Example repositories: (files, the model each load must be linked to, by hub id).
APPS = {
    "nlp_app": ({
        "app.py": "from transformers import AutoModel, pipeline\n"
                  "from sentence_transformers import SentenceTransformer\n"
                  "enc = AutoModel.from_pretrained('bert-base-uncased')\n"
                  "gen = pipeline('text-generation', model='GPT2')\n"
                  "emb = SentenceTransformer('all-MiniLM-L6-v2')\n"
                  f"clf = AutoModel.from_pretrained('https://huggingface.co/{CHILD}')\n",
        "LICENSE": "MIT",
    }, {"google-bert/bert-base-uncased", "openai-community/gpt2", "sentence-transformers/all-MiniLM-L6-v2", CHILD}),
    "vision_app": ({
        "vision.py": "import torch\nfrom transformers import ViTModel, CLIPModel\n"
                     "net = torch.hub.load('pytorch/vision', 'resnet50', pretrained=True)\n"
                     "vit = ViTModel.from_pretrained('google/vit-base-patch16-224')\n"
                     "clip = CLIPModel.from_pretrained('openai/clip-vit-base-patch32@main')\n",
        "pyproject.toml": '[project]\nname = "vision-app"\nversion = "1"\nlicense = "Apache-2.0"\n',
    }, {"pytorch/vision/resnet50", "google/vit-base-patch16-224", "openai/clip-vit-base-patch32"}),
    "qa_app": ({
        "qa.py": "from transformers import pipeline\n"
                 "qa = pipeline('question-answering', model='deepset/roberta-base-squad2')\n"
                 "zs = pipeline('zero-shot-classification', model='facebook/bart-large-mnli')\n",
        "LICENSE": "BSD-2-Clause",
    }, {"deepset/roberta-base-squad2", "facebook/bart-large-mnli"}),
}
LICENSES = {"nlp_app": "MIT", "vision_app": "Apache-2.0", "qa_app": "BSD-2-Clause"}


def _serve(folder: Path, path: str, body) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    (folder / quote(path.lstrip("/"), safe="")).write_bytes(data)


def _hub(shared: Path, tmp: Path) -> RecordSource:
    """The recorded records and cards, answered like the Hub (empty commit, ref and discussion lists)."""
    records = []
    for hub_id in HUB:
        rec = json.loads((shared / "hf_api" / f"models__{hub_id.replace('/', '__')}.json").read_text())
        records.append(rec)
    records.append({"id": CHILD, "modelId": CHILD, "author": "acme", "sha": "1" * 40, "downloads": 500, "likes": 3,
                    "pipeline_tag": "text-classification", "library_name": "transformers",
                    "tags": ["transformers", "license:mit", "dataset:imdb"], "cardData": {"license": "mit"},
                    "createdAt": "2024-05-01T00:00:00.000Z", "siblings": [{"rfilename": "README.md"}]})
    extra = tmp / "hub-extra"
    extra.mkdir()
    for rec in records:
        hub_id, sha = rec["id"], rec["sha"]
        card = CHILD_CARD.encode() if hub_id == CHILD else (shared / "model_cards" / HUB[hub_id]).read_bytes()
        for rev in (sha, "main"):
            _serve(extra, f"/{hub_id}/resolve/{rev}/README.md", card)
        _serve(extra, f"/api/models/{hub_id}/commits/main", [])
        _serve(extra, f"/api/models/{hub_id}/refs?include_prs=1", {"branches": [], "tags": [], "converts": [], "pullRequests": []})
        _serve(extra, f"/api/models/{hub_id}/discussions?p=0",
               {"discussions": [], "count": 0, "start": 0, "numClosedDiscussions": 0})
    return RecordSource(records, extra_dir=extra)


def _apps(tmp: Path) -> dict[str, Path]:
    texts = reference_texts()
    out = {}
    for name, (files, _) in APPS.items():
        root = tmp / "repos" / name
        root.mkdir(parents=True)
        for fname, text in files.items():
            if fname == "LICENSE":
                text = texts[text].replace("<year> <copyright holders>", "2024 Example Lab")
            (root / fname).write_text(text)
        out[name] = root
    return out


def test_collect_mine_extract_licenses_report_join_up(db_url, shared_data, tmp_path):
    # 1. registries
    with HubServer(_hub(shared_data, tmp_path)) as hub:
        summary = collect_huggingface(db_url, CollectOptions(endpoint=hub.url, snapshot="2025-03-01",
                                                             min_downloads=1, progress=False))
    with get_engine(db_url).connect() as conn:
        problems = conn.execute(select(m.CollectionError.item, m.CollectionError.error_kind, m.CollectionError.message)).all()
    assert summary.complete and summary.errors == 0 and summary.deep_models == len(HUB) + 1, problems
    torch_hub = collect_pytorch_hub(db_url, shared_data / "pytorch_hub")
    assert torch_hub.models > 100

    # 2. usage: the repositories, from local folders
    apps = _apps(tmp_path)
    mined = mine(db_url, [str(p) for p in apps.values()], progress=False)
    assert (mined.scanned, mined.failed) == (len(APPS), 0)

    # 3. cards, 4. licenses, 5. report
    assert extract(db_url)["cards"] == len(HUB) + 1
    analyze(db_url, outdir=tmp_path / "licenses", static_format=None)
    report = build_report(db_url, tmp_path / "report")
    assert Path(report).exists()

    engine = get_engine(db_url)
    with engine.connect() as conn:
        models = {row.id: row.hub_id for row in conn.execute(select(m.Model.id, m.Model.hub_id))}
        by_key = {model_key(hub_id): mid for mid, hub_id in models.items()}

        # every repository has the license `licenses check` reports for its folder
        repos = {Path(r.full_name).name: r for r in conn.execute(select(m.ReuseRepository))}
        for name, root in apps.items():
            assert repos[name].license_spdx == check(root).repo_license.expression == LICENSES[name], name

        # every load is linked to the right model row, whatever spelling the code used
        links = conn.execute(select(m.ModelReuse.model_id, m.ModelReuse.link_status, m.ReuseRepository.full_name)
                             .join(m.ReuseRepository, m.ReuseRepository.id == m.ModelReuse.repository_id)).all()
        for name, (_, expected) in APPS.items():
            got = {models[mid] for mid, status, repo in links if Path(repo).name == name and mid is not None}
            assert got == expected, name
        assert all(status == "matched" for mid, status, _ in links if mid is not None)

        # every verdict of a (model, repository) pair uses both licenses
        verdicts = conn.execute(select(m.LicenseVerdict).where(m.LicenseVerdict.kind == "dependency")).all()
        pairs = {(mid, Path(repo).name) for mid, _, repo in links if mid is not None}
        repo_names = {r.id: name for name, r in repos.items()}
        assert {(v.model_id, repo_names[v.repository_id]) for v in verdicts} == pairs
        for v in verdicts:
            assert v.downstream_license == LICENSES[repo_names[v.repository_id]]
            assert v.upstream_license, models[v.model_id]
        bert = by_key[model_key("google-bert/bert-base-uncased")]
        assert {v.upstream_license for v in verdicts if v.model_id == bert} == {"Apache-2.0"}

        # the card's legacy parent id reached the parent's row
        child = by_key[model_key(CHILD)]
        edges = conn.execute(select(m.ModelEdge.parent_id).where(m.ModelEdge.child_id == child)).scalars().all()
        assert bert in edges

        # the counts `status` shows are the rows
        errors = conn.execute(select(m.CollectionError.run_id, func.count()).group_by(m.CollectionError.run_id)).all()
        totals = {r["id"]: r["error_count"] for r in run_totals(conn, limit=1000)}
        assert all(totals[run_id] == n for run_id, n in errors)
        assert sum(totals.values()) == sum(n for _, n in errors)
