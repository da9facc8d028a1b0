"""The folder walker: symlinks never leave the root, loops stop, size cap, skipped folders, bad files."""

from __future__ import annotations

import os

from peatmoss.usage import scan_path
from peatmoss.usage.model import FileRecord, SourceFile
from peatmoss.usage.walk import MAX_BYTES, walk

LOAD = b'from transformers import AutoModel\nAutoModel.from_pretrained("gpt2")\n'


def _split(root):
    items = list(walk(root))
    return ({i.path: i for i in items if isinstance(i, SourceFile)},
            {i.path: i for i in items if isinstance(i, FileRecord)})


def test_symlinks_out_of_root_and_loops(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.py").write_bytes(LOAD)
    root = tmp_path / "repo"
    (root / "src").mkdir(parents=True)
    (root / "src" / "a.py").write_bytes(LOAD)
    os.symlink(outside, root / "escape")
    os.symlink(outside / "secret.py", root / "leak.py")
    os.symlink(root / "src", root / "src" / "loop")
    os.symlink(root / "missing.py", root / "dangling.py")
    files, records = _split(root)
    assert set(files) == {"src/a.py"}
    assert records["escape"].error_kind == "symlink_outside_root"
    assert records["leak.py"].error_kind == "symlink_outside_root"
    assert records["dangling.py"].error_kind == "broken_symlink"
    assert records["src/loop"].error_kind == "symlink_loop"
    result = scan_path(root)
    assert [f.file for f in result.findings] == ["src/a.py"]


def test_skipped_folders_and_size_cap(tmp_path):
    for folder in (".git", "node_modules", "venv_custom", "pkg"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "m.py").write_bytes(LOAD)
    (tmp_path / "venv_custom" / "pyvenv.cfg").write_text("home = /usr\n")
    big = tmp_path / "pkg" / "big.py"
    big.write_bytes(LOAD + b"#" * (MAX_BYTES + 1))
    files, records = _split(tmp_path)
    assert set(files) == {"pkg/m.py"}
    assert records["pkg/big.py"].status == "skipped" and records["pkg/big.py"].error_kind == "too_large"


def test_bad_files_never_crash_the_scan(tmp_path):
    (tmp_path / "nul.py").write_bytes(b"import transformers\x00\n")
    (tmp_path / "deep.py").write_bytes(b"import transformers\nx = " + b"[" * 5000 + b"]" * 5000 + b"\ntransformers.AutoModel.from_pretrained(x)\n")
    (tmp_path / "nest.py").write_bytes(b"import transformers\n" + b"".join(
        b" " * i + b"if x:\n" for i in range(120)) + b" " * 120 + b"transformers.AutoModel.from_pretrained('t5-small')\n")
    (tmp_path / "bad.ipynb").write_bytes(b'{"cells": 3, "x": "import transformers; transformers.AutoModel.from_pretrained(1)"}')
    (tmp_path / "notjson.ipynb").write_bytes(b"\xff\xfe import transformers; transformers.AutoModel.from_pretrained(1)")
    (tmp_path / "cfg.json").write_bytes(b'{"model_name": ')
    (tmp_path / "use.py").write_text("import transformers\ncfg = {}\ntransformers.AutoModel.from_pretrained(cfg['model_name'])\n")
    result = scan_path(tmp_path)
    by_path = {r.path: r for r in result.files}
    assert by_path["nul.py"].error_kind == "binary"
    assert by_path["deep.py"].status == "degraded"
    assert by_path["bad.ipynb"].status == "error" and by_path["notjson.ipynb"].status == "error"
    assert by_path["cfg.json"].status == "error" and by_path["cfg.json"].error_kind == "invalid_config"
    nested = [f for f in result.findings if f.file == "nest.py"]
    assert nested and nested[0].model == "t5-small"
    dynamic = [f for f in result.findings if f.file == "use.py"]
    assert dynamic[0].resolution == "dynamic" and dynamic[0].arg_text == "cfg['model_name']"


def test_encodings(tmp_path):
    from usage_markers import FIXTURES

    result = scan_path(FIXTURES / "broken")
    by_path = {r.path: r for r in result.files}
    assert by_path["cp1252_cookie.py"].status == "ok"  # declared encoding: exact
    assert by_path["latin1.py"].status == "degraded" and by_path["latin1.py"].error_kind == "encoding"
