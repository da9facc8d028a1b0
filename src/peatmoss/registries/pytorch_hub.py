"""Collect PyTorch Hub models from the `pytorch/hub` repository's model pages.

Source: a local checkout or an archive (.zip, .tar.gz) of `pytorch/hub`. Each `<owner>_<repo>_<name>.md`
page has YAML front matter and Python examples; every `torch.hub.load(repo_or_dir, model, ...)` call in
its code blocks (positional or keyword, `repo:ref` forms, entrypoints held in variables assigned in the
page, calls left in comments as alternatives) gives one (repo, model) entry. Where a hub repo's
`hubconf.py` is available locally, its entrypoints are listed by reading the file, never by running it.
The library zoos (zoo.py's bundled facts) are merged in as the paper counted them: every torchvision builder
(and, by default, each weight set it publishes) and every public name of torchaudio's pipelines/models and
torchtext's models.

Each model gets the rows a Hugging Face model has, in the same tables: tags (the page's tags, category and
accelerator plus the torchvision sub-module it comes from, as the PeaTMOSS paper did: segmentation,
object_detection, video, quantization, optical_flow), author (the page's), library and framework ("pytorch"),
and license: its GitHub repository's, from pytorch_hub_licenses.csv (facts with their sources; see its header).
"""

from __future__ import annotations

import ast
import csv
import re
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from sqlalchemy import delete, func, literal, select

from ..core.frontmatter import split_front_matter
from ..db import init_db, models as m
from ..core.runs import advance, count_errors, finish_run, open_run, record_error
from .huggingface import ensure_registry
from .records import classify_tag
from .store import dialect_insert
from .zoo import LIBRARIES, ZOO_AUTHOR, ZOO_DOMAIN, ZOO_REPO, bundled_library_zoo, bundled_zoo

SKIP_PAGES = {"README.md", "CONTRIBUTING.md", "CODE_OF_CONDUCT.md", "LICENSE.md"}
CODE_BLOCK = re.compile(r"^```[ \t]*(python|py)?[^\n]*\n(.*?)^```", re.M | re.S)
# torchvision sub-modules -> the tag the paper gave their models
SUBMODULE_TAGS = {"segmentation": "segmentation", "detection": "object_detection", "video": "video",
                  "quantization": "quantization", "optical_flow": "optical_flow"}
_SUBMODULE = re.compile(r"(?:^|[/.])models[/.](" + "|".join(SUBMODULE_TAGS) + r")(?:[/.]|$)")
LIBRARY = "pytorch"  # the Hub's name for plain PyTorch (library_name, framework)
COMMENTED = re.compile(r"^(\s*)#\s?(?=\s*(\w+\s*=\s*['\"]|.*\bhub\.load\())")


@dataclass
class HubEntry:
    repo: str
    entrypoint: str
    ref: str | None
    line: int  # 1-based line in the page


@dataclass
class HubPage:
    slug: str
    front_matter: dict
    entries: list[HubEntry] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # expressions we could not resolve


class FrontMatterError(ValueError):
    """A page whose front matter is not a YAML mapping."""


def _front_matter(text: str) -> tuple[dict, str, int]:
    """(front matter, body, line offset of the body); broken YAML is an error (the page's error row)."""
    fm = split_front_matter(text, curly_quotes=True)
    if fm.error:
        raise FrontMatterError(fm.error)
    return fm.data, text[fm.body_start:], text[:fm.body_start].count("\n")


def _code_blocks(body: str, offset: int) -> Iterator[tuple[str, int]]:
    for match in CODE_BLOCK.finditer(body):
        if match.group(1) is None and "hub.load" not in match.group(2):
            continue
        first_line = offset + body[: match.start(2)].count("\n") + 1
        original = match.group(2)
        uncommented = "\n".join(COMMENTED.sub(r"\1", line) for line in original.splitlines())
        yield (uncommented if _parses(uncommented) or not _parses(original) else original), first_line


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
        return True
    except SyntaxError:
        return False


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(code)
    except SyntaxError:
        # keep the statements that parse on their own (pages mix shell lines into examples)
        good = []
        for line in code.splitlines():
            try:
                ast.parse(line.strip())
                good.append(line.strip())
            except SyntaxError:
                good.append("")
        try:
            return ast.parse("\n".join(good))
        except SyntaxError:
            return None


def _is_hub_load(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and func.attr == "load" and (
        (isinstance(func.value, ast.Attribute) and func.value.attr == "hub")
        or (isinstance(func.value, ast.Name) and func.value.id == "hub"))


def _arg(call: ast.Call, pos: int, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return call.args[pos] if len(call.args) > pos else None


def _values(node: ast.expr | None, names: dict[str, list[str]]) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Name):
        return names.get(node.id, [])
    return []


def parse_page(slug: str, text: str) -> HubPage:
    """Front matter and every (repo, entrypoint) loaded in the page's code blocks."""
    front, body, offset = _front_matter(text)
    page = HubPage(slug=slug, front_matter=front)
    trees = [(tree, start) for code, start in _code_blocks(body, offset) if (tree := _parse(code)) is not None]
    names: dict[str, list[str]] = {}
    for tree, _ in trees:  # string constants assigned anywhere in the page, every branch kept
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        names.setdefault(target.id, [])
                        if node.value.value not in names[target.id]:
                            names[target.id].append(node.value.value)
    seen: set[tuple[str, str]] = set()
    for tree, start in trees:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _is_hub_load(node.func)):
                continue
            repos = _values(_arg(node, 0, "repo_or_dir"), names)
            models = _values(_arg(node, 1, "model"), names)
            if not repos or not models:
                page.unresolved.append(ast.unparse(node)[:200])
                continue
            for spec in repos:
                repo, _, ref = spec.partition(":")
                for model in models:
                    if (repo, model) not in seen:
                        seen.add((repo, model))
                        page.entries.append(HubEntry(repo, model, ref or None, start + node.lineno - 1))
    return page


def hubconf_entrypoints(source: str) -> list[str]:
    """Public callables a hubconf.py exposes: top-level functions and names it imports by name."""
    tree = ast.parse(source)
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            names.append(node.name)
        elif isinstance(node, ast.ImportFrom):
            names.extend(a.asname or a.name for a in node.names
                         if a.name != "*" and not (a.asname or a.name).startswith("_"))
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name) and not t.id.startswith("_") and t.id != "dependencies" \
                        and isinstance(node.value, (ast.Name, ast.Attribute)):
                    names.append(t.id)
    return list(dict.fromkeys(n for n in names if n != "dependencies"))


def hubconf_modules(source: str) -> dict[str, str]:
    """Entrypoint name -> the module a hubconf.py imports it from ("torchvision.models.video")."""
    return {a.asname or a.name: node.module for node in ast.parse(source).body
            if isinstance(node, ast.ImportFrom) and node.module for a in node.names}


MAX_PAGE_BYTES = 4 * 1024 ** 2  # a model page is a few KB
MAX_MEMBERS = 100_000  # archive entries looked at
MAX_ARCHIVE_BYTES = 1024 ** 3  # uncompressed bytes walked in a .tar(.gz)
MAX_RATIO = 200  # uncompressed / compressed size of one zip member


class ArchiveLimit(ValueError):
    """A page or archive over a size, count or compression-ratio limit (an error row, never inflated)."""


def _page_member(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1]
    return name if name.endswith(".md") and name not in SKIP_PAGES and path.strip("./").count("/") <= 1 else None


def iter_pages(source: Path) -> Iterator[tuple[str, str | bytes | ArchiveLimit]]:
    """(file name, content) of every model page in a folder, .zip or .tar(.gz) of pytorch/hub. A page over
    MAX_PAGE_BYTES (or a zip member inflating over MAX_RATIO) comes as an `ArchiveLimit` in place of its
    content; an archive over MAX_MEMBERS entries or MAX_ARCHIVE_BYTES ends with one (named after it)."""
    source = Path(source)
    if source.is_dir():
        for path in sorted(source.glob("*.md")):
            if path.name in SKIP_PAGES or not path.is_file():
                continue
            size = path.stat().st_size
            yield path.name, path.read_bytes() if size <= MAX_PAGE_BYTES else \
                ArchiveLimit(f"page of {size:,} bytes (limit {MAX_PAGE_BYTES:,})")
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                yield source.name, ArchiveLimit(f"archive of {len(infos):,} entries (limit {MAX_MEMBERS:,})")
                return
            for info in infos:
                name = _page_member(info.filename)
                if name is None or info.is_dir():
                    continue
                if info.file_size > MAX_PAGE_BYTES or info.file_size > MAX_RATIO * max(info.compress_size, 1):
                    yield name, ArchiveLimit(f"page of {info.file_size:,} bytes from {info.compress_size:,} "
                                             f"(limits {MAX_PAGE_BYTES:,} bytes, ratio {MAX_RATIO})")
                    continue
                with zf.open(info) as fh:  # the declared size may lie: read no more than the limit
                    data = fh.read(MAX_PAGE_BYTES + 1)
                yield name, data if len(data) <= MAX_PAGE_BYTES else ArchiveLimit("page over its declared size")
    elif tarfile.is_tarfile(source):
        with tarfile.open(source) as tf:
            for count, member in enumerate(tf):
                if count >= MAX_MEMBERS or member.offset_data + member.size > MAX_ARCHIVE_BYTES:
                    yield source.name, ArchiveLimit(f"archive over {MAX_MEMBERS:,} entries or "
                                                    f"{MAX_ARCHIVE_BYTES:,} bytes: stopped")
                    return
                name = _page_member(member.name)
                if name is None or not member.isfile():
                    continue
                if member.size > MAX_PAGE_BYTES:
                    yield name, ArchiveLimit(f"page of {member.size:,} bytes (limit {MAX_PAGE_BYTES:,})")
                    continue
                yield name, tf.extractfile(member).read(MAX_PAGE_BYTES)
    else:
        raise FileNotFoundError(f"not a folder or archive of pytorch/hub: {source}")


@dataclass
class PytorchHubSummary:
    """What a PyTorch Hub collection did; `errors` counts the run's error rows."""

    run_id: int
    pages: int = 0
    entries: int = 0
    models: int = 0
    zoo: int = 0  # entries from the bundled library zoos (torchvision, torchaudio, torchtext)
    errors: int = 0


def collect_pytorch_hub(url: str | None, source: str | Path, hubconf_dir: str | Path | None = None,
                        zoo: bool = True, zoo_weights: bool = True) -> PytorchHubSummary:
    """Load every page of `source` into the database (an unfinished run of the same source is resumed).

    With `zoo`, the library zoos (bundled facts: torchvision's builders, torchaudio's and torchtext's public model
    names) are merged in as `pytorch/vision`, `pytorch/audio` and `pytorch/text` models; `zoo_weights` adds a
    model for each torchvision weight set too, as the paper counted torchaudio's and torchtext's weight bundles
    (docs/analysis.md); without it the count follows the paper's torchvision rule, one model per builder."""
    engine = init_db(url)
    with engine.begin() as conn:
        registry_id = ensure_registry(conn, "pytorch_hub", "https://pytorch.org/hub")
        run_id = open_run(conn, "collect", "pytorch_hub", str(source), params={}, registry_id=registry_id).id
    counts = PytorchHubSummary(run_id)
    for name, raw in iter_pages(Path(source)):
        slug = name[:-3]
        try:
            if isinstance(raw, ArchiveLimit):
                raise raw
            text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
            page = parse_page(slug, text)
        except (UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
            with engine.begin() as conn:
                record_error(conn, run_id, "collect.pytorch_hub", name, type(exc).__name__, exc)
            continue
        if not page.front_matter:  # not a model page (an index, a stray note)
            continue
        with engine.begin() as conn:
            n = _write_page(conn, registry_id, run_id, page)
            for expr in page.unresolved:
                record_error(conn, run_id, "collect.pytorch_hub", f"{name}: {expr}", "unresolved_entrypoint",
                             "torch.hub.load argument is not a string the page assigns")
            advance(conn, run_id, items=1)
        counts.pages += 1
        counts.entries += n
    if hubconf_dir:
        counts.entries += _collect_hubconfs(engine, registry_id, run_id, Path(hubconf_dir))
    if zoo:
        with engine.begin() as conn:
            counts.zoo = _collect_zoo(conn, registry_id, run_id, zoo_weights)
            counts.entries += counts.zoo
    with engine.begin() as conn:  # the snapshot's membership, for per-snapshot counts (PyTorch Hub has no downloads)
        model = m.Model.__table__
        members = select(literal(run_id), model.c.id).where(model.c.registry_id == registry_id,
                                                            model.c.last_seen_run_id == run_id)
        conn.execute(m.ModelStats.__table__.insert().from_select(["run_id", "model_id"], members))
        counts.models = conn.execute(select(func.count()).select_from(m.Model.__table__)
                                        .where(m.Model.registry_id == registry_id)).scalar_one()
        finish_run(conn, run_id)
        counts.errors = count_errors(conn, run_id)
    return counts


def submodule_tag(path: str | None) -> str | None:
    """The paper's tag for a torchvision sub-module named in a path or module ("torchvision/models/video/...")."""
    m = _SUBMODULE.search(path or "")
    return SUBMODULE_TAGS[m.group(1)] if m else None


@lru_cache(maxsize=1)
def repo_licenses() -> dict[str, list[str]]:
    """Lower-cased GitHub repository -> its license keys (ScanCode keys; [] = none found)."""
    text = resources.files("peatmoss.registries").joinpath("pytorch_hub_licenses.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {r["repo"].lower(): r["scancode_keys"].split() for r in rows}


def _lookup_ids(conn, table, names: list[str], **extra) -> dict[str, int]:
    if not names:
        return {}
    rows = [dict(name=n, **{k: f(n) for k, f in extra.items()}) for n in names]
    conn.execute(dialect_insert(conn, table).on_conflict_do_nothing(index_elements=["name"]), rows)
    return dict(conn.execute(select(table.c.name, table.c.id).where(table.c.name.in_(names))).all())


def _link(conn, table, column: str, model_id: int, ids, **extra) -> None:
    rows = [{"model_id": model_id, column: i, **extra} for i in ids]
    if rows:
        conn.execute(dialect_insert(conn, table).on_conflict_do_nothing(), rows)


def _model_id(conn, registry_id: int, run_id: int, repo: str, entrypoint: str, front: dict,
              tags: list[str] = (), github_id: str | None = None, fallback_licenses: list[str] = (),
              fallback_author: bool = False) -> int:
    """Upsert the model of (repo, entrypoint) and add its tag, author, library, framework and license rows.

    With `fallback_author` (the zoo), the author given is kept only where no page named one."""
    table = m.Model.__table__
    hub_id = f"{repo}/{entrypoint}"
    author = front.get("author") if isinstance(front.get("author"), str) else None
    author_ids = _lookup_ids(conn, m.Author.__table__, [author.strip()] if author and author.strip() else [])
    row = {"registry_id": registry_id, "hub_id": hub_id, "name": entrypoint,
           "repo_url": f"https://github.com/{repo}", "first_seen_run_id": run_id, "last_seen_run_id": run_id,
           "has_snapshot": False, "library_name": LIBRARY, "author_id": next(iter(author_ids.values()), None)}
    stmt = dialect_insert(conn, table)
    update = {"last_seen_run_id": run_id, "library_name": LIBRARY}
    if author_ids:  # a page names the author; an entry from a hubconf.py alone keeps what a page said
        update["author_id"] = func.coalesce(table.c.author_id, stmt.excluded.author_id) if fallback_author \
            else row["author_id"]
    conn.execute(stmt.on_conflict_do_update(index_elements=["registry_id", "hub_id"], set_=update), [row])
    model_id = conn.execute(select(table.c.id).where(table.c.registry_id == registry_id,
                                                     table.c.hub_id == hub_id)).scalar_one()
    # library and framework are tags too (the per-kind tables are views over them)
    names = list(dict.fromkeys([*(t.strip() for t in tags if isinstance(t, str) and t.strip()),
                                LIBRARY, f"library:{LIBRARY}"]))
    tag_ids = _lookup_ids(conn, m.Tag.__table__, names, kind=lambda n: classify_tag(n)[0],
                          value=lambda n: classify_tag(n)[1])
    _link(conn, m.model_to_tag, "tag_id", model_id, tag_ids.values())
    keys = repo_licenses().get(repo.lower()) or repo_licenses().get((github_id or "").lower()) \
        or list(fallback_licenses)
    _link(conn, m.model_to_license, "license_id", model_id, _lookup_ids(conn, m.License.__table__, keys).values(),
          source="repository")
    return model_id


def _write_page(conn, registry_id: int, run_id: int, page: HubPage) -> int:
    fm = page.front_matter
    table = m.PytorchHubPage.__table__
    values = {"title": fm.get("title"), "summary": fm.get("summary"), "category": fm.get("category"),
              "tags": fm.get("tags") if isinstance(fm.get("tags"), list) else None,
              "github_link": fm.get("github-link"), "github_id": fm.get("github-id"), "author": fm.get("author"),
              "accelerator": fm.get("accelerator"), "front_matter": _jsonable(fm), "run_id": run_id}
    stmt = dialect_insert(conn, table)
    conn.execute(stmt.on_conflict_do_update(index_elements=["slug"], set_=values), [dict(values, slug=page.slug)])
    page_id = conn.execute(select(table.c.id).where(table.c.slug == page.slug)).scalar_one()
    entry = m.PytorchHubEntry.__table__
    conn.execute(delete(entry).where(entry.c.page_id == page_id))
    # the paper's tags: the page's, its category and accelerator, and the torchvision sub-module's
    extra = [values["category"], values["accelerator"], submodule_tag(values["github_link"])]
    tags = [str(t) for t in values["tags"] or []] + [t for t in extra if isinstance(t, str) and t]
    github_id = values["github_id"] if isinstance(values["github_id"], str) else None
    rows = [{"page_id": page_id, "repo": e.repo, "entrypoint": e.entrypoint, "refs": [e.ref] if e.ref else [],
             "source": "page", "line": e.line,
             "model_id": _model_id(conn, registry_id, run_id, e.repo, e.entrypoint, fm, tags, github_id)}
            for e in page.entries]
    if rows:
        conn.execute(entry.insert(), rows)
    return len(rows)


def _collect_hubconfs(engine, registry_id: int, run_id: int, root: Path) -> int:
    """Entries from `<root>/<owner>/<repo>/hubconf.py` files, read as text."""
    added = 0
    for path in sorted(root.glob("*/*/hubconf.py")):
        repo = f"{path.parent.parent.name}/{path.parent.name}"
        try:
            names = hubconf_entrypoints(path.read_text(encoding="utf-8", errors="replace"))
        except (SyntaxError, ValueError, RecursionError) as exc:
            with engine.begin() as conn:
                record_error(conn, run_id, "collect.pytorch_hub", str(path), type(exc).__name__, exc)
            continue
        with engine.begin() as conn:
            entry = m.PytorchHubEntry.__table__
            conn.execute(delete(entry).where(entry.c.page_id.is_(None), entry.c.repo == repo))
            origins = hubconf_modules(path.read_text(encoding="utf-8", errors="replace"))
            rows = [{"page_id": None, "repo": repo, "entrypoint": n, "refs": [], "source": "hubconf", "line": None,
                     "model_id": _model_id(conn, registry_id, run_id, repo, n, {},
                                           [t for t in [submodule_tag(origins.get(n))] if t])} for n in names]
            if rows:
                conn.execute(entry.insert(), rows)
            added += len(rows)
    return added


def _collect_zoo(conn, registry_id: int, run_id: int, weights: bool = False) -> int:
    """Entries (source "zoo") and models of the library zoos, counted as the paper did: one model per torchvision
    builder (`pytorch/vision/resnet50`; with `weights`, also one per weight set it publishes,
    `pytorch/vision/resnet50/IMAGENET1K_V2`), tagged "vision" plus its sub-module's tag; and one per public name of
    torchaudio's pipelines and models (`pytorch/audio/WAV2VEC2_BASE`, tagged "audio") and of torchtext's models
    (`pytorch/text/T5_BASE`, tagged "nlp"), each with its family's tag and its papers' `arxiv:` tags."""
    entry = m.PytorchHubEntry.__table__
    conn.execute(delete(entry).where(entry.c.source == "zoo"))
    rows = []

    def add(repo: str, name: str, entrypoint: str, tags: list[str], license_id: str, refs: list[str]) -> None:
        model_id = _model_id(conn, registry_id, run_id, repo, name, {"author": ZOO_AUTHOR}, tags,
                             fallback_licenses=[license_id] if license_id else [], fallback_author=True)
        rows.append({"page_id": None, "repo": repo, "entrypoint": entrypoint, "line": None, "refs": refs,
                     "source": "zoo", "model_id": model_id})

    for z in bundled_zoo():
        tags = [ZOO_DOMAIN, *[t for t in [SUBMODULE_TAGS.get(z["submodule"])] if t]]
        published = z["weights"].split()
        add(ZOO_REPO, z["builder"], z["builder"], tags, z["license"], [z["source"], *published])
        for w in published if weights else []:
            add(ZOO_REPO, f"{z['builder']}/{w.rsplit('.', 1)[-1]}", z["builder"], tags, z["license"], [z["source"], w])
    for library, (repo, _, domain, _, _) in LIBRARIES.items():
        for z in bundled_library_zoo(library):
            tags = [domain, z["family"], *(f"arxiv:{p}" for p in z["papers"].split())]
            add(repo, z["name"], z["name"], tags, z["license"], [z["source"], f"{z['package']}:{z['kind']}"])
    if rows:
        conn.execute(entry.insert(), rows)
    return len(rows)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
