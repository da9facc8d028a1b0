"""safeyaml.load builds plain documents without PyYAML's constructor: the data must be what the constructor gives."""

import datetime

import pytest
import yaml

from peatmoss.core import safeyaml

DOCS = [
    "license: mit\ntags:\n- a\n- 'b'\nlanguage: [en, fr]\n",
    "n: 12\nf: 1.5e3\nb: yes\nz: ~\nd: 2021-03-04\nt: 2021-03-04 10:00:00+02:00\noct: 0o17\nhex: 0x1F\ninf: .inf\n",
    "model-index:\n- name: m\n  results:\n  - task: {type: text-classification}\n    metrics:\n    - {type: acc, value: 0.9}\n",
    "a: 1\na: 2\nb: 3\n",  # a repeated key: the last value, at the first key's place
    "? [1, 2]\n: x\n",  # an unhashable key: the constructor's error
    "base: &b {x: 1}\nother:\n  <<: {y: 2}\n  z: 3\n",  # a merge key
    "s: !!set {a, b}\nbin: !!binary aGk=\n",  # tags the short loop leaves to the constructor
    "x: !custom 1\n",
    "big: " + "9" * 5000 + "\n",
    "- just\n- a list\n",
    "",
    "plain scalar",
    "key: [unclosed\n",
]


def _constructor(text):
    try:
        return yaml.load(text, Loader=safeyaml._Loader)  # noqa: S506 - a safe loader
    except (yaml.YAMLError, ValueError) as exc:
        return type(exc)


def _ours(text):
    try:
        return safeyaml.load(text)
    except yaml.YAMLError as exc:
        return type(exc)


@pytest.mark.parametrize("text", DOCS)
def test_same_data_as_the_constructor(text):
    want, got = _constructor(text), _ours(text)
    if want is ValueError:
        assert got is safeyaml.YAMLRefused
    else:
        assert got == want
        assert repr(got) == repr(want)  # same types and key order (1 == 1.0 == True would hide a difference)


def test_plain_document_skips_the_constructor():
    assert safeyaml._quick("a: [1, 2.5, x]\nd: 2020-01-02\n") == {"a": [1, 2.5, "x"], "d": datetime.date(2020, 1, 2)}
    assert safeyaml._quick("s: !!set {a}\n") is safeyaml._Unusual
    assert safeyaml._quick("<<: {a: 1}\n") is safeyaml._Unusual
