import pytest

from peatmoss.registries.records import RecordError, base_model_edges, classify_tag, normalise


def test_2022_list_shape():
    rec = normalise({"modelId": "bert-base-uncased", "sha": "a" * 40, "lastModified": "2021-05-18T16:20:10.000Z",
                     "tags": ["pytorch", "tf", "jax", "bert", "fill-mask", "en", "dataset:bookcorpus",
                              "arxiv:1810.04805", "license:apache-2.0"],
                     "pipeline_tag": "fill-mask", "siblings": [{"rfilename": "config.json"}],
                     "config": {"architectures": ["BertForMaskedLM"], "model_type": "bert"},
                     "private": False, "downloads": 10, "likes": 2, "library_name": "transformers"})
    assert rec.hub_id == "bert-base-uncased"
    assert rec.author is None  # legacy ids have no namespace
    assert rec.row["created_at"] is None and rec.row["last_modified"].year == 2021
    assert rec.model_type == "bert" and rec.architectures == ["BertForMaskedLM"]
    assert rec.licenses == [("apache-2.0", "tag")]
    assert rec.file_names == ["config.json"] and rec.files == []  # a name only: no model_file row


def test_file_facts_and_repeated_tags():
    rec = normalise({"id": "a/b", "tags": ["license:mit", "en", "license:mit"],
                     "siblings": [{"rfilename": "README.md"},
                                  {"rfilename": "model.bin", "size": 10, "blobId": "b1",
                                   "lfs": {"sha256": "c" * 64, "size": 10}}]})
    assert rec.file_names == ["README.md", "model.bin"]
    assert rec.files == [("model.bin", 10, "b1", "c" * 64, 10)]
    assert rec.tags == ["license:mit", "en"] and rec.licenses == [("mit", "tag")]


def test_2024_shape_keeps_new_fields():
    rec = normalise({"id": "meta-llama/X", "author": "meta-llama", "gated": "manual", "downloadsAllTime": 99,
                     "safetensors": {"total": 8030261248}, "createdAt": "2024-07-18T08:56:00.000Z",
                     "cardData": {"license": "llama3.1", "base_model": "meta-llama/Base"},
                     "tags": ["base_model:finetune:meta-llama/Base", "license:llama3.1"]})
    assert rec.row["gated"] == "manual" and rec.row["downloads_all_time"] == 99
    assert rec.row["parameter_count"] == 8030261248
    assert rec.row["created_at"].isoformat() == "2024-07-18T08:56:00+00:00"
    assert rec.edges == [("meta-llama/Base", "finetune", "tag")]
    assert rec.licenses == [("llama3.1", "tag")]  # the card repeats the tag: kept once


@pytest.mark.parametrize("item", [None, [], {}, {"id": ""}, {"id": "a\x00b"}, {"id": 5}, {"modelId": "x" * 600}])
def test_unusable_records_raise(item):
    with pytest.raises(RecordError):
        normalise(item)


def test_wrong_types_become_null():
    rec = normalise({"id": "a/b", "downloads": "many", "likes": True, "tags": "notalist", "siblings": [1, None],
                     "config": [], "createdAt": "yesterday", "cardData": "text"})
    assert rec.row["downloads"] is None and rec.row["likes"] is None
    assert rec.row["created_at"] is None and rec.tags == ["notalist"] and rec.file_names == []


@pytest.mark.parametrize("tag,kind,value", [
    ("dataset:squad", "dataset", "squad"), ("license:mit", "license", "mit"), ("arxiv:1810.04805", "arxiv", "1810.04805"),
    ("en", "language", "en"), ("transformers", "library", "transformers"), ("tf", "framework", "tensorflow"),
    ("region:us", "region", "us"), ("fill-mask", "task", "fill-mask"), ("exbert", "other", "exbert"),
    ("base_model:quantized:a/b", "base_model", "quantized:a/b"),
])
def test_classify_tag(tag, kind, value):
    assert classify_tag(tag) == (kind, value)


def test_base_model_edges_from_tags_and_yaml():
    edges = base_model_edges(["base_model:a/b", "base_model:adapter:a/b", "base_model:c/d"],
                             {"base_model": ["c/d", "e/f"], "base_model_relation": "merge"})
    assert sorted(edges) == [("a/b", "adapter", "tag"), ("c/d", "unknown", "tag"), ("e/f", "merge", "card_yaml")]
