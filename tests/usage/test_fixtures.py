"""Every `# expect:` marker in the fixtures is met by the scan, and no finding lacks a marker."""

from __future__ import annotations

import pytest

from usage_markers import all_markers, fixture_scan  # noqa: F401 (fixture)

MARKERS = all_markers()
FIELDS = {"resolution": "resolution", "revision": "revision", "reuse": "reuse_mode"}


def _at(scan, key):
    file, cell, line = key
    return [f for f in scan.findings if (f.file, f.cell, f.line) == (file, cell, line)]


@pytest.mark.parametrize("key", sorted(MARKERS, key=str), ids=lambda k: f"{k[0]}:{k[1]}:{k[2]}")
def test_marker(fixture_scan, key):
    expected = MARKERS[key]
    found = _at(fixture_scan, key)
    if expected.get("none"):
        assert found == [], f"unexpected finding {found}"
        return
    assert len(found) == 1, f"expected one finding at {key}, got {found}"
    f = found[0]
    model = expected["model"]
    assert f.model == (None if model == "None" else model)
    for key_name, attr in FIELDS.items():
        if key_name in expected:
            assert getattr(f, attr) == expected[key_name], attr
    if "candidates" in expected:
        assert f.candidates == expected["candidates"].split(",")
    elif f.model is not None:
        assert f.candidates == [f.model]
    if "trust" in expected:
        assert f.trust_remote_code is (expected["trust"] == "true")
    assert f.is_local_path is (expected.get("local") == "true")
    if f.resolution == "dynamic":
        assert f.model is None and f.candidates == [] and f.arg_text, "dynamic keeps the expression text"


def test_no_unmarked_findings(fixture_scan):
    marked = {k for k, v in MARKERS.items() if not v.get("none")}
    extra = [(f.file, f.cell, f.line, f.api) for f in fixture_scan.findings if (f.file, f.cell, f.line) not in marked]
    assert extra == []


def test_every_resolution_kind_is_exercised(fixture_scan):
    kinds = {f.resolution for f in fixture_scan.findings}
    from peatmoss.usage.model import RESOLUTIONS

    assert kinds == set(RESOLUTIONS)


def test_findings_carry_call_text_and_confidence_order(fixture_scan):
    by_kind = {}
    for f in fixture_scan.findings:
        assert f.call_text and f.library and f.api
        by_kind.setdefault(f.resolution, f.confidence)
    assert by_kind["literal"] > by_kind["constant"] > by_kind["config_file"] > by_kind["dynamic"]
    assert by_kind["token_scan"] < by_kind["literal"]
