"""The word checks put in front of some patterns answer as the patterns do."""

from hypothesis import given, settings
from hypothesis import strategies as st

from peatmoss.cards.rules import _DEMO_HINT, _DEMO_WORDS, _LIB_CODE, _demo_hint

pieces = st.sampled_from([*_DEMO_WORDS, "Pipeline(", "SentenceTransformer", "AutoModel", "from Transformers import",
                          "import timm", "timm.create_model", "spacy.load", "ſ", "K", "é", " ", "\n", "x"])
code = st.lists(pieces, max_size=8).map("".join) | st.text(max_size=60)


@settings(max_examples=400, deadline=None)
@given(code)
def test_demo_hint_is_the_pattern(text):
    assert _demo_hint(text) == bool(_DEMO_HINT.search(text))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["from transformers ", "import peft", "transformers.", "sentence_transformers",
                                 "from flair", "speechbrain", "spacy.load", "import timm", " ", "x"]),
                max_size=6).map("".join))
def test_library_words_are_in_every_match(text):
    for rx, _, word in _LIB_CODE:
        if m := rx.search(text):
            assert word in m.group(0)
