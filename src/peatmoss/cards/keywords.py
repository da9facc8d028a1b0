"""Where the rules' keywords occur in a card: one Aho-Corasick pass over the lower-case text finds every keyword
any rule has asked about so far, instead of one substring search per keyword and rule (about 300 a card).
It is meant for the rules' fixed keywords: every new word asked about is kept and rebuilds the automaton once."""

from __future__ import annotations

import threading

import ahocorasick

_lock = threading.Lock()
_words: set[str] = set()  # every keyword asked about so far, in any card
_built: tuple[ahocorasick.Automaton | None, frozenset[str]] = (None, frozenset())  # automaton, the words in it


def _automaton() -> tuple[ahocorasick.Automaton | None, frozenset[str]]:
    """The automaton of all keywords asked about so far (rebuilt after new ones were asked about)."""
    global _built
    with _lock:
        if len(_built[1]) != len(_words) and _words:
            auto = ahocorasick.Automaton()
            for w in _words:
                auto.add_word(w, w)
            auto.make_automaton()
            _built = (auto, frozenset(_words))
        return _built


class Keywords:
    """The occurrences of keywords in one lower-case text: `positions(word)` are the start offsets of all of
    them (overlapping ones too), in order. `at` holds those of the words found so far, `scanned` the words the
    automaton looked for (a word in `scanned` but not in `at` does not occur). A word first asked about is
    looked for with str.find, and is in the automaton from the next text on."""

    def __init__(self, low: str):
        self.low = low
        self.at: dict[str, list[int]] = {}
        auto, self.scanned = _automaton()
        if auto is not None:
            at = self.at
            for end, w in auto.iter(low):
                if (found := at.get(w)) is None:
                    at[w] = [end - len(w) + 1]
                else:
                    found.append(end - len(w) + 1)

    def positions(self, word: str) -> list[int]:
        found = self.at.get(word)
        if found is None:
            if word in self.scanned:
                return []
            found, low, pos = [], self.low, self.low.find(word)
            while pos >= 0:
                found.append(pos)
                pos = low.find(word, pos + 1)
            self.at[word] = found
            with _lock:
                _words.add(word)
        return found
