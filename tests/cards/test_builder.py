"""The builder's entries, made without validating again, are the objects pydantic validation makes; its
shortcut to a string's dedupe key gives the key json.dumps gives."""

import json
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peatmoss.cards.builder import Builder, dedupe_key, validate_value
from peatmoss.cards.schema import CardMetadata, Extracted, to_plain, value_type

TEXT = "trained on SQuAD with 8 V100 GPUs; license MIT"


def validated(field, entry):
    """The same entry made by pydantic validation from its fields."""
    return Extracted[value_type(field)](**{k: getattr(entry, k) for k in Extracted.model_fields})


def test_entries_equal_validated_ones():
    b = Builder(TEXT)
    made = [("datasets", b.add("datasets", {"name": "squad"}, "prose-rule", (11, 16), 0.71234)),
            ("hardware", b.add("hardware", {"name": "8 V100 GPUs"}, "prose-rule", (22, 33), 0.8)),
            ("license", b.add("license", "mit", "prose-rule", (43, 46), 1)),  # an int confidence is a float
            ("license", b.add("license", "apache-2.0", "yaml", (999, 1000), 0.9)),  # span outside: flagged
            ("parameter_count", b.add("parameter_count", 110_000_000, "prose-rule", None, 0.85))]
    b.not_stated("papers", "prose-rule", None, 0.5)
    made.append(("papers", b.fields["papers"][0]))
    for field, entry in made:
        twin = validated(field, entry)
        assert entry == twin and type(entry) is type(twin)
        assert entry.model_dump_json() == twin.model_dump_json() and repr(entry) == repr(twin)
    assert isinstance(b.fields["license"][0].confidence, float)
    assert b.fields["license"][1].flagged and b.fields["license"][1].evidence_start is None
    assert CardMetadata.model_validate(b.build().model_dump()) == b.build()


@pytest.mark.parametrize("source,confidence", [("guess", 0.5), ("yaml", 1.5), ("yaml", -0.1)])
def test_what_validation_refuses_is_refused(source, confidence):
    with pytest.raises(ValueError):
        Builder(TEXT).add("license", "mit", source, None, confidence)
    with pytest.raises(ValueError):
        Builder(TEXT).not_stated("license", source, None, confidence)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40) | st.text(alphabet=string.printable, max_size=40))
def test_string_key_is_its_lower_case_json(value):
    assert dedupe_key("license", value) == json.dumps(value).lower()


_SCALAR = st.text(max_size=30) | st.text(alphabet=string.printable, max_size=30)


@settings(max_examples=300, deadline=None)
@given(name=_SCALAR, value=_SCALAR)
def test_hyper_parameter_key_is_its_lower_case_json(name, value):
    hp = validate_value("hyper_parameters", {"name": name, "value": value})
    assert dedupe_key("hyper_parameters", hp) == json.dumps(to_plain(hp), sort_keys=True, default=str).lower()


@settings(max_examples=300, deadline=None)
@given(metric=_SCALAR, value=st.floats() | st.integers(-10**6, 10**6) | _SCALAR,
       dataset=st.none() | _SCALAR, split=st.none() | _SCALAR)
def test_evaluation_key_is_its_lower_case_json(metric, value, dataset, split):
    ev = validate_value("evaluation", {"metric": metric, "value": value, "dataset": dataset, "split": split})
    assert dedupe_key("evaluation", ev) == json.dumps(to_plain(ev), sort_keys=True, default=str).lower()
