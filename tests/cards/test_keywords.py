"""The keyword index of a card (one Aho-Corasick pass) answers as str.find does: every occurrence, overlapping ones
too, whether the word was asked about before (in the automaton) or is new (looked for with str.find)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from peatmoss.cards.keywords import Keywords
from peatmoss.cards.rules import MAX_WINDOWS, Ctx

ALPHABET = "ab \n-é🤗"
words = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=4), min_size=1, max_size=6)


def find_all(low: str, word: str) -> list[int]:
    out, pos = [], low.find(word)
    while pos >= 0:
        out.append(pos)
        pos = low.find(word, pos + 1)
    return out


@settings(max_examples=200, deadline=None)
@given(low=st.text(alphabet=ALPHABET, max_size=300), asked=words)
def test_positions_are_those_of_str_find(low, asked):
    for _ in range(2):  # the first text may look a word up with str.find, the next one finds it in the automaton
        k = Keywords(low)
        for w in asked:
            assert k.positions(w) == find_all(low, w)


def test_occurrences_are_successive_finds_in_the_body():
    text = "---\nlicense: mit\n---\naaaa mit mit\n" + "mit " * 80
    c = Ctx(text)
    # not overlapping, from the body on (the front matter's "mit" is not one), at most MAX_WINDOWS
    pos, expected = text.find("mit", c.body), []
    while pos >= 0 and len(expected) < MAX_WINDOWS:
        expected.append(pos)
        pos = text.find("mit", pos + 3)
    assert c.occurrences("mit") == expected
    assert c.occurrences("aa") == [c.body, c.body + 2]
    assert c.has("nowhere", "license") and not c.has("nowhere")
    lo, hi = c.windows(("aa",), 0, 0)[0]
    assert lo == c.body and text[lo:hi].startswith("aaaa")


def test_a_new_word_is_found_then_kept_in_the_automaton():
    low = "xqxqxq xqxq"
    first = Keywords(low)
    assert first.positions("xqxq") == [0, 2, 7]  # new: str.find, overlapping occurrences too
    again = Keywords(low)
    assert again.positions("xqxq") == [0, 2, 7] and "xqxq" in again.scanned  # found by the automaton now
