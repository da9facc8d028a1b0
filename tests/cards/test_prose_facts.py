"""Round-2 rules on synthetic cards: own papers only, base model / datasets / task from prose, stated sequence
limit, input/output format, metric tables; and bounded patterns on hostile input."""

import time

from peatmoss.cards import extract_card
from peatmoss.cards.markdown import code_blocks

OWN_AND_CITED = """---
license: mit
---
# Widget-BERT

Widget-BERT was introduced in [this paper](https://arxiv.org/abs/2201.00001) by the widget team.

## Training data

It was trained on [WidgetCorpus](https://example.org/widget-corpus), see the dataset paper [here](https://arxiv.org/abs/1901.00002).

| model | score | reference |
|---|---|---|
| baseline | 71.0 | [paper](https://arxiv.org/abs/1801.00003) |

## Limitations and bias

Results differ from the study in [this paper](https://arxiv.org/abs/1701.00004).

## Citation

```bibtex
@inproceedings{widget2022,
  title     = {Widget-BERT: Masked Widgets
               for Everyone},
  booktitle = {Proceedings of Widgets},
}
@misc{widgettool,
  title = {The Widget Toolkit},
}
```
"""

FINE_TUNE_PROSE = """---
language: en
---
# sentiment-widget

This checkpoint was initialized from [widget-base](https://huggingface.co/example-org/widget-base) and then
fine-tuned on the [Widget Reviews](https://huggingface.co/datasets/example-org/widget-reviews) dataset.
If you want a larger model, see [widget-large-sentiment](https://huggingface.co/example-org/widget-large-sentiment).

We trained with max_seq_length: 128; the model has a maximum sequence length of 512 tokens.

```python
from transformers import AutoModelForSequenceClassification
model = AutoModelForSequenceClassification.from_pretrained("example-org/sentiment-widget")
```

| Metric | Value |
|---|---|
| accuracy | 0.91 |
| F1 | 0.88 |
"""

NO_DERIVATION = """---
license: apache-2.0
---
# widget-scratch

A model trained from scratch on widget logs. See the documentation for usage.
"""


def _vals(meta, field):
    return [e.value for e in getattr(meta, field) if e.state == "value"]


def test_papers_are_the_models_own():
    meta = extract_card(OWN_AND_CITED)
    papers = _vals(meta, "papers")
    urls = {p.url for p in papers if p.url}
    titles = {p.title for p in papers if p.title}
    assert urls == {"https://arxiv.org/abs/2201.00001"}  # not the dataset, table or limitations papers
    assert "Widget-BERT: Masked Widgets for Everyone" in titles  # a BibTeX title over two lines
    assert "The Widget Toolkit" not in titles  # a @misc without a link is a toolkit or the model, not a paper
    for e in meta.papers:
        assert OWN_AND_CITED[e.evidence_start:e.evidence_end] == e.evidence_text


def test_only_other_papers_leaves_the_field_empty():
    card = "# m\n\nWe compare with the baseline of [this paper](https://arxiv.org/abs/1801.00003) on the benchmark.\n"
    meta = extract_card(card)
    assert meta.papers == []  # neither a value nor "not stated": a reader must decide


def test_base_model_datasets_and_task_from_prose():
    meta = extract_card(FINE_TUNE_PROSE)
    bases = _vals(meta, "base_model")
    assert [b.id for b in bases] == ["example-org/widget-base"]  # not the "larger model" link
    assert 0 < meta.base_model[0].confidence < 0.9
    assert [d.name for d in _vals(meta, "datasets")] == ["example-org/widget-reviews"]
    assert _vals(meta, "model_task") == ["text-classification"]  # from *ForSequenceClassification
    assert _vals(meta, "domain") == ["nlp"]
    assert _vals(meta, "input_format") == ["text"] and _vals(meta, "output_format") == ["label"]
    assert _vals(meta, "max_sequence_length") == [512]  # the model's limit, not the training setting
    evals = {(e.metric, e.value) for e in _vals(meta, "evaluation")}
    assert evals == {("accuracy", 0.91), ("F1", 0.88)}


def test_base_model_not_stated_without_derivation_wording():
    meta = extract_card(NO_DERIVATION)
    assert [e.state for e in meta.base_model] == ["not_stated"]


def test_unclosed_fences_and_long_blank_runs_stay_fast():
    # many unclosed fences and long whitespace runs: patterns are bounded, the fence scan is linear
    hostile = "---\nlicense: mit\n---\n" + ("```python\n" + " " * 2000 + "\n") * 300 + "fine-tuned version of x\n" * 50
    assert code_blocks(hostile) == []
    t0 = time.process_time()
    meta = extract_card(hostile)
    assert _vals(meta, "license") == ["mit"]
    assert time.process_time() - t0 < 5  # a generous bound: the old quadratic patterns took minutes here


# round 3: "not stated" when no wording could state the field, papers of base models and template ids, NLP domain
QUIET = """---
license: mit
---
# widget-tagger

A small tagger. Contact the author with questions.
"""

BASE_PAPER = """---
license: mit
---
# clinical-widget

This model was initialized from [WidgetBERT](https://arxiv.org/abs/1901.08746) and trained on clinical notes.
Please cite [our paper](https://arxiv.org/abs/1904.03323) if you use it.

```bibtex
@article{template, title = {A Template Entry}, url = {https://arxiv.org/abs/0000.00000}}
```
"""

TEXT_ONLY = """---
license: mit
---
# widget-gpt2

```python
from transformers import GPT2Tokenizer
tok = GPT2Tokenizer.from_pretrained("org/widget-gpt2")
```
"""


def test_prose_fields_not_stated_only_without_their_words():
    meta = extract_card(QUIET)
    for field in ("github_repo", "frameworks", "hyper_parameters", "evaluation", "datasets", "libraries"):
        assert [e.state for e in getattr(meta, field)] == ["not_stated"], field
        assert getattr(meta, field)[0].confidence < 0.9  # low: the LLM stages re-check it
    meta = extract_card(QUIET + "\nIt reaches 91 % accuracy (see github for the code); trained on news data.\n")
    for field in ("github_repo", "evaluation", "datasets"):
        assert getattr(meta, field) == [], field  # words that might state it: left to a reader


def test_base_model_paper_and_template_arxiv_ids_are_not_the_models_papers():
    meta = extract_card(BASE_PAPER)
    assert {p.url for p in _vals(meta, "papers")} == {"https://arxiv.org/abs/1904.03323"}


def test_domain_from_a_text_only_architecture():
    assert _vals(extract_card(TEXT_ONLY), "domain") == ["nlp"]
    assert _vals(extract_card(TEXT_ONLY + "\nIt captions an image.\n"), "domain") == []  # another modality


def test_line_anchored_scan_finds_what_a_full_scan_finds():
    from peatmoss.cards.markdown import _FENCE_LINE, _HEADING, _TABLE, line_matches

    text = ("---\na: 1\n---\n# Title\n  ## Not a heading (indented)\n## Two ##\n| a | b |\n|---|---|\n| 1 | 2 |\n"
            "text | not a table\n  ```py\nx = 1\n```\n~~~\n# in fence\n~~~\n   | c | d |\n   | 3 | 4 |\n#no space\n")
    for start in (0, 13, 14, 30):
        for rx, first in ((_HEADING, "#"), (_TABLE, "|"), (_FENCE_LINE, "`~")):
            assert [m.span() for m in line_matches(rx, text, start, first)] == \
                [m.span() for m in rx.finditer(text, start)], (start, rx.pattern)
