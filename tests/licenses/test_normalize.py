import csv

import pytest

from peatmoss.licenses.families import family
from peatmoss.licenses.normalize import NONE, hub_ids, licenserefs, normalize, normalize_many


@pytest.mark.parametrize("raw, expected", [
    ("apache-2.0", "Apache-2.0"), ("MIT", "MIT"), ("bsd-new", "BSD-3-Clause"),
    ("gpl-3.0-plus", "GPL-3.0-or-later"), ("apache-2.0 WITH llvm-exception", "Apache-2.0 WITH LLVM-exception"),
    ("License :: OSI Approved :: MIT License", "MIT"), ("Apache License 2.0", "Apache-2.0"),
    ("apache-2", "Apache-2.0"), ("BSD-3", "BSD-3-Clause"), ("Academic Free License v3.0", "AFL-3.0"),
    ("llama2", "LicenseRef-Llama-2"), ("creativeml-openrail-m", "LicenseRef-CreativeML-OpenRAIL-M"),
    ("stable-diffusion-2022-08-22", "LicenseRef-CreativeML-OpenRAIL-M"), ("GPL-2.0+ OR MIT", "GPL-2.0-or-later OR MIT"),
    ("lgpl-lr", "LGPLLR"), ("CC-BY-SA-4.0", "CC-BY-SA-4.0"), ("gpl-3.0", "GPL-3.0-only"), (["mit"], "MIT"),
    ("mit and apache-2.0", "MIT AND Apache-2.0"),
])
def test_normalize_known(raw, expected):
    assert normalize(raw).expression == expected


@pytest.mark.parametrize("raw", [None, "", "none", "no license"])
def test_no_license_is_none(raw):
    assert normalize(raw).expression == NONE


@pytest.mark.parametrize("raw", ["???", "other", "unknown", "foo bar baz", "MIT AND foo", "x" * 100000, "((("])
def test_unrecognised_gives_reason_not_crash(raw):
    n = normalize(raw)
    assert n.expression is None and n.reason


def test_hub_other_with_license_name():
    assert normalize("other", license_name="llama3").expression == "LicenseRef-Llama-3"
    n = normalize("other", license_name="my-weird-license", license_link="LICENSE.md")
    assert n.expression is None and "my-weird-license" in n.reason


def test_many_licenses_become_and_expression_dropping_noise():
    n = normalize_many(["mit", "apache-2.0", "warranty-disclaimer"])
    assert n.expression == "MIT AND Apache-2.0"
    assert normalize_many(["unknown-license-reference"]).expression is None


@pytest.mark.shared
def test_all_hub_ids_are_covered(shared_data):
    with open(shared_data / "licenses" / "hf-hub-license-identifiers.csv", newline="") as fh:
        ids = [r["hf_license_id"] for r in csv.DictReader(fh)]
    assert len(ids) == 69
    missing = [i for i in ids if i not in ("other", "unknown") and i not in hub_ids()]
    assert not missing
    for i in ids:
        if i in ("other", "unknown"):
            continue
        expr = normalize(i).expression
        assert expr, i
        assert family(expr) != "unknown" or i == "cc", (i, expr)


def test_licenserefs_documented():
    for ref, row in licenserefs().items():
        assert ref.startswith("LicenseRef-") and row["name"] and row["url"].startswith("http")
    for expr in hub_ids().values():
        if expr.startswith("LicenseRef-"):
            assert expr in licenserefs()


@pytest.mark.parametrize("name, expected", [
    ("llama3", "LicenseRef-Llama-3"), ("Llama 3.1 Community License", "LicenseRef-Llama-3.1"),
    ("tongyi-qianwen", "LicenseRef-Tongyi-Qianwen"), ("deepseek", "LicenseRef-DeepSeek-Model"),
    ("flux-1-dev-non-commercial-license", "LicenseRef-FLUX-1-dev-Non-Commercial"),
    ("stabilityai-ai-community", "LicenseRef-Stability-AI-Community"),
])
def test_hub_other_license_names(name, expected):
    expr = normalize("other", license_name=name).expression
    assert expr == expected and family(expr) != "unknown"


@pytest.mark.shared
def test_real_card_license_values(shared_data):
    """Every license value of the Feb-2022 Hub list is normalised, except 'other' and '???'."""
    import gzip
    import json

    missed = set()
    with gzip.open(shared_data / "hf_api" / "hub_list_models_full_2022-02.jsonl.gz", "rt") as fh:
        for line in fh:
            for tag in json.loads(line).get("tags") or []:
                if tag.startswith("license:") and normalize(tag[8:]).expression is None:
                    missed.add(tag[8:])
    assert missed <= {"other", "???"}


@pytest.mark.parametrize("card, expected", [
    ({"license": {"a": 1}}, None), ({"license": 3}, None), ({"license": ["mit", None]}, "MIT"),
    ({"license": "other", "license_name": 5}, None), ("not a dict", NONE), (None, NONE), ({"licence": "MIT"}, "MIT"),
    ({"license": ["mit", "apache-2.0"]}, "MIT AND Apache-2.0"),
])
def test_model_expression_from_odd_cards(card, expected):
    from peatmoss.db.models import Model
    from peatmoss.licenses.modellicense import model_expression

    n = model_expression(Model(hub_id="x", card_data=card), [])
    assert n.expression == expected
    assert n.expression is not None or n.reason


def test_hub_data_odd_records(tmp_path):
    import json

    from peatmoss.licenses.lookup import load_hub_data

    path = tmp_path / "hub.json"
    path.write_text(json.dumps({"a/b": ["x"], "c/d": {"cardData": "junk", "tags": ["license:mit"]}, "e/f": None}))
    data = load_hub_data(path)
    assert data["c/d"]["license"] == "mit" and data["e/f"]["license"] is None and "a/b" not in data
