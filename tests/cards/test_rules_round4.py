"""Round-4 rules on synthetic cards: frameworks and languages stated in prose, the model's own repository, numbers
in code blocks and lists, the card's own row in a table of models, and Hub task aliases."""

from peatmoss.cards import extract_card


def _values(meta, field):
    return [e.value for e in getattr(meta, field) if e.state == "value"]


def _state(meta, field):
    return [e.state for e in getattr(meta, field)]


def test_frameworks_stated_in_prose_and_by_model_classes():
    card = ("# Gizmo\n\nHere is how to use this model in PyTorch:\n\n```python\nimport torch\n```\n\n"
            "Gizmo also runs on the Flax/JAX stack.\n")
    assert set(_values(extract_card(card), "frameworks")) == {"pytorch", "jax"}
    card = "# Gizmo\n\nThe feature extractor and model support TensorFlow. PyTorch is coming soon.\n"
    assert _values(extract_card(card), "frameworks") == ["tensorflow"]
    card = "# Gizmo\n\nThe model relies on the Flax/JAX infrastructure.\n"
    assert _values(extract_card(card), "frameworks") == ["jax"]
    card = '# Gizmo\n\n```python\nfrom transformers import TFGizmoModel\nm = TFGizmoModel.from_pretrained("a/b")\n```\n'
    assert _values(extract_card(card), "frameworks") == ["tensorflow"]
    card = "# Gizmo\n\n## Framework versions\n\n- Transformers: 4.40.0\n- Pytorch: 2.1.0\n"
    assert _values(extract_card(card), "frameworks") == ["pytorch"]
    # the framework of the checkpoint it was converted from is not this model's
    card = "# Gizmo\n\nThis is a PyTorch model obtained by converting a TensorFlow checkpoint.\n"
    assert _values(extract_card(card), "frameworks") == ["pytorch"]


def test_framework_named_only_in_code_or_links_is_not_stated():
    card = ("# Gizmo\n\nSee [the toolkit](https://github.com/pytorch/fairseq).\n\n```python\nimport torch\n"
            "x = torch.ones(1)\n```\n")
    meta = extract_card(card)
    assert _values(meta, "frameworks") == [] and _state(meta, "frameworks") == ["not_stated"]
    card = "# Gizmo\n\nWe like PyTorch.\n"
    assert _state(extract_card(card), "frameworks") == []  # named in prose, not in a form the rules read: left open


def test_languages_from_lists_prose_and_script():
    meta = extract_card("# Gizmo\n\n- **Language(s):** English, French\n- **License:** mit\n")
    assert _values(meta, "language") == ["en", "fr"]
    meta = extract_card("# opus-gizmo\n\n* source languages: gaa\n* target languages: de\n")
    assert _values(meta, "language") == ["gaa", "de"]
    meta = extract_card("# Gizmo\n\nGizmo was trained on a large corpus of Tamil text. It models the Tamil language.\n")
    assert _values(meta, "language") == ["ta"]
    meta = extract_card("# ギズモ\n\nこのモデルは画像を生成するためのものです。ぜひ使ってみてください。\n")
    assert _values(meta, "language") == ["ja"]
    # the front matter wins; an English card with no language named stays "not stated"
    meta = extract_card("---\nlanguage: de\n---\n# Gizmo\n\n- Language(s): English\n")
    assert _values(meta, "language") == ["de"]
    meta = extract_card("# Gizmo\n\nA small model that draws widgets.\n")
    assert _state(meta, "language") == ["not_stated"]


def test_github_repo_skips_upstream_code_and_reads_original_model():
    card = ("# Gizmo\n\nTrained using code from [the upstream repository](https://github.com/bigco/upstream).\n\n"
            "Questions? Open an issue on the [gizmo repo](https://github.com/small/gizmo).\n")
    assert _values(extract_card(card), "github_repo") == ["https://github.com/small/gizmo"]
    card = "# Gizmo\n\nThe original model can be found under https://github.com/pytorch/fairseq/tree/main/examples/x .\n"
    assert _values(extract_card(card), "github_repo") == ["https://github.com/pytorch/fairseq"]
    card = '# Gizmo\n\n<video><source src="https://github.com/small/media/raw/main/demo.mp4"></video>\n'
    assert _values(extract_card(card), "github_repo") == []


def test_numbers_in_code_blocks_and_lists():
    card = ("# Gizmo\n\n```\nNHIDDEN=2048; SEQ_LEN=1024; VOCAB_SIZE=32000\nModel size: 1.5B, ratio=80\n```\n")
    meta = extract_card(card)
    assert _values(meta, "vocabulary_size") == [32000]
    assert _values(meta, "max_sequence_length") == [1024]
    assert _values(meta, "parameter_count") == [1_500_000_000]
    meta = extract_card("# Gizmo\n\n## Training\n\n- Input sequence length: 512\n- Optimizer: Adam\n")
    assert _values(meta, "max_sequence_length") == [512]


def test_hub_task_aliases():
    meta = extract_card("---\ntags:\n- structured-data-classification\n---\n# Gizmo\n")
    assert _values(meta, "model_task") == ["tabular-classification"]
    assert _values(meta, "domain") == ["tabular"]


MODELS_TABLE = """# Gizmo

| Model | top-1 acc | # params | Layers |
|---|---|---|---|
| Gizmo-tiny | 70.1 | 5M | 12 |
| **Gizmo-base** | **80.5** | **86M** | 12 |
| Gizmo-base distilled | 82.0 | 87M | 12 |
| [Gizmo-large](https://huggingface.co/acme/gizmo-large) | 83.0 | 300M | 24 |
"""


def test_own_row_of_a_table_of_models():
    meta = extract_card(MODELS_TABLE, hub_id="acme/gizmo-base-patch16")
    assert _values(meta, "parameter_count") == [86_000_000]
    assert [(v.metric, v.value) for v in _values(meta, "evaluation")] == [("top-1 acc", 80.5)]
    meta = extract_card(MODELS_TABLE, hub_id="acme/gizmo-large")
    assert _values(meta, "parameter_count") == [300_000_000]
    # without the model's id (or when no row names it) the table says nothing about this model
    for meta in (extract_card(MODELS_TABLE), extract_card(MODELS_TABLE, hub_id="acme/other-model")):
        assert _values(meta, "parameter_count") == [] and _values(meta, "evaluation") == []


def test_hyper_parameters_from_a_list_of_training_settings():
    card = ("# Gizmo\n\n## Training\n\n- **Hardware:** 8 x A100\n- **Optimizer:** AdamW\n- **Batch size**: 1'024 sequences\n"
            "- Learning rate: warmup to 0.0001 for 10,000 steps\n- Dropout: 0.1\n\n## Evaluation\n\n- Widgets: 3\n")
    hp = {(v.name, v.value) for v in _values(extract_card(card), "hyper_parameters")}
    assert hp == {("Optimizer", "AdamW"), ("Batch size", "1024"), ("Dropout", "0.1"),
                  ("Learning rate", "warmup to 0.0001 for 10,000 steps")}
    # one setting alone is not a list of hyper-parameters
    card = "# Gizmo\n\n- Optimizer: the best one\n- Colour: blue\n"
    assert _values(extract_card(card), "hyper_parameters") == []


CHECKPOINTS = """# Gizmo v3

Gizmo-v3 was initialized with the weights of the [Gizmo-v2](https://example.org/acme/gizmo-v2) checkpoint.

## Checkpoints

- [`gizmo-v2`](https://example.org/acme/gizmo-v2): Resumed from `gizmo-v1`.
- [`gizmo-v3`](https://example.org/acme/gizmo-v3): Resumed from `gizmo-v2`.
"""


def test_base_model_from_a_linked_name_not_from_a_list_of_checkpoints():
    assert [v.id for v in _values(extract_card(CHECKPOINTS), "base_model")] == ["Gizmo-v2"]
    only_list = CHECKPOINTS.split("## Checkpoints")[1]
    assert [v.id for v in _values(extract_card("# Gizmo v3\n" + only_list), "base_model")] == []


def test_datasets_line_and_test_set_results_table():
    card = ("# gizmo-mt-xx-yy\n\n* dataset: opus\n* model: transformer-align\n\n## Framework versions\n\n- Datasets: 2.1.0\n\n"
            "## Benchmarks\n\n| testset | BLEU | chr-F |\n|---|---|---|\n| news.xx.yy | 23.3 | 0.438 |\n")
    meta = extract_card(card)
    assert [v.name for v in _values(meta, "datasets")] == ["opus"]
    assert [(v.metric, v.value, v.dataset) for v in _values(meta, "evaluation")] == [
        ("BLEU", 23.3, "news.xx.yy"), ("chr-F", 0.438, "news.xx.yy")]


def test_results_stated_in_a_sentence_about_the_model():
    card = ("# Gizmo\n\nThis model reaches an accuracy of 91.3 on the dev set (for comparison, the base model reaches "
            "an accuracy of 92.7).\n")
    assert [(v.metric, v.value) for v in _values(extract_card(card), "evaluation")] == [("accuracy", 91.3)]
    card = "# Gizmo\n\nThis model has a top1-accuracy of 80.53% and a top-5 accuracy of 95.16% on the widget set.\n"
    assert [(v.metric, v.value) for v in _values(extract_card(card), "evaluation")] == [
        ("top1-accuracy", 80.53), ("top-5 accuracy", 95.16)]
    card = "# Gizmo\n\nThe original widget paper reports an accuracy of 88.0 for a random baseline.\n"
    assert _values(extract_card(card), "evaluation") == []


def test_task_from_an_evaluation_config_a_pipeline_sentence_and_lm_head_classes():
    meta = extract_card("---\ntrain-eval-index:\n- config: default\n  task: text-classification\n---\n# Gizmo\n")
    assert _values(meta, "model_task") == ["text-classification"] and _values(meta, "domain") == ["nlp"]
    meta = extract_card("# Gizmo\n\nYou can use this model directly with a pipeline for text generation:\n")
    assert _values(meta, "model_task") == ["text-generation"]
    meta = extract_card("# Gizmo\n\nUse a pipeline for the widgets.\n")
    assert _values(meta, "model_task") == []
    card = '# Gizmo\n\n```python\nmodel = TFGPT2LMHeadModel.from_pretrained("a/gizmo")\n```\n'
    assert _values(extract_card(card), "model_task") == ["text-generation"]


def test_input_format_from_the_domain_when_no_task_is_stated():
    meta = extract_card("# Gizmo\n\nA BERT model pretrained on widget reports; load it with BertTokenizer.\n")
    assert _values(meta, "domain") == ["nlp"] and _values(meta, "model_task") == []
    assert _values(meta, "input_format") == ["text"] and _values(meta, "output_format") == []


def test_template_limitations_and_demo_commands():
    card = ("# Gizmo\n\n## Bias, Risks, and Limitations\n\n<!-- what this section is for -->\n\n[More Information Needed]\n\n"
            "### Recommendations\n\nStock advice that says nothing about this model.\n\n## How to use\n\nSoon.\n")
    assert _state(extract_card(card), "limitation_and_bias") == ["not_stated"]
    card = "# Gizmo\n\n<!--\n## Out-of-Scope Use\n\n*Describe misuse here.*\n-->\n\n## Usage\n\nSoon.\n"
    assert _values(extract_card(card), "limitation_and_bias") == []
    card = "# Gizmo\n\n```\npython -m zoo.load_from_hub --algo ppo --env Widget-v0\n```\n"
    assert len(_values(extract_card(card), "demo")) == 1


def test_dataset_config_suffix_and_models_are_not_datasets():
    card = "# Gizmo\n\nThis model is a fine-tuned version of [a/b](https://huggingface.co/a/b) on the ACME/WIDGETS_2_0 - AB dataset.\n"
    assert [v.name for v in _values(extract_card(card), "datasets")] == ["ACME/WIDGETS_2_0"]
    card = "# Gizmo\n\nGizmo was fine-tuned on Multilingual Pretrained Model [WIDGET-23](https://arxiv.org/abs/2107.00001).\n"
    assert _values(extract_card(card), "datasets") == []
    card = "# Gizmo\n\nInput text longer than 256 word pieces is truncated.\n"
    assert _values(extract_card(card), "max_sequence_length") == [256]


def test_results_and_settings_not_stated_without_numbers():
    # the words are there ("evaluate", "batch"), but no result number or setting value is
    card = "# Gizmo\n\nEvaluate the widgets in batches; results will follow.\n\n```python\nmodel.run(3)\n```\n"
    meta = extract_card(card)
    assert _state(meta, "evaluation") == ["not_stated"] and _state(meta, "hyper_parameters") == ["not_stated"]
    card = "# Gizmo\n\nThe evaluation gives 81.5 on widgets. It was trained for 362,000 steps.\n"
    meta = extract_card(card)
    assert _state(meta, "evaluation") == [] and _state(meta, "hyper_parameters") == []
    card = "# Gizmo\n\nEvaluate it:\n\n```\n{'eval_accuracy': 9}\n```\n"
    assert _state(extract_card(card), "evaluation") == []  # results printed in a code block: left to a reader


def test_trainer_unknown_dataset_and_library_words():
    card = "# Gizmo\n\nThis model is a fine-tuned version of [a/b](https://huggingface.co/a/b) on the None dataset.\n"
    assert _state(extract_card(card), "datasets") == ["not_stated"]
    # "SentencePiece" and the word "from" do not name a library
    card = "# Gizmo\n\n* pre-processing: normalization + SentencePiece\n\nConverted from the original weights.\n"
    assert _state(extract_card(card), "libraries") == ["not_stated"]


def test_task_from_the_cards_opening():
    meta = extract_card("# Gizmo\n\nGizmo is a model for optical character recognition (OCR) of receipts.\n")
    assert _values(meta, "model_task") == ["image-to-text"] and _values(meta, "output_format") == ["text"]
    meta = extract_card("# Gizmo\n\nA wav2vec2 model for speech emotion recognition.\n")
    assert _values(meta, "model_task") == ["audio-classification"] and _values(meta, "domain") == ["audio"]
    meta = extract_card("# Gizmo\n\nA model for OCR and for speech emotion recognition.\n")
    assert _values(meta, "model_task") == []  # two tasks named: left to a reader


def test_github_repo_from_a_readme_or_a_link_naming_the_model():
    card = "# gizmo-mt-xx-yy\n\n* OPUS readme: [xx-yy](https://github.com/acme/gizmo-train/blob/master/xx-yy/README.md)\n"
    assert _values(extract_card(card), "github_repo") == ["https://github.com/acme/gizmo-train"]
    card = "# Gizmo 2\n\nUse it with the [`gizmodiffusion`](https://github.com/acme/gizmodiffusion) repository code.\n"
    card2 = "# Gizmo 2\n\nIt builds on ideas of [`Gizmo`](https://github.com/other/gizmo).\n"
    assert _values(extract_card(card2, hub_id="acme/gizmodiffusion-2"), "github_repo") == []  # a family name
    assert _values(extract_card(card, hub_id="acme/gizmodiffusion-2"), "github_repo") == [
        "https://github.com/acme/gizmodiffusion"]
    card3 = "# Gizmo 2\n\nSee [`gizmodiffusion`](https://github.com/acme/gizmodiffusion).\n"
    assert _values(extract_card(card3, hub_id="acme/gizmodiffusion-2"), "github_repo") == [
        "https://github.com/acme/gizmodiffusion"]
    assert _values(extract_card(card3), "github_repo") == []  # without the model's id: no context word, no repo
