"""Repository license detection against a labelled development set read from bare git mirrors."""

import subprocess
from pathlib import Path

import pytest

from peatmoss.core.paths import mirror_repo, mirrors_dir
from peatmoss.licenses.evaldetect import dev_set, evaluate
from peatmoss.licenses.textmatch import reference_texts

DEV_MD = """| # | repository | license | loads |
|---|---|---|---|
| 1 | acme/mit-tool | MIT | 2 |
| 2 | acme/bare | none | 1 |
| 3 | acme/not-mirrored | Apache-2.0 | 1 |
"""


def _git(*args, cwd: Path) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main",
                    *args], cwd=cwd, check=True, capture_output=True)


def _mirror(mirrors: Path, full_name: str, files: dict[str, str], tmp: Path) -> None:
    """A bare git repository of `files`, at the place mirror_repo gives for `full_name`."""
    work = tmp / full_name.replace("/", "_")
    work.mkdir(parents=True)
    for name, text in files.items():
        (work / name).write_text(text, encoding="utf-8")
    _git("init", "-q", cwd=work)
    _git("add", ".", cwd=work)
    _git("commit", "-q", "-m", "initial", cwd=work)
    target = mirror_repo(mirrors, full_name)
    target.parent.mkdir(parents=True)
    _git("clone", "-q", "--bare", str(work), str(target), cwd=tmp)


def test_detection_from_local_bare_mirrors(tmp_path):
    mirrors = tmp_path / "mirrors"
    _mirror(mirrors, "acme/mit-tool", {"LICENSE": reference_texts()["MIT"], "main.py": "print(1)\n"}, tmp_path)
    _mirror(mirrors, "acme/bare", {"README.md": "# bare\n\nNo license here.\n", "main.py": "x = 1\n"}, tmp_path)
    dev = tmp_path / "downstream_dev.md"
    dev.write_text(DEV_MD, encoding="utf-8")
    cases = {c.repo: c for c in evaluate(dev, mirrors)}
    assert set(cases) == {"acme/mit-tool", "acme/bare"}  # a repository without a mirror is left out
    assert cases["acme/mit-tool"].detected == "MIT" and cases["acme/mit-tool"].correct
    assert cases["acme/bare"].expected == "NONE" and cases["acme/bare"].correct, cases["acme/bare"]


@pytest.mark.shared
def test_dev_set_labels(shared_data):
    labels = dict(dev_set(shared_data / "downstream_dev.md"))
    assert len(labels) == 40
    assert labels["facebookresearch/contriever"] == "CC-BY-NC-4.0" and labels["sidharth131102/InvestIQ"] == "NONE"


@pytest.mark.shared
def test_detection_on_dev_set(shared_data):
    mirrors = mirrors_dir()
    if mirrors is None:
        pytest.skip("no git mirrors of the development set (set PEATMOSS_MIRRORS)")
    cases = evaluate(shared_data / "downstream_dev.md", mirrors)
    if len(cases) < 40:
        pytest.skip(f"only {len(cases)} of 40 mirrors in $PEATMOSS_MIRRORS")
    wrong = [c for c in cases if not c.correct]
    assert not wrong, wrong
