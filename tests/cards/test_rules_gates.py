"""The word and digit checks put in front of some patterns answer as the patterns do."""

from hypothesis import given, settings
from hypothesis import strategies as st

from peatmoss.cards.rules import (_CO2, _DEMO_HINT, _DEMO_WORDS, _HP_VALUE, _INPUT_SIZE, _LIB_CODE, _PARAMS,
                                 _SAMPLE_RATE, _SEQ, _VOCAB, _demo_hint, _numeric)

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


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["max sequence length of ", "up to ", "tokens", "128", "16 kHz", "vocab size: ", "٣٤",
                                 "x", " ", "\n"]), max_size=10).map("".join))
def test_number_patterns_match_only_where_a_digit_is(text):
    for rx in (*_SEQ, *_SAMPLE_RATE, *_VOCAB, *_INPUT_SIZE, *_PARAMS, *_CO2, _HP_VALUE):
        for m in rx.finditer(text):
            assert _numeric(text, [(m.start(), m.end())])
