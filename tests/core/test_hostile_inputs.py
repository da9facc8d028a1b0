"""Hostile parser inputs: YAML alias bombs and giant integers in front matter, zip/tar bombs among PyTorch Hub
pages, notebooks whose source lists hold non-strings, and the one redaction function."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile

import pytest
import yaml

from peatmoss.core import safeyaml
from peatmoss.core.frontmatter import split_front_matter
from peatmoss.core.redact import REDACTED, add_secret, redact, redact_bytes, redact_data
from peatmoss.registries import pytorch_hub
from peatmoss.registries.pytorch_hub import ArchiveLimit, iter_pages, parse_page
from peatmoss.usage.notebooks import notebook_cells

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(12))
PAGE = "---\nlayout: hub_detail\ntitle: Net\n{extra}---\n```python\nimport torch\nm = torch.hub.load('o/r', 'net')\n```\n"


def test_alias_bomb_is_refused_and_the_rest_salvaged():
    with pytest.raises(safeyaml.YAMLRefused):
        safeyaml.load(BOMB)
    fm = split_front_matter("---\ntitle: T\n" + BOMB + "---\nbody\n")
    assert "aliases" in fm.error and fm.data["title"] == "T"
    assert json.dumps(fm.data, default=str).count("x") < 100  # nothing expanded
    with pytest.raises(ValueError, match="aliases"):  # a PyTorch Hub page: an error row, nothing expanded
        parse_page("o_r_net", PAGE.format(extra=BOMB))


def test_a_few_aliases_still_load():
    assert safeyaml.load("a: &x [1]\nb: *x\n") == {"a": [1], "b": [1]}


def test_integer_over_the_digit_limit_does_not_fail_the_card():
    fm = split_front_matter("---\nlicense: mit\nbig: " + "9" * 5000 + "\n---\n# card\n")
    assert fm.data["license"] == "mit" and fm.error
    with pytest.raises(yaml.YAMLError):
        safeyaml.load("n: " + "1" * 4400)


def _zip(tmp_path, members: dict[str, bytes]):
    path = tmp_path / "hub.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_bomb_page_is_not_inflated(tmp_path):
    path = _zip(tmp_path, {"hub/o_r_a.md": PAGE.format(extra="").encode(), "hub/o_r_bomb.md": b"\0" * (64 * 1024 ** 2)})
    assert path.stat().st_size < 1024 ** 2
    pages = dict(iter_pages(path))
    assert isinstance(pages["o_r_bomb.md"], ArchiveLimit) and isinstance(pages["o_r_a.md"], bytes)


def test_tar_with_a_huge_page_and_too_many_members(tmp_path, monkeypatch):
    path = tmp_path / "hub.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name, data in (("hub/o_r_a.md", PAGE.format(extra="").encode()), ("hub/o_r_big.md", b"#" * 5_000_000)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    pages = dict(iter_pages(path))
    assert isinstance(pages["o_r_big.md"], ArchiveLimit) and isinstance(pages["o_r_a.md"], bytes)
    monkeypatch.setattr(pytorch_hub, "MAX_MEMBERS", 1)
    assert isinstance(dict(iter_pages(path))["hub.tar.gz"], ArchiveLimit)


def test_refused_page_is_an_error_row(tmp_path, sqlite_url):
    path = _zip(tmp_path, {"hub/o_r_bomb.md": b"\0" * (64 * 1024 ** 2)})
    counts = pytorch_hub.collect_pytorch_hub(sqlite_url, path)
    assert counts.pages == 0 and counts.errors == 1


def test_notebook_source_with_non_strings():
    nb = {"cells": [{"cell_type": "code", "source": ["import torch\n", 7, None, "x = 1\n"]}]}
    [cell] = notebook_cells(json.dumps(nb).encode())
    assert cell.text == "import torch\nx = 1\n"


def test_redact(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_abcdefghijklmnop")
    add_secret("sk-registeredkey123")
    text = ("GET http://user:pa55@host:8/x?token=t0ps3cret&a=1 Authorization: Bearer hf_abcdefghijklmnop "
            "{'authorization': 'Bearer zzzzzzzzzz'} sk-registeredkey123")
    out = redact(text)
    for secret in ("pa55", "user:", "t0ps3cret", "hf_abcdefghijklmnop", "zzzzzzzzzz", "sk-registeredkey123"):
        assert secret not in out
    assert "host:8/x" in out and "a=1" in out and REDACTED in out
    assert redact("plain text: nothing@here, http://host/path") == "plain text: nothing@here, http://host/path"
    assert redact_bytes(b"echo hf_abcdefghijklmnop") == b"echo " + REDACTED.encode()
    assert redact_data({"endpoint": "http://u:p4ss@h", "n": 3}) == {"endpoint": f"http://{REDACTED}@h", "n": 3}


def test_repository_config_alias_bomb_is_not_walked():
    from peatmoss.usage.repo import load_config

    assert load_config("config.yaml", ("model: org/x\n" + BOMB).encode()) is None
    assert load_config("config.yaml", b"model_name: org/x\n") == {"model_name": "org/x"}
