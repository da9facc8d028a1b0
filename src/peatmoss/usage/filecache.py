"""One file's analysis kept across commits of a repository, by (path, git blob id).

A later commit reuses it when the blob is the same and every fact of the repository the analysis read
(its dependencies, recorded by `Repo.watch`: other modules' blobs, module-name lookups, config and CLI
values, the files mentioning a name) still holds there; otherwise the file is analysed again."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass

from .model import FileRecord, Finding

MAX_ENTRIES = 100_000


@dataclass
class Entry:
    record: FileRecord
    findings: list[Finding]
    deps: tuple  # in a fixed order, so that which checks run (and what they leave cached) never varies


class FileCache:
    def __init__(self, max_entries: int = MAX_ENTRIES):
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str], Entry] = OrderedDict()

    def get(self, path: str, blob: str, repo) -> tuple[FileRecord, list[Finding]] | None:
        """Copies of the record and findings of `path` at `blob`, when its dependencies hold in `repo`."""
        entry = self._entries.get((path, blob))
        if entry is None or not all(repo.holds(dep) for dep in entry.deps):
            return None
        self._entries.move_to_end((path, blob))
        return dataclasses.replace(entry.record), [dataclasses.replace(f) for f in entry.findings]

    def put(self, path: str, blob: str, record: FileRecord, findings: list[Finding], deps: set) -> None:
        self._entries[(path, blob)] = Entry(dataclasses.replace(record), [dataclasses.replace(f) for f in findings],
                                            tuple(sorted(deps, key=repr)))
        self._entries.move_to_end((path, blob))
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
