"""Canonical model ids: legacy ids, case, revisions, hub prefixes, unknown models, dynamic and local links."""

from __future__ import annotations

from peatmoss.db import session_scope
from peatmoss.db.models import Model, Registry
from peatmoss.usage.canonical import Canonicalizer, split_id


def _models(url, ids):
    with session_scope(url) as s:
        reg = Registry(name="huggingface")
        s.add(reg)
        s.flush()
        s.add_all([Model(registry_id=reg.id, hub_id=i) for i in ids])


def test_split_id():
    assert split_id("google-bert/bert-base-uncased@v1.0") == ("google-bert/bert-base-uncased", "v1.0")
    assert split_id("hf-hub:timm/resnet50.a1_in1k") == ("timm/resnet50.a1_in1k", None)
    assert split_id("https://huggingface.co/gpt2/tree/main") == ("gpt2", "main")
    url = "https://github.com/x/y/blob/main/w@2.pth"
    assert split_id(url) == (url, None)


def test_links_against_the_models_table(db_url):
    _models(db_url, ["google-bert/bert-base-uncased", "openai-community/gpt2", "sentence-transformers/all-MiniLM-L6-v2",
                     "Org/Unique-Name", "a/dup", "b/dup", "spacy/en_core_web_sm", "pytorch/vision/resnet50",
                     "openai/clip-vit-large-patch14-336", "openai/whisper-base", "timm/vit_small_patch16_224.augreg_in1k"])
    with session_scope(db_url) as s:
        c = Canonicalizer(s)
        ids = {m.hub_id: m.id for m in s.query(Model)}
    got = c.link("bert-base-uncased")  # bundled alias
    assert (got.status, got.canonical, got.model_id) == ("matched", "google-bert/bert-base-uncased",
                                                         ids["google-bert/bert-base-uncased"])
    assert c.link("GOOGLE-BERT/Bert-Base-Uncased").model_id == ids["google-bert/bert-base-uncased"]  # case
    got = c.link("openai-community/gpt2@main")
    assert (got.status, got.revision) == ("matched", "main")
    assert c.link("all-MiniLM-L6-v2", library="sentence_transformers").status == "matched"
    assert c.link("unique-name").canonical == "Org/Unique-Name"  # one model ends with /unique-name
    assert c.link("dup").status == "unknown_model"  # ambiguous suffix: not guessed
    # library rules: spaCy packages, torchvision builders, OpenAI CLIP and whisper names, timm tags
    assert c.link("en_core_web_sm", library="spacy").canonical == "spacy/en_core_web_sm"
    assert c.link("resnet50", library="torchvision", hub="pytorch_hub").canonical == "pytorch/vision/resnet50"
    assert c.link("ViT-L/14@336px", library="clip").canonical == "openai/clip-vit-large-patch14-336"
    assert c.link("base", library="openai_whisper").canonical == "openai/whisper-base"
    assert c.link("vit_small_patch16_224.augreg_in1k", hub="timm").status == "matched"
    assert c.link("resnet50", hub="timm").status == "unknown_model"  # no default tag guessed
    got = c.link("someone/not-collected")
    assert (got.status, got.canonical, got.model_id) == ("unknown_model", "someone/not-collected", None)
    assert c.link(None).status == "dynamic"
    assert c.link("./ckpt", is_local_path=True).status == "local_path"
    got = c.link("distilbert-base-uncased-finetuned-sst-2-english", resolution="task_default")
    assert (got.status, got.canonical) == ("default", "distilbert/distilbert-base-uncased-finetuned-sst-2-english")


def test_without_a_database_aliases_still_apply():
    got = Canonicalizer().link("roberta-base")
    assert (got.status, got.canonical, got.model_id) == ("unknown_model", "FacebookAI/roberta-base", None)
