"""Repository license detection from files, and bad input (never a crash)."""

import json
from pathlib import Path

from peatmoss.licenses.detect import detect_repo_license
from peatmoss.licenses.textmatch import THRESHOLD, dice, match_text, reference_texts, references


def text(name: str) -> str:
    return reference_texts()[name]


def test_threshold_separates_reference_texts():
    refs = references()
    names = sorted(refs)
    closest = max(dice(refs[a], refs[b]) for a in names for b in names if a < b)
    assert closest < THRESHOLD  # no two different reference licenses reach the threshold


def test_match_tolerates_holder_and_reflow():
    mit = text("MIT").replace("<year> <copyright holders>", "2021 ACME Corp.").replace("\n", " ")
    assert match_text(mit).license == "MIT"
    assert match_text(text("BSD-3-Clause")).license == "BSD-3-Clause"
    assert match_text(text("BSD-2-Clause")).license == "BSD-2-Clause"


def test_truncated_license_falls_back_to_title():
    m = match_text(text("Apache-2.0")[:1500])
    assert m.license == "Apache-2.0" and m.method == "title"


def test_several_license_files_make_an_and_expression(tmp_path):
    (tmp_path / "LICENSE-MIT").write_text(text("MIT"))
    (tmp_path / "LICENSE-APACHE").write_text(text("Apache-2.0"))
    det = detect_repo_license(tmp_path)
    assert det.expression == "Apache-2.0 AND MIT"


def test_no_license_is_none(tmp_path):
    (tmp_path / "main.py").write_text("print(1)\n")
    assert detect_repo_license(tmp_path).expression == "NONE"


def test_metadata_sources(tmp_path):
    a = tmp_path / "a"
    a.mkdir()
    (a / "setup.cfg").write_text("[metadata]\nname = x\nclassifiers =\n    License :: OSI Approved :: BSD License\n    License :: OSI Approved :: Apache Software License\n")
    det = detect_repo_license(a)
    assert det.expression == "Apache-2.0"  # the specific id beats the family classifier
    b = tmp_path / "b"
    b.mkdir()
    (b / "setup.py").write_text("from setuptools import setup\nsetup(name='x', license='GPLv3')\n")
    assert detect_repo_license(b).expression == "GPL-3.0-only"
    c = tmp_path / "c"
    c.mkdir()
    (c / "package.json").write_text(json.dumps({"name": "x", "license": "(MIT OR Apache-2.0)"}))
    assert detect_repo_license(c).expression == "MIT OR Apache-2.0"
    d = tmp_path / "d"
    d.mkdir()
    (d / "README.md").write_text("# Tool\n\nUsage.\n\n## License\n\nReleased under the MIT license.\n\n## Thanks\nGPL-3 folks\n")
    det = detect_repo_license(d)
    assert det.expression == "MIT" and det.evidence[0].line == 5


def test_conflicting_declarations(tmp_path):
    (tmp_path / "LICENSE").write_text(text("GPL-3.0-only"))
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nlicense = "MIT"\n')
    det = detect_repo_license(tmp_path)
    assert det.expression == "GPL-3.0-only" and "MIT" in det.conflict


def test_agreeing_declarations_are_no_conflict(tmp_path):
    (tmp_path / "LICENSE").write_text(text("GPL-3.0-only"))
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nclassifiers = ["License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)"]\n')
    assert detect_repo_license(tmp_path).conflict is None


def test_bad_inputs_never_crash(tmp_path):
    cases = {
        "empty": {"LICENSE": ""},
        "garbage": {"LICENSE": "\x00\xff\xfe binary \x00" * 100},
        "unknown-text": {"COPYING": "You may do whatever the author allows on Tuesdays."},
        "bad-toml": {"pyproject.toml": "[project\nlicense = ", "setup.cfg": "[metadata\nlicense=", "package.json": "{nope"},
        "unknown-string": {"pyproject.toml": '[project]\nname="x"\nlicense = "Frobozz Public License 9"\n'},
    }
    for name, files in cases.items():
        root = tmp_path / name
        root.mkdir()
        for fname, content in files.items():
            (root / fname).write_text(content, errors="surrogateescape") if isinstance(content, str) else None
        det = detect_repo_license(root)
        assert det.expression is None and det.reason, (name, det)
    huge = tmp_path / "huge"
    huge.mkdir()
    with open(huge / "LICENSE", "w") as fh:
        fh.write(text("MIT"))
        fh.write("lorem ipsum dolor sit amet " * 200_000)  # ~5 MB
    det = detect_repo_license(huge)
    assert det.reason  # cut at 1 MB, decided without crashing
    assert detect_repo_license(tmp_path / "missing").expression is None


def test_dual_license_files_follow_the_declared_or(tmp_path):
    (tmp_path / "LICENSE-MIT").write_text(text("MIT"))
    (tmp_path / "LICENSE-APACHE").write_text(text("Apache-2.0"))
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nlicense = "MIT OR Apache-2.0"\n')
    assert detect_repo_license(tmp_path).expression == "MIT OR Apache-2.0"


def test_files_named_like_a_license_but_holding_no_text_are_not_license_files(tmp_path):
    (tmp_path / "license_plate_detector.pt").write_bytes(b"\x80\x02weights")
    (tmp_path / "license_plate.py").write_text("import cv2\n")
    det = detect_repo_license(tmp_path)
    assert det.expression == "NONE" and det.evidence == []
    (tmp_path / "LICENSE.txt").write_text(text("MIT"))
    assert detect_repo_license(tmp_path).expression == "MIT"
