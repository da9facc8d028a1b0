"""Byte-level prefilter: a file can only hold a finding if an import line names a catalog library.

Soundness: the analyzer only matches calls/attributes whose qualified name comes from an import
statement of the file (or of a repo module it imports from). Every import statement contains the
keyword `import`, and the imported module's top-level name sits on that line or on lines joined to it
(backslash continuation, parenthesised name lists). So the identifiers on those lines are a superset of
the modules a file imports; when none is a catalog root and none names a hot repo module (re-export,
handled by `spread`), the file cannot contain a finding — except `Name.from_pretrained(` of a transformers class
name the file never binds (UNIMPORTED: such files are analysed too).
"""

from __future__ import annotations

import posixpath
import re

from .catalog import Catalog

_IMPORT = re.compile(rb"import")
# the one load the analyzer finds without an import: a transformers class pasted without its import line
UNIMPORTED = b".from_pretrained("
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


def _literal(part: str) -> str:
    """The longest wildcard-free piece of a pattern segment: every match contains it."""
    return max(re.split(r"[*?]|\[[^\]]*\]", part), key=len)


class Prefilter:
    """Which files may contain a finding, judged from their bytes only.

    A file is hot when an import line names a catalog root (`transformers`, `torch`...) and the file
    contains the last name of one of that root's callables (`from_pretrained`, `hub`...): a match's
    qualified name ends in that name, and it is spelled in the file (call, alias import or assignment)."""

    def __init__(self, catalog: Catalog):
        self.needles: dict[bytes, set[bytes]] = {}
        prefixes: dict[bytes, set[bytes]] = {}
        for sig in catalog.signatures:
            for pattern in sig.match:
                root, _, _ = pattern.partition(".")
                last = pattern.rsplit(".", 1)[-1]
                needle = _literal(last).encode()
                if re.search(r"[*?\[]", root):
                    prefixes.setdefault(_literal(root).encode(), set()).add(needle)
                else:
                    self.needles.setdefault(root.encode(), set()).add(needle)
        self.roots = frozenset(self.needles)
        self.prefix_needles = prefixes
        self.prefixes = tuple(prefixes)

    def hot_tokens(self, tokens: set[bytes], data: bytes | None = None) -> bool:
        needles: set[bytes] = set()
        for root in self.roots.intersection(tokens):
            needles |= self.needles[root]
        for token in tokens:
            if self.prefixes and token.startswith(self.prefixes):
                needles |= next(v for k, v in self.prefix_needles.items() if token.startswith(k))
        if not needles:
            return False
        return data is None or any(n in data for n in needles)

    def hot(self, data: bytes) -> bool:
        return self.hot_tokens(import_tokens(data), data)


def importable_name(path: str) -> str | None:
    """The name other files use to import this one: the stem, or the package folder for __init__.py."""
    folder, base = posixpath.split(path)
    if base == "__init__.py":
        return posixpath.basename(folder) or None
    return base.rsplit(".", 1)[0] if base.endswith(".py") else None


def _top(path: str) -> str:
    return path.split("/", 1)[0] if "/" in path else ""


def spread(seeds: set[str], tokens: dict[str, set[bytes]], relative: dict[str, bool], data_of, exported,
           find_module, module_name) -> set[str]:
    """Files that may use a catalog name re-exported by a repo module, starting from `seeds` (files that
    import a catalog root).

    A file is reached from a module when its bytes contain a name the module exports from a catalog library
    (`exported(path)`: a set of names, None when unknown = any; computed only when needed) and it can import
    the module: its import lines name every segment of a dotted name that the repository resolves to that
    module (`find_module`: `import logging` reaches only the one `logging.py` the analyzer would pick), or it
    imports relatively, sits in the same top folder and names the module on an import line (a relative
    import of a package's `__init__.py`, `from . import x`, need not name it: every file below it counts).
    `data_of(path)`: the file's bytes (read again, nothing is kept). Not covered: a submodule reached as an
    attribute of a package imported under another name (`import pkg as p; p.sub.Model`) when no file names
    `sub` on an import line."""
    names = {p: importable_name(p) for p in tokens}
    wanted = {n.encode() for n in names.values() if n}
    by_token: dict[bytes, list[str]] = {}
    for path, toks in tokens.items():
        for tok in wanted.intersection(toks):
            by_token.setdefault(tok, []).append(path)
    rel_files = [(path, posixpath.dirname(path)) for path, flag in relative.items() if flag]
    reached: set[str] = set()
    done = set(seeds)
    frontier = set(seeds)
    while frontier:
        new = set()
        for src in sorted(frontier):
            name = names.get(src)
            folder = posixpath.dirname(src)
            candidates = set()
            if name and src.endswith(".py"):
                parts = module_name(src).split(".")
                spellings = [[s.encode() for s in parts[i:]] for i in range(len(parts))
                             if find_module(".".join(parts[i:])) == src]
                top = _top(src)
                for path in by_token.get(name.encode(), ()):
                    toks = tokens[path]
                    if any(all(s in toks for s in spelling) for spelling in spellings) or (
                            relative.get(path) and _top(path) == top):
                        candidates.add(path)
            if src.endswith("__init__.py"):  # `from . import x` / `from .. import x` below the package
                candidates.update(p for p, d in rel_files if folder == "" or d == folder or d.startswith(folder + "/"))
            candidates -= done
            if not candidates:
                continue
            found = exported(src)
            needles = None if found is None else [n.encode() for n in sorted(found)]
            for path in sorted(candidates):
                if needles is None or (needles and any(n in data_of(path) for n in needles)):
                    new.add(path)
            done |= new
        reached |= new
        frontier = new
    return reached

