"""The signature catalog covers PeaTMOSS's list, and every added library has a fixture finding."""

from __future__ import annotations

import csv

import pytest
from usage_markers import FIXTURES, fixture_scan  # noqa: F401 (fixture)

from peatmoss.usage.catalog import load_catalog


@pytest.mark.shared
def test_all_peatmoss_signatures_are_in_the_catalog(shared_data):
    with open(shared_data / "peatmoss" / "signatures.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 474
    covered = {(s.peatmoss["import_identifier"], s.peatmoss["callable"], s.peatmoss["kind"])
               for s in load_catalog().signatures if s.peatmoss}
    missing = [r for r in rows if (r["import_identifier"], r["callable"], r["kind"]) not in covered]
    assert missing == []


def test_catalog_shape():
    catalog = load_catalog()
    ids = [s.id for s in catalog.signatures]
    assert len(ids) == len(set(ids))
    for s in catalog.signatures:
        assert s.match and s.library and s.kind in ("call", "attribute")
        assert s.fixed_model or s.named or s.picks or s.arg_pos is not None or s.arg_kw, s.id
    peatmoss_libraries = {s.library for s in catalog.signatures if s.peatmoss}
    added = {s.library for s in catalog.signatures if s.added} - peatmoss_libraries
    assert len(added) >= 25


ADDED = sorted({s.library for s in load_catalog().signatures if s.added}
               - {s.library for s in load_catalog().signatures if s.peatmoss})


@pytest.mark.parametrize("library", ADDED)
def test_added_library_has_a_fixture_finding(fixture_scan, library):
    found = [f for f in fixture_scan.findings if f.library == library and f.model and f.file.startswith("libraries/")]
    assert found, f"no fixture finds a {library} load"


@pytest.mark.parametrize("sig_id", sorted(s.id for s in load_catalog().signatures if s.added))
def test_added_signature_is_exercised(fixture_scan, sig_id):
    sig = next(s for s in load_catalog().signatures if s.id == sig_id)
    assert any(sig.matches(f.api) for f in fixture_scan.findings), f"no fixture calls {sig.match}"


@pytest.mark.parametrize("qualname,expected", [
    ("transformers.AutoModelForMaskedLM.from_pretrained", "transformers.from_pretrained"),
    ("transformers.models.llama.LlamaTokenizer.from_pretrained", "transformers.from_pretrained"),
    ("transformers.GenerationConfig.from_pretrained", "transformers.from_pretrained"),
    ("datasets.load_dataset", None),
    ("torchvision.models.segmentation.deeplabv3_resnet50", "torchvision.deeplabv3_resnet50"),
    ("ctransformers.AutoModelForCausalLM.from_pretrained", "ctransformers.from_pretrained"),
    ("peft.PeftModelForCausalLM.from_pretrained", "peft.from_pretrained"),
])
def test_lookup(qualname, expected):
    sig = load_catalog().lookup(qualname)
    assert (sig.id if sig else None) == expected


def test_task_defaults():
    catalog = load_catalog()
    assert catalog.task_default("translation_en_to_fr") == catalog.task_default("translation")
    assert catalog.task_default("no-such-task") is None
