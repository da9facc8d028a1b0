"""Round-5 rules on synthetic cards: fewer wrong stated values (GitHub repository, sequence length, parameter count,
domain, datasets, results)."""

from peatmoss.cards import extract_card


def _values(meta, field):
    return [e.value for e in getattr(meta, field) if e.state == "value"]


def test_github_repo_prefers_the_model_named_or_cited_repository():
    card = ("# Gizmo\n\nTrained on bi-modal data of [CodeSet](https://github.com/other/codeset).\n\n"
            "See [the official repository](https://github.com/lab/gizmo-code) for scripts.\n")
    assert _values(extract_card(card, hub_id="lab/gizmo"), "github_repo") == ["https://github.com/lab/gizmo-code"]
    card = ("# Gizmo\n\n* [https://github.com/lab/gizmo](https://github.com/lab/gizmo)\n\n## References\n\n"
            "[4] [Gizmo2-tasks](https://github.com/someone/Gizmo2-tasks): an evaluation module.\n")
    assert _values(extract_card(card, hub_id="lab/gizmo"), "github_repo") == ["https://github.com/lab/gizmo"]
    card = ("# tiny-gizmo\n\nThe method was described in this paper and released in this "
            "[repository](https://github.com/bigco/method).\n\n```bibtex\n@misc{g,\n  howpublished    = "
            "{\\url{https://github.com/me/TinyGizmo}},\n}\n```\n")
    assert _values(extract_card(card, hub_id="me/tiny-gizmo"), "github_repo") == ["https://github.com/me/TinyGizmo"]


def test_sequence_length_is_the_models_limit_not_a_script_option():
    card = "# Gizmo\n\n```bash\npython run.py \\\n  --max_seq_length 256 \\\n  --lr 3e-5\n```\n"
    assert _values(extract_card(card), "max_sequence_length") == []
    card = ("# Gizmo\n\n```\nSentenceTransformer(\n  (0): Transformer({'max_seq_length': 400, 'do_lower_case': False})\n)"
            "\n```\n")
    assert _values(extract_card(card), "max_sequence_length") == [400]
    card = ("# Gizmo\n\nWe pre-train 1,000 steps with a sequence length of 128 and then 250 more steps with a "
            "sequence length of 1024.\n")
    assert _values(extract_card(card), "max_sequence_length") == [1024]
    card = "# Gizmo\n\nGizmo is a long-document model. It supports sequences of length up to 4,096.\n"
    assert _values(extract_card(card), "max_sequence_length") == [4096]


def test_parameter_count_not_from_a_part_of_the_model_or_a_pasted_abstract():
    card = ("# Gizmo\n\nIt has 86M backbone parameters and a vocabulary of 128K tokens which introduces 98M "
            "parameters in the embedding layer.\n")
    assert _values(extract_card(card), "parameter_count") == [86_000_000]
    card = ("# Gizmo-Large\n\n**Abstract**\nWe study widgets. Using a 1B parameter model, our method improves the "
            "state of the art.\n\nThe large model fine-tuned on widgets.\n")
    assert _values(extract_card(card), "parameter_count") == []
    card = ("# gizmo-cnn-12-6\n\n| Model Name | MM Params | Rouge-L |\n|---|---|---|\n| gizmo-xsum-12-6 | 222 | 33.1 |\n"
            "| gizmo-12-6-cnn | 306 | 30.6 |\n")
    assert _values(extract_card(card, hub_id="me/gizmo-cnn-12-6"), "parameter_count") == [306_000_000]


def test_domain_of_feature_extraction_and_names_inside_links():
    card = ("---\ntags:\n- feature-extraction\nwidget:\n- text: Hello\n---\n\n# DistilBERT as a feature extractor\n")
    assert _values(extract_card(card), "domain") == ["nlp"]
    card = '---\nlicense: mit\n---\n\n<a href="https://example.org/viewer/?model=xlm-gizmo"><img src="b.png"></a>\n'
    assert _values(extract_card(card), "domain") == []
    card = "# Gizmo\n\n```python\ntok = BertTokenizer.from_pretrained('me/gizmo')\n```\n"
    assert _values(extract_card(card), "domain") == ["nlp"]


def test_datasets_from_the_training_list_not_from_bias_or_the_base_models_data():
    card = ("# Gizmo\n\n### Bias\n\nGizmo was trained on subsets of [WidgetSet-2B](https://example.org/ws), which is "
            "mostly English.\n\n**Training Data**\nThe developers used the following dataset for training the model:\n\n"
            "- WidgetSet-5B and subsets (details below).\n")
    assert [d.name for d in _values(extract_card(card), "datasets")] == ["WidgetSet-5B"]
    card = ("# Gizmo\n\nThe model used for fine-tuning is [Base](https://huggingface.co/lab/base), which is a model "
            "trained on [BigSet](https://huggingface.co/datasets/lab/bigset).\n")
    assert _values(extract_card(card), "datasets") == []
    card = ("# Gizmo\n\n## Limitations\n\nGizmo was trained on [BigSet](https://huggingface.co/datasets/lab/bigset), "
            "which holds biased captions.\n")
    assert _values(extract_card(card), "datasets") == []


def test_paired_results_and_linked_setting_values():
    card = ("# gizmo-base\n\n| Model | Vocabulary(K) | SQuAD 2.0(F1/EM) |\n|---|---|---|\n| other-base | 50 | 83.7/80.5 |\n"
            "| gizmo-base | 128 | **88.4/85.4** |\n")
    ev = _values(extract_card(card, hub_id="lab/gizmo-base"), "evaluation")
    assert [(e.metric, e.value) for e in ev] == [("SQuAD 2.0F1/EM", "88.4/85.4")]
    card = ("# Gizmo\n\n| Hyperparameter | Value |\n|---|---|\n| n_layers | 28 |\n"
            "| Positional Encoding | [Rotary Embedding (RoPE)](https://arxiv.org/abs/2104.09864) |\n")
    hp = {h.name: h.value for h in _values(extract_card(card), "hyper_parameters")}
    assert hp == {"n_layers": "28", "Positional Encoding": "Rotary Embedding (RoPE)"}
