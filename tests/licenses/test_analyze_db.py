"""`licenses analyze` on a database: every current link gets a stored verdict; lineage drift; outputs written."""

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sqlalchemy import select

from peatmoss.db import session_scope
from peatmoss.db.models import (License, LicenseVerdict, Model, ModelEdge, ModelReuse, Registry, RepoScan,
                                ReuseRepository, model_to_license)
from peatmoss.licenses.analyze import analyze
from peatmoss.licenses.demo import demo_step

FIXTURES = Path(__file__).parent / "fixtures"


def _populate(url: str) -> None:
    now = datetime.now(timezone.utc)
    with session_scope(url) as s:
        reg = Registry(name="huggingface")
        s.add(reg)
        s.flush()
        models = {}
        for hub_id, lic, card in [("meta-llama/Llama-2-7b-hf", "llama2", None),
                                  ("someone/llama2-finetune", "apache-2.0", None),
                                  ("bert-base-uncased", "apache-2.0", None),
                                  ("org/gpl-model", "gpl-3.0", None),
                                  ("org/custom", "other", {"license": "other", "license_name": "my-own-terms"}),
                                  ("org/nolicense", None, None)]:
            m = Model(registry_id=reg.id, hub_id=hub_id, card_data=card)
            s.add(m)
            s.flush()
            models[hub_id] = m
            if lic:
                row = s.scalars(select(License).where(License.name == lic)).first()
                if row is None:
                    row = License(name=lic)
                    s.add(row)
                    s.flush()
                s.execute(model_to_license.insert().values(model_id=m.id, license_id=row.id, source="tag"))
        s.add(ModelEdge(child_id=models["someone/llama2-finetune"].id, parent_id=models["meta-llama/Llama-2-7b-hf"].id,
                        parent_raw_id="meta-llama/Llama-2-7b-hf", relation="finetune", source="tag"))
        repos = {
            "a/mit": ReuseRepository(full_name="a/mit", license_raw="mit"),
            "b/none": ReuseRepository(full_name="b/none", license_raw=None),
            "c/multi": ReuseRepository(full_name="c/multi", license_spdx="MIT AND Apache-2.0"),
            "local": ReuseRepository(full_name=str(FIXTURES / "conflict_repo"), host="local"),
        }
        s.add_all(repos.values())
        s.flush()
        for repo in repos.values():
            scan = RepoScan(repository_id=repo.id, scanned_at=now)
            s.add(scan)
            s.flush()
            for hub_id in models:
                s.add(ModelReuse(scan_id=scan.id, repository_id=repo.id, model_id=models[hub_id].id,
                                 link_status="matched", library="transformers", api="from_pretrained",
                                 resolution="literal", confidence=1.0, line=3))
            # a stale link must not count
            s.add(ModelReuse(scan_id=scan.id, repository_id=repo.id, model_id=None, link_status="dynamic",
                             library="transformers", api="from_pretrained", resolution="dynamic", confidence=0.1))


def test_analyze_database(db_url, tmp_path):
    _populate(db_url)
    result = analyze(db_url, "osadl+ml", tmp_path / "out", static_format=None)
    d = result.as_dict()
    assert d["relations"] == 4 * 6
    with session_scope(db_url) as s:
        stored = s.scalars(select(LicenseVerdict).where(LicenseVerdict.kind == "dependency")).all()
        assert len(stored) == 24
        assert all(v.reason and v.rule_source for v in stored)
        by = {(v.model_id, v.repository_id): v for v in stored}
        lic = {x.name: x.spdx_expression for x in s.scalars(select(License))}
        assert lic["llama2"] == "LicenseRef-Llama-2" and lic["gpl-3.0"] == "GPL-3.0-only" and lic["other"] is None
        repo = {r.full_name: r for r in s.scalars(select(ReuseRepository))}
        gpl = s.scalars(select(Model).where(Model.hub_id == "org/gpl-model")).one()
        assert by[(gpl.id, repo["a/mit"].id)].verdict == "incompatible"
        assert by[(gpl.id, repo["b/none"].id)].verdict == "incompatible"  # "no license" is assessed
        custom = s.scalars(select(Model).where(Model.hub_id == "org/custom")).one()
        assert by[(custom.id, repo["a/mit"].id)].verdict == "unknown"
        assert "my-own-terms" in by[(custom.id, repo["a/mit"].id)].reason
        # the local repository's license came from its files; its conflict is reported
        local = repo[str(FIXTURES / "conflict_repo")]
        assert local.license_spdx == "GPL-3.0-only" and local.license_evidence["conflict"]
        bert = s.scalars(select(Model).where(Model.hub_id == "bert-base-uncased")).one()
        assert by[(bert.id, local.id)].verdict == "conflict" and "pyproject" in by[(bert.id, local.id)].reason
        # chain: the fine-tune inherits the base model's Llama conditions
        ft = s.scalars(select(Model).where(Model.hub_id == "someone/llama2-finetune")).one()
        assert by[(ft.id, repo["a/mit"].id)].verdict == "conditional"
        assert "base model" in by[(ft.id, repo["a/mit"].id)].reason
        lineage = s.scalars(select(LicenseVerdict).where(LicenseVerdict.kind == "lineage")).all()
        assert len(lineage) == 1 and lineage[0].context["drift"] is True
        assert "license drift" in lineage[0].reason
    assert d["license_drift"] == 1 and d["conflict"] == 6
    rows = list(csv.DictReader(open(tmp_path / "out" / "license_pairs.csv")))
    assert len(rows) == 24
    summary = json.loads((tmp_path / "out" / "license_summary.json").read_text())
    assert summary["relations"] == 24 and summary["unknown_reasons"]
    assert (tmp_path / "out" / "license_sankey.html").stat().st_size > 100_000  # plotly.js inlined: offline
    # re-running replaces the verdicts of the same ruleset
    analyze(db_url, "osadl+ml", None)
    with session_scope(db_url) as s:
        assert len(s.scalars(select(LicenseVerdict).where(LicenseVerdict.kind == "dependency")).all()) == 24


def test_demo_step(db_url, tmp_path):
    assert "no PTM->repository links" in demo_step(db_url, tmp_path)
    _populate(db_url)
    line = demo_step(db_url, tmp_path)
    assert "24 links" in line and "unknown" in line


@pytest.mark.shared
def test_paper_rules_on_database(db_url, shared_data):
    _populate(db_url)
    matrix = shared_data / "licenses" / "paper" / "linux_foundation_compatibility_matrix.csv"
    d = analyze(db_url, "paper", None, paper_matrix=matrix).as_dict()
    assert d["relations"] == 24
    with session_scope(db_url) as s:
        verdicts = s.scalars(select(LicenseVerdict).where(LicenseVerdict.rules == "paper")).all()
        assert len(verdicts) == 24
        # llama2 is not in the Linux Foundation matrix: unknown, as in the paper
        assert all(v.verdict == "unknown" for v in verdicts if v.upstream_license == "llama2")


def test_check_looks_models_up_in_the_database(db_url):
    from peatmoss.licenses.check import check

    _populate(db_url)
    report = check(FIXTURES / "mit_repo", url=db_url)
    by = {m.model: m for m in report.models}
    assert by["bert-base-uncased"].info.source == "database"
    assert by["bert-base-uncased"].verdict.verdict == "compatible"
    assert by["runwayml/stable-diffusion-v1-5"].verdict.verdict == "unknown"  # not in the database, no hub data


@pytest.mark.shared
def test_paper_rules_read_the_spdx_expression(db_url, shared_data):
    """Repositories mined from files have license_spdx and no license_raw: the paper rules use the expression."""
    _populate(db_url)
    now = datetime.now(timezone.utc)
    with session_scope(db_url) as s:
        models = {m.hub_id: m for m in s.scalars(select(Model))}
        for name, spdx, raw in (("d/spdx-mit", "MIT", None), ("e/spdx-none", "NONE", None),
                                ("f/spdx-over-raw", "Apache-2.0", "other")):
            repo = ReuseRepository(full_name=name, license_spdx=spdx, license_raw=raw)
            s.add(repo)
            s.flush()
            scan = RepoScan(repository_id=repo.id, scanned_at=now)
            s.add(scan)
            s.flush()
            for hub_id in ("bert-base-uncased", "org/gpl-model"):
                s.add(ModelReuse(scan_id=scan.id, repository_id=repo.id, model_id=models[hub_id].id,
                                 link_status="matched", library="transformers", api="from_pretrained",
                                 resolution="literal", confidence=1.0, line=1))
    matrix = shared_data / "licenses" / "paper" / "linux_foundation_compatibility_matrix.csv"
    analyze(db_url, "paper", None, paper_matrix=matrix)
    with session_scope(db_url) as s:
        repo = {r.full_name: r.id for r in s.scalars(select(ReuseRepository))}
        model = {m.hub_id: m.id for m in s.scalars(select(Model))}
        by = {(v.model_id, v.repository_id): v for v in s.scalars(select(LicenseVerdict).where(LicenseVerdict.rules == "paper"))}

        def got(hub_id, name):
            return by[(model[hub_id], repo[name])]

        assert got("bert-base-uncased", "d/spdx-mit").verdict == "compatible"
        assert got("org/gpl-model", "d/spdx-mit").verdict == "incompatible"
        assert got("org/gpl-model", "d/spdx-mit").downstream_license == "MIT"
        assert got("bert-base-uncased", "f/spdx-over-raw").verdict == "compatible"  # not the raw "other"
        assert "no license" in got("bert-base-uncased", "e/spdx-none").reason
        assert got("bert-base-uncased", "c/multi").verdict == "unknown"  # several licenses: the paper skipped them
        assert got("bert-base-uncased", "a/mit").verdict == "compatible"  # no expression: the raw key
        local = got("bert-base-uncased", str(FIXTURES / "conflict_repo"))  # license detected from its files
        assert local.downstream_license == "GPL-3.0-only" and local.verdict == "compatible"
