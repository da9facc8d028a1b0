"""Nothing outside a repository folder is read: LICENSE/LICENSES links out, pyproject license files out of the
root (relative or absolute). The sentinel outside names GPL-3.0; if it were read, the verdict would change."""

from __future__ import annotations

import os

import pytest

from peatmoss.core import safefs
from peatmoss.licenses.detect import detect_repo_license
from peatmoss.usage import scan_path

SENTINEL = "SPDX-License-Identifier: GPL-3.0-only\n"


@pytest.fixture
def outside(tmp_path):
    out = tmp_path / "outside"
    (out / "dir").mkdir(parents=True)
    (out / "LICENSE").write_text(SENTINEL)
    (out / "dir" / "GPL.txt").write_text(SENTINEL)
    (out / "model.py").write_text('from transformers import AutoModel\nAutoModel.from_pretrained("org/outside")\n')
    return out


def _repo(tmp_path):
    root = tmp_path / "repo"
    root.mkdir()
    return root


def _read_nothing_outside(det):
    assert "GPL" not in (det.expression or ""), det
    assert all("GPL" not in (e.expression or "") for e in det.evidence), det.evidence


def test_license_symlink_out_is_not_read(tmp_path, outside):
    root = _repo(tmp_path)
    os.symlink(outside / "LICENSE", root / "LICENSE")
    det = detect_repo_license(root)
    _read_nothing_outside(det)
    assert det.expression == "NONE"
    # the same link inside the root is followed
    (root / "docs").mkdir()
    (root / "docs" / "L").write_text(SENTINEL)
    os.remove(root / "LICENSE")
    os.symlink(root / "docs" / "L", root / "LICENSE")
    assert detect_repo_license(root).expression == "GPL-3.0-only"


def test_licenses_folder_link_out_is_not_listed(tmp_path, outside):
    root = _repo(tmp_path)
    os.symlink(outside / "dir", root / "LICENSES")
    _read_nothing_outside(detect_repo_license(root))
    os.symlink("/etc", tmp_path / "repo2")
    assert safefs.file_names(root, "LICENSES") == []


@pytest.mark.parametrize("ref", ["../outside/LICENSE", "{abs}", "link", "sub/../../outside/LICENSE", "/", "a\x00b"])
def test_pyproject_license_file_out_is_not_read(tmp_path, outside, ref):
    root = _repo(tmp_path)
    os.symlink(outside / "LICENSE", root / "link")
    ref = ref.format(abs=outside / "LICENSE")
    (root / "pyproject.toml").write_text(f'[project]\nname = "x"\nlicense = {{file = {ref!r}}}\n'.replace("'", '"')
                                         if "\x00" not in ref else '[project]\nlicense = {file = "a\\u0000b"}\n')
    det = detect_repo_license(root)  # no exception, whatever the path
    _read_nothing_outside(det)


def test_safefs_refuses_out_and_non_regular(tmp_path, outside):
    root = _repo(tmp_path)
    os.symlink(outside / "LICENSE", root / "out")
    os.mkfifo(root / "fifo")
    (root / "ok").write_text("fine")
    assert safefs.read_bytes(root, "ok", 10) == b"fine"
    for rel in ("out", "../outside/LICENSE", str(outside / "LICENSE"), "fifo"):
        with pytest.raises(safefs.OutsideRoot):
            safefs.read_bytes(root, rel, 10)
    assert safefs.file_names(root) == ["ok"]


def test_scan_reads_nothing_outside(tmp_path, outside):
    root = _repo(tmp_path)
    os.symlink(outside / "model.py", root / "m.py")
    os.symlink(outside, root / "sub")
    result = scan_path(root)
    assert not [f for f in result.findings if "outside" in (f.model or "")]
    kinds = {f.path: f.error_kind for f in result.files}
    assert kinds["m.py"] == kinds["sub"] == "symlink_outside_root"
