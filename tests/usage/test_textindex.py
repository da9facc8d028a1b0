"""The trigram index behind `Repo.mentioning` leaves out no file that holds what is searched, and a scan gives the
same findings whether the first pass makes the index, a search makes it, or there is none."""

from __future__ import annotations

from pathlib import Path

from peatmoss.usage import scan
from peatmoss.usage.repo import Repo, may_declare_coding
from peatmoss.usage.scan import scan_path
from peatmoss.usage.textindex import TrigramIndex

FIXTURES = Path(__file__).parent / "fixtures"
SOURCES = sorted(p for p in FIXTURES.rglob("*.py"))
NEEDLES = [b"from_pretrained", b"AutoModel", b"Model", b"torch", b"load", b"import", b"os", b"x", b"",
           b"pretrained_model_name_or_path", b"no_file_spells_this_name", b"\n\n"]


def test_no_file_holding_a_needle_is_left_out():
    data = {p.relative_to(FIXTURES).as_posix(): p.read_bytes() for p in SOURCES}
    data["cookie.py"] = "# -*- coding: cp1252 -*-\nname = 'caf\u00e9'\n".encode("cp1252")
    keys = sorted(data)
    index = TrigramIndex.build(keys, data.get, lambda d: not may_declare_coding(d))
    for needle in NEEDLES:
        holding = [k for k in keys if needle in data[k]]
        found = index.candidates(needle)
        assert set(holding) <= set(found), needle
        assert found == sorted(found)  # in the order of the keys
        assert "cookie.py" in found  # its text is searched decoded: always a candidate
    pair = index.candidates(b"AutoModel", b"from_pretrained")
    assert {k for k in keys if b"AutoModel" in data[k] and b"from_pretrained" in data[k]} <= set(pair)
    assert len(index.candidates(b"no_file_spells_this_name")) < len(keys)  # it does filter


def test_mentioning_is_the_same_with_and_without_the_index():
    data = {p.relative_to(FIXTURES).as_posix(): p.read_bytes() for p in SOURCES}
    texts = {k: (lambda v=v: v.decode("utf-8", "replace")) for k, v in data.items()}
    plain, indexed = Repo(texts, {}), Repo(texts, {}, data=data.get)
    asked = 0
    for name in ("AutoModel", "from_pretrained", "load_model", "MODEL", "pipeline", "caf\u00e9"):
        for last in ("models", "utils", "config", "a"):
            got = indexed.mentioning(name, last, "")
            assert got == plain.mentioning(name, last, "")
            asked += bool(got)
    assert asked and indexed.text_index is not None


def test_scan_findings_do_not_depend_on_where_the_index_is_made(monkeypatch):
    lazy = scan_path(FIXTURES)  # small: a search makes the index
    monkeypatch.setattr(scan, "INDEX_BYTES", 1)  # the first pass makes it
    early = scan_path(FIXTURES)
    assert len(lazy.findings) > 100
    assert [f.to_dict() for f in early.findings] == [f.to_dict() for f in lazy.findings]
    assert early.files == lazy.files
