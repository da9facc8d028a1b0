"""Byte-level prefilter: a file can only hold a finding if an import line names a catalog library.

Soundness: the analyzer only matches calls/attributes whose qualified name comes from an import
statement of the file (or of a repo module it imports from). Every import statement contains the
keyword `import`, and the imported module's top-level name sits on that line or on lines joined to it
(backslash continuation, parenthesised name lists). So the identifiers on those lines are a superset of
the modules a file imports; when none is a catalog root and none names a hot repo module (re-export,
handled by `spread`), the file cannot contain a finding.
"""

from __future__ import annotations

import posixpath
import re

from .catalog import Catalog

_IMPORT = re.compile(rb"import")
_IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def import_tokens(data: bytes) -> set[bytes]:
    """Identifiers on every line (with its continuations) that contains `import`."""
    tokens: set[bytes] = set()
    pos = 0
    while True:
        at = data.find(b"import", pos)
        if at < 0:
            return tokens
        start = data.rfind(b"\n", 0, at) + 1
        while start > 1 and data[start - 2:start - 1] == b"\\":  # backslash-continued previous lines
            start = data.rfind(b"\n", 0, start - 1) + 1
        end = data.find(b"\n", at)
        end = len(data) if end < 0 else end
        while end < len(data) and data[end - 1:end] == b"\\":
            nxt = data.find(b"\n", end + 1)
            end = len(data) if nxt < 0 else nxt
        paren = data.find(b"(", at, end)
        if paren >= 0 and data.find(b")", paren, end) < 0:  # from x import (a,\n b)
            close = data.find(b")", end)
            end = len(data) if close < 0 else close
        tokens.update(_IDENT.findall(data, start, end))
        pos = max(end, at + 6)


class Prefilter:
    """Which files may contain a finding, judged from their bytes only."""

    def __init__(self, catalog: Catalog):
        roots = {r for r in catalog.roots() if r}
        self.roots = frozenset(r.encode() for r in roots)
        wild = {re.split(r"[*?\[]", p.split(".", 1)[0])[0] for s in catalog.signatures for p in s.match
                if re.search(r"[*?\[]", p.split(".", 1)[0])}
        self.prefixes = tuple(w.encode() for w in wild if w)

    def hot_tokens(self, tokens: set[bytes]) -> bool:
        if not self.roots.isdisjoint(tokens):
            return True
        return bool(self.prefixes) and any(t.startswith(self.prefixes) for t in tokens)

    def hot(self, data: bytes) -> bool:
        return self.hot_tokens(import_tokens(data))


def importable_name(path: str) -> str | None:
    """The name other files use to import this one: the stem, or the package folder for __init__.py."""
    folder, base = posixpath.split(path)
    if base == "__init__.py":
        return posixpath.basename(folder) or None
    return base.rsplit(".", 1)[0] if base.endswith(".py") else None


def spread(hot: set[str], tokens: dict[str, set[bytes]], relative: dict[str, bool], raw: dict[str, bytes],
           exported) -> set[str]:
    """Add files that may use a catalog name re-exported by a hot repo module.

    A cold file becomes hot when its import lines name a hot module (or it imports relatively from inside
    that module's package) and its bytes contain a name that module exports from a catalog library
    (`exported(path)`, a set of names; None means unknown, i.e. any)."""
    hot = set(hot)
    frontier = set(hot)
    while frontier:
        sources = []
        for p in frontier:
            names = exported(p)
            if names is None or names:
                sources.append((p, importable_name(p), posixpath.dirname(p), names))
        new = set()
        for path, toks in tokens.items():
            if path in hot:
                continue
            for src, name, folder, names in sources:
                named = name is not None and name.encode() in toks
                near = relative.get(path) and (folder == "" or path.startswith(folder + "/")
                                               or posixpath.dirname(path) == posixpath.dirname(folder))
                if (named or near) and (names is None or any(n.encode() in raw[path] for n in names)):
                    new.add(path)
                    break
        hot |= new
        frontier = new
    return hot
