"""Repository-level scan: prefilter, decode, parse (or fall back), analyze; one FileRecord per file."""

from __future__ import annotations

import ast
import gc
import io
import logging
import tokenize
from pathlib import Path
from typing import Iterable

from .analyzer import analyze_module
from .catalog import Catalog, load_catalog
from .fallback import token_scan
from .filecache import FileCache
from .model import FileRecord, Finding, ScanResult, SourceFile
from .module import build_module
from .notebooks import NotebookError, join_cells, notebook_cells, is_percent, percent_map
from .prefilter import Prefilter, import_tokens, spread
from .repo import Repo, is_config, module_name, parse
from .walk import MAX_BYTES, size_limit, walk

log = logging.getLogger(__name__)
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)


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


class _Scanner:
    def __init__(self, catalog: Catalog, prefilter: bool = True, cache: FileCache | None = None):
        self.catalog = catalog
        self.cache = cache
        self.prefilter = _prefilter(catalog)
        self.use_prefilter = prefilter

    def run(self, files: Iterable[SourceFile | FileRecord]) -> ScanResult:
        records: list[FileRecord] = []
        raw: dict[str, bytes] = {}
        kinds: dict[str, str] = {}
        configs: dict[str, SourceFile] = {}
        blobs: dict[str, str] = {}
        for f in files:
            if isinstance(f, FileRecord):
                records.append(f)
                continue
            kind = file_kind(f.path)
            if kind is None:
                continue
            if f.blob:
                blobs[f.path] = f.blob
            if kind == "config":
                if f.size <= MAX_BYTES:
                    configs[f.path] = f
                continue
            data = self._read(f, kind, records)
            if data is not None:
                raw[f.path], kinds[f.path] = data, kind
        tokens = {p: import_tokens(d) for p, d in raw.items()}
        seeds = {p for p, t in tokens.items() if self.prefilter.hot_tokens(t)}
        hot = {p for p in seeds if self.prefilter.hot_tokens(tokens[p], raw[p])} if self.use_prefilter else set(raw)
        relative = {p: b"from ." in d for p, d in raw.items()}
        texts: dict[str, tuple[str, bool]] = {}

        def text_of(path: str):
            def get() -> str | None:
                if path not in texts:
                    texts[path] = decode(raw[path])
                return texts[path][0]
            return get

        cfg_cache: dict[str, bytes] = {}

        def config_bytes(f: SourceFile):
            def get() -> bytes:
                if f.path not in cfg_cache:
                    try:
                        cfg_cache[f.path] = f.read()[: MAX_BYTES]
                    except OSError:
                        cfg_cache[f.path] = b""
                return cfg_cache[f.path]
            return get

        repo = Repo({p: text_of(p) for p, k in kinds.items() if k == "python"},
                    {p: config_bytes(f) for p, f in configs.items()},
                    frozenset(r.decode() for r in self.prefilter.roots), self.catalog, blobs)
        if seeds and self.use_prefilter:
            hot |= spread(seeds, tokens, relative, raw, lambda p: self._exported(p, repo, kinds))
        findings: list[Finding] = []
        analysed = reused = 0
        for path in sorted(raw):
            kind = kinds[path]
            if path not in hot:
                records.append(FileRecord(path, kind, len(raw[path]), "ok", None, "prefilter: no catalog import"))
                continue
            blob = blobs.get(path) if self.cache is not None else None
            kept = self.cache.get(path, blob, repo) if blob else None
            if kept is not None:
                records.append(kept[0])
                findings.extend(kept[1])
                reused += 1
                continue
            repo.watch = set() if blob else None
            analysed += 1
            text_of(path)()
            text, exact = texts[path]
            record = FileRecord(path, kind, len(raw[path]), "ok" if exact else "degraded",
                                None if exact else "encoding", None if exact else "not UTF-8; decoded as Latin-1")
            try:
                if kind == "notebook":
                    found = self._notebook(path, raw[path], repo, record)
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
        for path, values in repo.config_status.items():
            records.append(FileRecord(path, "config", len(cfg_cache.get(path, b"")), values[0], values[1], values[2]))
        findings.sort(key=lambda f: (f.file, f.cell if f.cell is not None else -1, f.line, f.col))
        return ScanResult(findings=findings, files=records, analysed=analysed, reused=reused)

    def _exported(self, path: str, repo: Repo, kinds: dict[str, str]) -> set[str] | None:
        """Names a repo module binds to catalog-library objects (what it can re-export); None if unknown."""
        if kinds.get(path) != "python":
            return set()
        info = repo.module_at(path)
        if info is None:
            return None
        roots = self.prefilter.roots
        out = set()
        for alias, qualified in info.imports.items():
            top = repo.reexport(qualified).split(".", 1)[0].encode()
            if top in roots or (self.prefilter.prefixes and top.startswith(self.prefilter.prefixes)):
                out.add(alias)
        for name, cls in info.classes.items():
            q = repo.qualname(ast.Name(id=name), info)
            if q and q.split(".", 1)[0].encode() in roots:
                out.add(name)
        for name, assigns in info.scope.assigns.items():
            if any(isinstance(v, (ast.Name, ast.Attribute)) and (ast.unparse(v).split(".")[0] in out)
                   for _, v in assigns):
                out.add(name)
        return out

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
               cache: FileCache | None = None) -> ScanResult:
    """Analyse all files of one repository together (cross-module constants, config files).

    prefilter=False parses every file (for checking the prefilter; same findings, slower). `cache` (kept
    across the commits of one repository) reuses the analysis of files read from git whose blob and
    dependencies did not change."""
    enabled = gc.isenabled()
    gc.disable()  # the cached syntax trees make every cyclic collection slow; they hold no cycles
    try:
        return _Scanner(catalog or load_catalog(), prefilter, cache).run(files)
    finally:
        if enabled:
            gc.enable()


def scan_path(path: str | Path) -> ScanResult:
    """Walk a local folder safely, then scan_files."""
    root = Path(path)
    if root.is_file():
        data_path = root.resolve()
        return scan_files([SourceFile(root.name, data_path.stat().st_size, data_path.read_bytes)])
    return scan_files(walk(root))
