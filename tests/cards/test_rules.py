"""The rules stage on synthetic cards: values, evidence spans, abstention, bad input."""

from peatmoss.cards import extract_card
from peatmoss.cards.rules import extract_rules

from .cards_fixtures import BROKEN_YAML_CARD, PROSE_CARD, TRAINER_CARD


def _vals(meta, field):
    return [e.value for e in getattr(meta, field) if e.state == "value"]


def _check_evidence(meta, text):
    for field, items in meta:
        for e in items:
            if e.evidence_start is not None:
                assert text[e.evidence_start:e.evidence_end] == e.evidence_text, field


def test_trainer_card():
    meta = extract_card(TRAINER_CARD)
    assert _vals(meta, "license") == ["apache-2.0"]
    assert [b.id for b in _vals(meta, "base_model")] == ["distilbert-base-uncased"]
    assert _vals(meta, "model_task") == ["text-classification"]
    assert _vals(meta, "domain") == ["nlp"]
    assert {h.name: h.value for h in _vals(meta, "hyper_parameters")} == {
        "learning_rate": "3e-05", "train_batch_size": "8", "num_epochs": "1"}
    assert _vals(meta, "frameworks") == ["pytorch"] and _vals(meta, "libraries") == ["transformers"]
    evals = _vals(meta, "evaluation")
    assert any(e.metric == "accuracy" and e.value == 0.875 and e.split == "test" for e in evals)
    assert any(e.metric == "Loss" and e.value == 0.31 for e in evals)
    lim = meta.limitation_and_bias
    assert len(lim) == 1 and lim[0].state == "not_stated"
    # no pattern matched: "not stated" at low confidence (left for the LLM stages), never a guessed value
    assert [(e.state, e.confidence) for e in meta.parameter_count] == [("not_stated", 0.5)]
    assert meta.base_model[0].state == "value" and meta.datasets[0].state == "value"
    _check_evidence(meta, TRAINER_CARD)


def test_prose_patterns_and_conflict():
    meta = extract_card(PROSE_CARD)
    assert _vals(meta, "parameter_count") == [125_000_000]
    hw = _vals(meta, "hardware")
    assert hw and "A100" in hw[0].name and hw[0].hours == 12
    assert _vals(meta, "carbon_emitted") == [3500.0]
    assert _vals(meta, "github_repo") == ["https://github.com/example-org/widget-net"]
    papers = _vals(meta, "papers")
    assert papers[0].url == "https://arxiv.org/abs/2101.00001" and papers[0].title == "Widgets for all"
    # misspelt YAML key and a prose license that disagrees: both kept, both flagged
    lic = meta.license
    assert {e.value for e in lic} == {"mit", "apache-2.0"}
    assert all(e.flagged for e in lic)
    assert {e.source for e in lic} == {"yaml", "prose-rule"}
    assert "from_pretrained" in _vals(meta, "demo")[0]
    assert "synthetic widgets" in _vals(meta, "limitation_and_bias")[0]
    _check_evidence(meta, PROSE_CARD)


def test_invalid_yaml_is_salvaged_and_recorded():
    b = extract_rules(BROKEN_YAML_CARD)
    meta = b.build()
    assert _vals(meta, "license") == ["cc-by-4.0"]
    assert [d.name for d in _vals(meta, "datasets")] == ["squad"]
    assert any(kind.startswith("yaml") for kind, _ in b.errors)
    _check_evidence(meta, BROKEN_YAML_CARD)


def test_license_list_and_tags():
    text = "---\nlicense:\n- MIT\nlanguage: de\n---\nhello\n"
    meta = extract_card(text, tags=["dataset:wikipedia", "arxiv:1810.04805", "base_model:adapter:org/base", "fr"])
    assert _vals(meta, "license") == ["mit"]
    assert {d.name for d in _vals(meta, "datasets")} == {"wikipedia"}
    assert _vals(meta, "papers")[0].url == "https://arxiv.org/abs/1810.04805"
    assert _vals(meta, "base_model")[0].relation == "adapter"
    assert set(_vals(meta, "language")) == {"de", "fr"}
    assert meta.datasets[0].source == "tags" and meta.datasets[0].evidence_start is None


def test_bad_inputs_do_not_crash():
    for text in ["", "no front matter at all", "<html><body><h1>Model</h1><p>hi</p></body></html>",
                 "\x00\x01\x02garbage\xff" * 50, "---\n: : :\n---\n", "---\nnot closed\n",
                 "# big\n" + ("word " * 130_000) + "\n```python\nimport x\n```\n"]:
        meta = extract_card(text)
        _check_evidence(meta, text)


def test_not_stated_is_distinct_from_not_extracted():
    meta = extract_card(TRAINER_CARD)
    assert meta.limitation_and_bias[0].state == "not_stated"
    assert meta.grant == []


def test_key_value_tables():
    text = ("# Model\n\n| Hyperparameter | Value |\n|---|---|\n| \\(n_{parameters}\\) | 1,234,567 |\n"
            "| n_vocab | 32000 |\n| learning rate | 3e-4 |\n\n| Model | Params |\n|---|---|\n| other | 7B |\n")
    meta = extract_card(text)
    assert _vals(meta, "parameter_count") == [1_234_567]
    assert _vals(meta, "vocabulary_size") == [32000]
    assert [(h.name, h.value) for h in _vals(meta, "hyper_parameters")] == [("learning rate", "3e-4")]
    _check_evidence(meta, text)


def test_fuzzed_cards_never_crash_and_evidence_holds():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pieces = st.sampled_from(["---\n", "license: mit\n", "licence: [apache-2.0\n", "- item\n", "# Title\n",
                              "## Limitations\n", "```python\nimport torch\n```\n", "| a | b |\n|---|---|\n",
                              "125M parameters ", "8 x A100 ", "3 kg CO2 ", "https://github.com/a/b ",
                              "https://arxiv.org/abs/2101.00001 ", "16kHz sampled ", "\x00", "\ufffd", "\n\n"])

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.one_of(pieces, st.text(max_size=40)), max_size=30))
    def run(parts):
        text = "".join(parts)
        meta = extract_card(text)
        _check_evidence(meta, text)

    run()
