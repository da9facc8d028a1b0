"""Repository license detection against the labelled development set (needs the bare git mirrors)."""

from pathlib import Path

import pytest

from peatmoss.licenses.evaldetect import dev_set, evaluate

MIRRORS = Path("/work/.mirror")


@pytest.mark.shared
def test_dev_set_labels(shared_data):
    labels = dict(dev_set(shared_data / "downstream_dev.md"))
    assert len(labels) == 40
    assert labels["facebookresearch/contriever"] == "CC-BY-NC-4.0" and labels["sidharth131102/InvestIQ"] == "NONE"


@pytest.mark.shared
def test_detection_on_dev_set(shared_data):
    if not MIRRORS.is_dir():
        pytest.skip("no git mirrors of the development set")
    cases = evaluate(shared_data / "downstream_dev.md", MIRRORS)
    if len(cases) < 40:
        pytest.skip(f"only {len(cases)} mirrors present")
    wrong = [c for c in cases if not c.correct]
    assert not wrong, wrong
