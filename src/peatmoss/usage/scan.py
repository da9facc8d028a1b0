"""Repository-level scan: prefilter, decode, parse (or fall back), analyze; one FileRecord per file."""

from __future__ import annotations

import ast
import gc
import io
import logging
import multiprocessing
import os
import threading
import tokenize
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Iterable

from ..core.safefs import read_bytes
from .analyzer import analyze_module
from .catalog import Catalog, load_catalog
from .fallback import token_scan
from .filecache import FileCache
from .model import FileRecord, Finding, ScanResult, SourceFile
from .module import build_module
from .notebooks import NotebookError, join_cells, notebook_cells, is_percent, percent_map
from .prefilter import UNIMPORTED, Prefilter, import_tokens, importable_name, spread
from .repo import Repo, is_config, may_declare_coding, module_name, parse
from .walk import MAX_BYTES, size_limit, walk

log = logging.getLogger(__name__)
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)
TEXT_BUDGET = 1_000_000  # decoded characters kept between uses (a module being built, its neighbours)
MIN_SHARE = 1_000_000  # bytes to analyse per worker process, at least (starting one costs about a second)
READ_SHARE = 8_000_000  # bytes to read per worker process in the first pass, at least
INDEX_BYTES = 16_000_000  # python bytes from which the first pass makes the text index (else a search makes it)


def file_kind(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith((".py", ".pyw")):
        return "python"
    if lower.endswith(".ipynb"):
        return "notebook"
    return "config" if is_config(lower) else None


def decode(data: bytes) -> tuple[str, bool]:
    """(text, exact): UTF-8 (BOM allowed), else the PEP 263 coding cookie, else Latin-1 marked inexact."""
    try:
        return data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        pass
    try:
        declared, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        if declared not in ("utf-8", "utf-8-sig"):
            return data.decode(declared), True
    except (SyntaxError, LookupError, UnicodeDecodeError):
        pass
    return data.decode("latin-1"), False


def _plain(n: int) -> tuple[None, int]:
    return None, n


def _mapped(where: list[tuple[int, int]]):
    return lambda n: where[n] if 0 <= n < len(where) else (None, n)


def _error_kind(exc: BaseException) -> str:
    if isinstance(exc, RecursionError) or "too many nested" in str(exc) or isinstance(exc, MemoryError):
        return "too_deep"
    return "syntax_error" if isinstance(exc, SyntaxError) else "parse_error"


_PREFILTERS: dict[int, tuple[Catalog, Prefilter]] = {}


def _prefilter(catalog: Catalog) -> Prefilter:
    """One Prefilter per catalog object (building it walks every signature)."""
    entry = _PREFILTERS.get(id(catalog))
    if entry is None or entry[0] is not catalog:
        entry = _PREFILTERS[id(catalog)] = (catalog, Prefilter(catalog))
    return entry[1]


class _Texts(Mapping):
    """The python files of a scan by path, each a function giving its decoded text (what `Repo` reads), read
    again when needed; decoded texts are kept up to TEXT_BUDGET characters (least recently used go first), so
    memory does not grow with the size of the tree. `data(path)` gives the bytes, uncached."""

    def __init__(self, sources: dict[str, SourceFile], kinds: dict[str, str]):
        self.sources = sources
        self.kinds = kinds
        self.cache: OrderedDict[str, tuple[str, bool]] = OrderedDict()
        self.size = 0

    def data(self, path: str) -> bytes:
        try:
            return self.sources[path].read()
        except OSError:
            return b""

    def decoded(self, path: str, data: bytes | None = None) -> tuple[str, bool]:
        if path in self.cache:
            self.cache.move_to_end(path)
            return self.cache[path]
        entry = self.cache[path] = decode(self.data(path) if data is None else data)
        self.size += len(entry[0])
        while self.size > TEXT_BUDGET and len(self.cache) > 1:
            _, (old, _) = self.cache.popitem(last=False)
            self.size -= len(old)
        return entry

    def text(self, path: str) -> str:
        return self.decoded(path)[0]

    def __getitem__(self, path: str):
        if self.kinds.get(path) != "python":
            raise KeyError(path)
        return partial(self.text, path)

    def __iter__(self):
        return (p for p, k in self.kinds.items() if k == "python")

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass
class _Plan:
    """What the first pass learns about a tree: the files, their sizes and kinds, which to analyse."""

    records: list[FileRecord] = field(default_factory=list)  # refused or unreadable files
    sources: dict[str, SourceFile] = field(default_factory=dict)  # python files and notebooks
    sizes: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    configs: dict[str, SourceFile] = field(default_factory=dict)
    hot: set[str] = field(default_factory=set)  # files to analyse
    cli_files: set[str] = field(default_factory=set)  # files that spell an option definition
    cfg_cache: dict[str, bytes] = field(default_factory=dict)
    blobs: dict[str, str] = field(default_factory=dict)  # git blob id of each file read from git
    texts: _Texts | None = None
    repo: Repo | None = None
    reused: int = 0  # files to analyse whose analysis at an earlier commit still holds


def _shares(plan: _Plan, n: int) -> list[list[str]]:
    """The files to analyse in `n` shares of about equal bytes (largest first to the lightest share)."""
    shares: list[list[str]] = [[] for _ in range(n)]
    weight = [0] * n
    for path in sorted(plan.hot, key=lambda p: (-plan.sizes[p], p)):
        i = weight.index(min(weight))
        shares[i].append(path)
        weight[i] += plan.sizes[path]
    return [sorted(s) for s in shares if s]


_FORKED: tuple | None = None  # (scanner, plan) of the scan whose forked workers are running


def _in_workers(scanner: "_Scanner", plan: _Plan, workers: int, root: str | None):
    """The second pass in `workers` processes (a pool that ends with this one). Forked when this system can and
    this process runs no other thread: the workers inherit the first pass's state (its parsed modules and
    lookups) and take files one at a time, largest first; else spawned, each given one share of the files
    under `root` and building its own view of the repository."""
    from peatmoss.execution import Unit

    global _FORKED
    findings: list[Finding] = []
    records: list[FileRecord] = []
    configs: dict[str, FileRecord] = {}
    if _can_fork():
        units = [Unit(path, (path,)) for path in sorted(plan.hot, key=lambda p: (-plan.sizes[p], p))]
        _FORKED, fn, start = (scanner, plan), _analyse_forked, "fork"
    elif root is not None:
        listing = {p: (plan.kinds[p], plan.sizes[p]) for p in plan.sizes}
        units = [Unit(str(i), (root, listing, sorted(plan.configs), sorted(plan.cli_files), share,
                               scanner.use_prefilter))
                 for i, share in enumerate(_shares(plan, workers))]
        fn, start = _analyse_share, "spawn"
    else:
        return scanner._analyse(plan, sorted(plan.hot))
    try:
        for _, (found, analysed, consulted) in _worker_results(units, fn, workers, start):
            findings += found
            records += analysed
            configs.update(consulted)
    finally:
        _FORKED = None
    return findings, records, configs


def _worker_results(units: list, fn, workers: int, start: str):
    """(key, value) of each unit run by `fn` in `workers` processes started by `start`; a failed unit fails the scan."""
    from peatmoss.execution import run_units

    for done in run_units(units, fn, workers=workers, window=2 * workers, start=start):
        if not done.ok:
            raise RuntimeError(f"a scan worker failed: {done.error}: {done.message}")
        yield done.key, done.value


def _can_fork() -> bool:
    """Workers can be forked (and inherit this process's state) safely: the system forks, no other thread runs."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _facts_forked(start: int, end: int) -> list:
    scanner, todo, names, index = _FORKED
    return [scanner._file_facts(f, kind, names, index) for f, kind in todo[start:end]]


def _analyse_forked(path: str):
    """Worker side of a forked `scan --workers`: analyse one file with the state inherited from the scan."""
    scanner, plan = _FORKED
    scanner.cache = None  # (this process's copy) what a worker learns would not reach the parent's cache
    return scanner._analyse(plan, [path])


def _analyse_share(root: str, listing: dict[str, tuple[str, int]], configs: list[str], cli_files: list[str],
                   share: list[str], prefilter: bool):
    """Worker side of `scan --workers`: analyse `share` of the files under `root`."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        scanner = _Scanner(load_catalog(), prefilter)
        plan = _Plan(kinds={p: k for p, (k, _) in listing.items()}, sizes={p: n for p, (_, n) in listing.items()},
                     cli_files=set(cli_files))
        plan.sources = {p: _disk_file(root, p) for p in listing}
        plan.configs = {p: _disk_file(root, p) for p in configs}
        plan.repo = scanner._repo(plan)
        return scanner._analyse(plan, share)
    finally:
        if enabled:
            gc.enable()


def _segments(paths: Iterable[str]) -> dict[bytes, bytes]:
    """The names a file's import line can use for a module of the tree (every segment of a module's dotted name,
    a package's folder), each mapped to one shared copy: all that `spread` asks of a file's import tokens."""
    names: dict[bytes, bytes] = {}
    for path in paths:
        for part in module_name(path).split(".") + [importable_name(path) or ""]:
            token = part.encode()
            names.setdefault(token, token)
    return names


def _config_bytes(f: SourceFile, cache: dict[str, bytes]) -> bytes:
    if f.path not in cache:
        try:
            cache[f.path] = f.read()[: MAX_BYTES]
        except OSError:
            cache[f.path] = b""
    return cache[f.path]


def _disk_file(root: str, path: str) -> SourceFile:
    limit = size_limit(path)
    return SourceFile(path, 0, lambda: read_bytes(root, path, limit + 1))


class _Scanner:
    def __init__(self, catalog: Catalog, prefilter: bool = True, cache: FileCache | None = None):
        self.catalog = catalog
        self.cache = cache
        self.prefilter = _prefilter(catalog)
        self.use_prefilter = prefilter

    def run(self, files: Iterable[SourceFile | FileRecord], workers: int = 1, root: str | None = None) -> ScanResult:
        """Two passes: read every file once for its import lines (nothing of it is kept but those tokens and,
        for a big tree, a row of the text index), then decode, parse and analyse only the files that may hold a
        load (read again). With `workers` > 1 both passes run in that many forked processes when this process can
        fork (see `_in_workers`), else the second pass in spawned ones, which need the folder `root`."""
        plan = self._plan(files, workers)
        records = plan.records
        workers = min(workers, len(plan.hot), sum(plan.sizes[p] for p in plan.hot) // MIN_SHARE)
        try:
            if workers > 1:
                found, analysed, configs = _in_workers(self, plan, workers, root)
            else:
                found, analysed, configs = self._analyse(plan, sorted(plan.hot))
        finally:
            plan.repo.release()
        by_path = {r.path: r for r in analysed}
        for path in sorted(plan.sizes):
            records.append(by_path[path] if path in plan.hot else FileRecord(
                path, plan.kinds[path], plan.sizes[path], "ok", None, "prefilter: no catalog import"))
        records.extend(sorted(configs.values(), key=lambda r: r.path))
        found.sort(key=lambda f: (f.file, f.cell if f.cell is not None else -1, f.line, f.col))
        return ScanResult(findings=found, files=records, analysed=len(plan.hot) - plan.reused, reused=plan.reused)

    def _plan(self, files: Iterable[SourceFile | FileRecord], workers: int = 1) -> "_Plan":
        plan = _Plan()
        files = list(files)
        names = _segments(f.path for f in files if isinstance(f, SourceFile) and file_kind(f.path) == "python")
        todo = [(f, kind) for f in files if isinstance(f, SourceFile) and (kind := file_kind(f.path))
                and kind != "config"]
        index = sum(f.size for f, _ in todo) >= INDEX_BYTES
        facts = iter(self._facts(todo, names, workers, index))
        rows = bytearray()  # the text index's rows, in the order of the python files
        tokens: dict[str, tuple[bytes, ...]] = {}  # a file's import-line names that name a module of the tree
        relative: dict[str, bool] = {}
        seeds: set[str] = set()
        for f in files:  # in the listing's order (that of the refused files' records)
            if isinstance(f, FileRecord):
                plan.records.append(f)
                continue
            kind = file_kind(f.path)
            if kind is None:
                continue
            if f.blob:
                plan.blobs[f.path] = f.blob
            if kind == "config":
                if f.size <= MAX_BYTES:
                    plan.configs[f.path] = f
                continue
            fact = next(facts)
            if isinstance(fact, FileRecord):
                plan.records.append(fact)
                continue
            path = f.path
            plan.sources[path], plan.kinds[path] = f, kind
            plan.sizes[path], found, relative[path], cli, seed, hot, row = fact
            if row is not None:
                rows += row
            tokens[path] = tuple(names[t] for t in found)  # one shared copy of each name
            if cli:
                plan.cli_files.add(path)
            if seed:
                seeds.add(path)
            if hot or not self.use_prefilter:
                plan.hot.add(path)
        plan.repo = self._repo(plan)
        if index:
            from .textindex import TrigramIndex  # (numpy) only for big trees

            plan.repo.text_index = TrigramIndex([p for p in plan.texts if p.endswith(".py")], rows)
        if seeds and self.use_prefilter:
            plan.hot |= spread(seeds, tokens, relative, plan.texts.data,
                               lambda p: self._exported(p, plan.repo, plan.kinds), plan.repo.find_module, module_name)
        return plan

    def _facts(self, todo: list[tuple[SourceFile, str]], names: dict[bytes, bytes], workers: int,
               index: bool) -> list:
        """`_file_facts` of each file, in order; read in `workers` forked processes when there is enough to read."""
        workers = min(workers, sum(f.size for f, _ in todo) // READ_SHARE)
        if workers < 2 or not _can_fork():
            return [self._file_facts(f, kind, names, index) for f, kind in todo]
        from peatmoss.execution import Unit

        global _FORKED
        step = -(-len(todo) // (8 * workers))
        _FORKED = (self, todo, names, index)
        try:
            parts = {}
            for key, value in _worker_results([Unit(str(i), (i, i + step)) for i in range(0, len(todo), step)],
                                              _facts_forked, workers, "fork"):
                parts[int(key)] = value
        finally:
            _FORKED = None
        return [fact for i in sorted(parts) for fact in parts[i]]

    def _file_facts(self, f: SourceFile, kind: str, names: dict[bytes, bytes], index: bool):
        """What the first pass keeps of a file: (size, its import-line names that name a module of the tree,
        imports relatively, spells an option definition, imports a catalog root, may hold a load, its row of the
        text index if `index`); or the record of a file refused or unreadable."""
        refused: list[FileRecord] = []
        data = self._read(f, kind, refused)
        if data is None:
            return refused[0]
        found = import_tokens(data)
        seed = self.prefilter.hot_tokens(found)
        row = None
        if index and f.path.endswith(".py"):
            from .textindex import file_map

            row = file_map(data, not may_declare_coding(data))
        return (len(data), tuple(t for t in found if t in names), b"from ." in data,
                b"add_argument" in data or b"DEFINE_" in data, seed,
                (seed and self.prefilter.hot_tokens(found, data)) or UNIMPORTED in data, row)

    def _repo(self, plan: "_Plan") -> Repo:
        plan.texts = _Texts(plan.sources, plan.kinds)
        repo = Repo(plan.texts, {p: partial(_config_bytes, f, plan.cfg_cache) for p, f in plan.configs.items()},
                    frozenset(r.decode() for r in self.prefilter.roots), self.catalog, plan.blobs, plan.texts.data)
        repo.cli_files = plan.cli_files
        return repo

    def _analyse(self, plan: "_Plan", paths: list[str]) -> tuple[list[Finding], list[FileRecord], dict]:
        """Findings and a record for each of `paths`, and records of the config files consulted."""
        findings: list[Finding] = []
        records: list[FileRecord] = []
        repo, texts = plan.repo, plan.texts
        for path in paths:
            kind = plan.kinds[path]
            blob = plan.blobs.get(path) if self.cache is not None else None
            kept = self.cache.get(path, blob, repo) if blob else None
            if kept is not None:
                records.append(kept[0])
                findings.extend(kept[1])
                plan.reused += 1
                continue
            repo.watch = set() if blob else None
            data = texts.data(path)
            text, exact = texts.decoded(path, data)
            record = FileRecord(path, kind, plan.sizes[path], "ok" if exact else "degraded",
                                None if exact else "encoding", None if exact else "not UTF-8; decoded as Latin-1")
            try:
                if kind == "notebook":
                    found = self._notebook(path, data, repo, record)
                else:
                    if is_percent(text):
                        record.kind = "percent"
                    found = self._python(path, text, repo, record)
            except Exception as exc:  # noqa: BLE001 -- one odd file must never stop a repository scan
                log.warning("analysis of %s failed: %r", path, exc)
                record.status, record.error_kind = "error", "analysis_error"
                record.message = f"{type(exc).__name__}: {exc}"[:300]
                found = []
            if blob:
                self.cache.put(path, blob, record, found, repo.watch)
                repo.watch = None
            findings.extend(found)
            records.append(record)
        configs = {path: FileRecord(path, "config", len(plan.cfg_cache.get(path, b"")), *values)
                   for path, values in repo.config_status.items()}
        return findings, records, configs

    def _exported(self, path: str, repo: Repo, kinds: dict[str, str]):
        """Names a repo module binds to catalog-library objects (what it can re-export); None if unknown."""
        if kinds.get(path) != "python":
            return set()
        info = repo.module_at(path)
        if info is None:
            return None
        memo: dict[str, bool] = {}
        return {name for name in set(info.imports) | set(info.classes) | set(info.scope.assigns)
                if self._catalog_name(name, info, repo, memo)}

    def _catalog_name(self, name: str, info, repo: Repo, memo: dict[str, bool]) -> bool:
        """`name` of module `info` is an import of a catalog object, a subclass of one, or a name for either.
        (A method, not a recursive closure: with the cyclic collector off, a closure that refers to itself
        would keep the module's whole tree alive after the scan moved on.)"""
        if name not in memo:
            memo[name] = False
            found = False
            roots, prefixes = self.prefilter.roots, self.prefilter.prefixes
            if name in info.imports:
                top = repo.reexport(info.imports[name]).split(".", 1)[0].encode()
                found = top in roots or bool(prefixes and top.startswith(prefixes))
            if not found and name in info.classes:
                q = repo.qualname(ast.Name(id=name), info)
                found = bool(q and q.split(".", 1)[0].encode() in roots)
            if not found:
                found = any(isinstance(v, (ast.Name, ast.Attribute))
                            and self._catalog_name(ast.unparse(v).split(".")[0], info, repo, memo)
                            for _, v in info.scope.assigns.get(name, ()))
            memo[name] = found
        return memo[name]

    @staticmethod
    def _read(f: SourceFile, kind: str, records: list[FileRecord]) -> bytes | None:
        limit = size_limit(f.path)
        if f.size > limit:
            records.append(FileRecord(f.path, kind, f.size, "skipped", "too_large", f"{f.size} bytes > {limit}"))
            return None
        try:
            data = f.read()
        except OSError as exc:
            records.append(FileRecord(f.path, kind, f.size, "error", "unreadable", str(exc)))
            return None
        if len(data) > limit:
            records.append(FileRecord(f.path, kind, len(data), "skipped", "too_large", f"more than {limit} bytes"))
            return None
        if b"\x00" in data:
            records.append(FileRecord(f.path, kind, len(data), "error", "binary", "NUL bytes: not a text file"))
            return None
        return data

    def _python(self, path: str, text: str, repo: Repo, record: FileRecord) -> list[Finding]:
        locate = _mapped(percent_map(text)) if record.kind == "percent" else _plain
        try:
            mod = repo.module_at(path) if repo.has_text(path) else None
            if mod is None:
                mod = build_module(parse(text, path), module_name(path), path, text)
                repo.add_module(path, mod)
            return analyze_module(mod, repo, self.catalog, path, locate)
        except PARSE_ERRORS as exc:
            record.status, record.error_kind = "degraded", _error_kind(exc)
            record.message = f"{type(exc).__name__}: {exc}"[:300] + "; token scan used"
            return token_scan(text, self.catalog, path, locate)

    def _notebook(self, path: str, data: bytes, repo: Repo, record: FileRecord) -> list[Finding]:
        try:
            cells = notebook_cells(data)
        except NotebookError as exc:
            record.status, record.error_kind, record.message = "error", "bad_notebook", str(exc)[:300]
            return []
        text, where = join_cells(cells)
        try:
            mod = build_module(parse(text, path), module_name(path), path, text)
            return analyze_module(mod, repo, self.catalog, path, _mapped(where))
        except PARSE_ERRORS:
            pass
        good, bad = [], []
        for cell in cells:  # which cells parse on their own
            try:
                parse(cell.text, path)
                good.append(cell)
            except PARSE_ERRORS as exc:
                bad.append((cell.index, type(exc).__name__))
        findings: list[Finding] = []
        if good:  # the cells that parse, analysed together (imports and constants cross cells)
            good_text, good_where = join_cells(good)
            mod = build_module(parse(good_text, path), module_name(path), path, good_text)
            findings = analyze_module(mod, repo, self.catalog, path, _mapped(good_where))
        broken = {index for index, _ in bad}  # token scan over all cells, kept for the broken ones
        findings += [f for f in token_scan(text, self.catalog, path, _mapped(where)) if f.cell in broken]
        record.status, record.error_kind = "degraded", "syntax_error"
        record.message = ("cells analysed without: " + ", ".join(f"cell {i} ({e})" for i, e in bad))[:300]
        return findings


def scan_files(files: Iterable[SourceFile], *, catalog: Catalog | None = None, prefilter: bool = True,
               workers: int = 1, root: str | Path | None = None, cache: FileCache | None = None) -> ScanResult:
    """Analyse all files of one repository together (cross-module constants, config files).

    prefilter=False parses every file (for checking the prefilter; same findings, slower). `workers` > 1
    reads and analyses in that many processes (forked; spawned ones, where this process cannot fork, need
    `root`, the folder the files' paths are relative to). `cache`
    (kept across the commits of one repository) reuses the analysis of files read from git whose blob and
    dependencies did not change."""
    enabled = gc.isenabled()
    gc.disable()  # the cached syntax trees make every cyclic collection slow (so nothing a scan keeps may form a cycle)
    try:
        return _Scanner(catalog or load_catalog(), prefilter, cache).run(
            files, workers, os.path.realpath(root) if root is not None else None)
    finally:
        if enabled:
            gc.enable()


def scan_path(path: str | Path, workers: int = 1) -> ScanResult:
    """Walk a local folder safely, then scan_files (the analysis in `workers` processes)."""
    root = Path(path)
    if root.is_file():
        data_path = root.resolve()
        return scan_files([SourceFile(root.name, data_path.stat().st_size, data_path.read_bytes)])
    return scan_files(walk(root), workers=workers, root=root)
