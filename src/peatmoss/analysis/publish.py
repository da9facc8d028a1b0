"""`peatmoss publish`: a versioned release folder of the dataset, in the paper's two variants.

"metadata": the SQLite file, one Parquet file per table, a datasheet (counts, snapshot dates, sources, licenses
of the data), a Croissant (MLCommons) JSON-LD description and SHA256SUMS. "full" adds the stored files under
`files/`: every stored model card (from the database), every file a deep snapshot stored (`collect --files`, from
its content-addressed store) and the git history of each mined repository that has a mirror (a `git bundle`).
Each stored file is listed in the datasheet, in the Croissant description (a FileObject, grouped by FileSets) and
in SHA256SUMS. Nothing is overwritten: an existing release folder is an error."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import pyarrow.parquet as pq
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ..core.paths import mirror_repo
from ..db import get_engine
from .export import export, tables
from .load import require_db

CROISSANT_CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract", "field": "cr:field", "fileObject": "cr:fileObject", "fileProperty": "cr:fileProperty",
    "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath",
    "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField", "path": "cr:path", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace",
    "separator": "cr:separator", "source": "cr:source", "subField": "cr:subField", "transform": "cr:transform",
}
ARROW_TO_CROISSANT = {"int64": "sc:Integer", "double": "sc:Float", "bool": "sc:Boolean", "string": "sc:Text"}
SOURCES = {"huggingface": "Hugging Face Hub API (https://huggingface.co)",
           "pytorch_hub": "PyTorch Hub pages and hubconf.py files (https://pytorch.org/hub)",
           "github": "GitHub REST/GraphQL APIs (https://github.com)"}


VARIANTS = ("metadata", "full")
# kind of stored file (its folder under files/) -> (Croissant encoding format, what the datasheet calls it)
STORED = {"model_cards": ("text/markdown", "model cards (README.md) as stored in the database"),
          "models": ("application/octet-stream", "model repository files stored by deep snapshots"),
          "repositories": ("application/x-git-bundle", "git history of mined repositories (git bundle)")}
_DIGEST = re.compile(r"^[0-9a-f]{64}$")


@dataclass
class StoredFiles:
    """The files a "full" release holds beside the database: path -> kind, and what could not be stored."""

    kinds: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def _segment(part: str) -> str:
    """One path segment from hub data, kept inside its folder: no separators, no '.'/'..' ."""
    text = quote(part, safe=" @+-_=,()[]{}.~")
    return text.replace(".", "%2E") if text in {"", ".", ".."} else text


def _rel(kind: str, *parts: str) -> str:
    return "/".join(["files", kind, *(_segment(p) for seg in parts for p in str(seg).split("/"))])


def _store_files(url: str, release: Path, store: Path | None, mirrors: Path | None) -> StoredFiles:
    """Write the stored files of the full variant into `release/files`."""
    out = StoredFiles()
    engine = get_engine(url)
    with engine.connect() as conn:
        cards = conn.execute(text("SELECT m.hub_id, c.sha, c.text FROM model_card c JOIN model m ON m.id = c.model_id "
                                  "ORDER BY m.hub_id, c.sha")).all()
        blobs = conn.execute(text("SELECT m.hub_id, f.path, f.stored_digest FROM model_file f "
                                  "JOIN model m ON m.id = f.model_id WHERE f.stored_digest IS NOT NULL "
                                  "ORDER BY m.hub_id, f.path")).all()
        repos = conn.execute(text("SELECT full_name FROM reuse_repository WHERE host = 'github' "
                                  "ORDER BY full_name")).scalars().all()
    for hub_id, sha, card in cards:
        rel = _rel("model_cards", hub_id, sha, "README.md")
        _write(release / rel, card.encode("utf-8"))
        out.kinds[rel] = "model_cards"
    for hub_id, path, digest in blobs:
        rel = _rel("models", hub_id, path)
        blob = store / "sha256" / digest[:2] / digest if store and _DIGEST.match(digest or "") else None
        if blob is None or not blob.is_file() or sha256(blob) != digest:
            out.missing.append(f"{hub_id}/{path}: sha256 {digest} not (intact) in the store {store or '(none)'}")
            continue
        (release / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(blob, release / rel)
        out.kinds[rel] = "models"
    for full_name in repos if mirrors else []:
        mirror = mirror_repo(mirrors, full_name)
        git_dir = mirror / ".git" if (mirror / ".git").is_dir() else mirror
        if not git_dir.is_dir():
            continue  # not mirrored: its metadata is in the database, its history was never stored
        rel = _rel("repositories", f"{full_name.replace('/', '+')}.bundle")
        (release / rel).parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["git", "--git-dir", str(git_dir), "bundle", "create", str(release / rel), "--all"],
                              capture_output=True, text=True, timeout=600, check=False)
        if done.returncode == 0 and (release / rel).is_file():
            out.kinds[rel] = "repositories"
        else:
            out.missing.append(f"{full_name}: git bundle failed ({(done.stderr or '').strip()[:200]})")
    return out


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sqlite_path(url: str) -> Path:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database:
        raise ValueError("publish copies a SQLite database: point --db at a SQLite file "
                         "(for PostgreSQL, `peatmoss export` writes the Parquet tables)")
    return Path(u.database)


def _facts(url: str) -> dict:
    engine = get_engine(url)
    with engine.connect() as conn:
        def rows(sql):
            return [tuple(r) for r in conn.execute(text(sql))]
        return {
            "runs": rows("SELECT stage, source, MIN(snapshot_date), MAX(snapshot_date), COUNT(*) FROM collection_run "
                         "WHERE status = 'complete' GROUP BY stage, source ORDER BY stage, source"),
            "hubs": rows("SELECT g.name, COUNT(m.id) FROM registry g LEFT JOIN model m ON m.registry_id = g.id "
                         "GROUP BY g.name ORDER BY g.name"),
            "licenses": rows("SELECT COALESCE(l.spdx_expression, l.name), COUNT(DISTINCT ml.model_id) AS n "
                             "FROM model_to_license ml JOIN license l ON l.id = ml.license_id "
                             "GROUP BY COALESCE(l.spdx_expression, l.name) ORDER BY n DESC LIMIT 15"),
            "unlicensed": rows("SELECT COUNT(*) FROM model m WHERE NOT EXISTS "
                               "(SELECT 1 FROM model_to_license ml WHERE ml.model_id = m.id)")[0][0],
            "repositories": rows("SELECT COUNT(*) FROM reuse_repository")[0][0],
        }


def _day(value) -> str:
    return str(value)[:10] if value else "unknown"


def datasheet(version: str, facts: dict, counts: dict[str, int], stored: StoredFiles | None = None,
              sizes: dict[str, int] | None = None) -> str:
    variant = "full" if stored is not None else "metadata"
    lines = [f"# PeaTMOSS release {version} ({variant})", "",
             "A snapshot of pre-trained models (PTMs), the GitHub projects that load them and the links between "
             "them, built by peatmoss from public sources.", "", "## Contents", "",
             "| file | what |", "|---|---|", "| `peatmoss.sqlite` | the whole database (our schema plus the paper's "
             "table names as views) |", "| `parquet/TABLE.parquet` | one file per table |",
             "| `croissant.json` | Croissant (MLCommons) description |", "| `SHA256SUMS` | checksums of every file |"]
    if stored is not None:
        lines += [f"| `files/{kind}/` | {what} |" for kind, (_, what) in STORED.items()]
    lines += ["", "## Counts", "", "| hub | models |", "|---|---:|"]
    lines += [f"| {hub} | {n:,} |" for hub, n in facts["hubs"]]
    lines += ["", f"GitHub repositories: {facts['repositories']:,}.", "", "| table | rows |", "|---|---:|"]
    lines += [f"| {t} | {n:,} |" for t, n in counts.items() if n]
    lines += ["", "## Snapshots and sources", "", "| stage | source | first snapshot | last snapshot | runs |",
              "|---|---|---|---|---:|"]
    lines += [f"| {stage} | {SOURCES.get(src, src)} | {_day(a)} | {_day(b)} | {n:,} |"
              for stage, src, a, b, n in facts["runs"]]
    lines += ["", "## Licenses of the data", "",
              "Each model keeps the license its authors declared (below, the most common; "
              f"{facts['unlicensed']:,} models declare none). Model cards and files are the authors' work under "
              "those licenses; repository metadata follows each repository's license and GitHub's terms. "
              "The collected metadata, links and derived tables are released for research.", "",
              "| license | models |", "|---|---:|"]
    lines += [f"| {lic} | {n:,} |" for lic, n in facts["licenses"]]
    if stored is not None:
        lines += _stored_section(stored, sizes or {})
    return "\n".join(lines) + "\n"


def _stored_section(stored: StoredFiles, sizes: dict[str, int]) -> list[str]:
    lines = ["", "## Stored files", "", "| kind | files | bytes |", "|---|---:|---:|"]
    for kind in STORED:
        rels = [r for r, k in stored.kinds.items() if k == kind]
        lines.append(f"| {kind} | {len(rels):,} | {sum(sizes.get(r, 0) for r in rels):,} |")
    if stored.missing:
        lines += ["", f"Not stored ({len(stored.missing):,}):", ""] + [f"- {m}" for m in stored.missing]
    lines += ["", "| file | bytes |", "|---|---:|"] + [f"| `{r}` | {sizes.get(r, 0):,} |" for r in sorted(stored.kinds)]
    return lines


def croissant(version: str, published: str, files: dict[str, tuple[str, str]], parquet: dict[str, Path],
              stored: StoredFiles | None = None) -> dict:
    """The release as Croissant JSON-LD: one FileObject per file, one RecordSet per Parquet table, and for the
    full variant one FileSet per kind of stored file."""
    distribution = [{"@type": "cr:FileObject", "@id": rel, "name": rel, "contentUrl": rel,
                     "encodingFormat": fmt, "sha256": digest} for rel, (digest, fmt) in files.items()]
    for kind, (fmt, what) in STORED.items() if stored is not None else []:
        distribution.append({"@type": "cr:FileSet", "@id": f"files/{kind}", "name": kind, "description": what,
                             "encodingFormat": fmt, "includes": f"files/{kind}/**"})
    record_sets = []
    for table, path in parquet.items():
        rel = f"parquet/{path.name}"
        fields = [{"@type": "cr:Field", "@id": f"{table}/{f.name}", "name": f.name,
                   "dataType": "sc:Date" if str(f.type).startswith("timestamp")
                   else ARROW_TO_CROISSANT.get(str(f.type), "sc:Text"),
                   "source": {"fileObject": {"@id": rel}, "extract": {"column": f.name}}}
                  for f in pq.read_schema(path)]
        record_sets.append({"@type": "cr:RecordSet", "@id": table, "name": table, "field": fields})
    return {"@context": CROISSANT_CONTEXT, "@type": "sc:Dataset", "name": "PeaTMOSS",
            "description": "Pre-trained models, the open-source projects that use them, and the links between them.",
            "conformsTo": "http://mlcommons.org/croissant/1.0", "version": version, "datePublished": published,
            "url": "https://github.com/PurdueDualityLab/PeaTMOSS-Artifact",
            "distribution": distribution, "recordSet": record_sets}


def publish(url: str, out: Path, version: str | None = None, variant: str = "metadata",
            store: Path | None = None, mirrors: Path | None = None) -> Path:
    """Write the release folder `out/peatmoss-VERSION` (with the stored files for `variant="full"`: model cards,
    deep-snapshot files from `store`, repository histories from `mirrors`); returns it."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}: use one of {', '.join(VARIANTS)}")
    require_db(url)
    db = _sqlite_path(url)
    now = datetime.now(timezone.utc)
    version = version or now.strftime("%Y.%m.%d")
    release = Path(out) / f"peatmoss-{version}"
    if release.exists():
        raise FileExistsError(f"{release} exists: choose another --version or remove it")
    release.mkdir(parents=True)
    with sqlite3.connect(db) as src, sqlite3.connect(release / "peatmoss.sqlite") as dst:
        src.backup(dst)  # a consistent copy even while the file is open
    counts = export(url, release / "parquet", "parquet")
    facts = _facts(url)
    stored = _store_files(url, release, store, mirrors) if variant == "full" else None
    sizes = {rel: (release / rel).stat().st_size for rel in (stored.kinds if stored else {})}
    (release / "DATASHEET.md").write_text(datasheet(version, facts, counts, stored, sizes), encoding="utf-8")
    files = {"peatmoss.sqlite": "application/vnd.sqlite3", "DATASHEET.md": "text/markdown"}
    files |= {f"parquet/{t}.parquet": "application/x-parquet" for t in counts}
    files |= {rel: STORED[kind][0] for rel, kind in (stored.kinds if stored else {}).items()}
    described = {rel: (sha256(release / rel), fmt) for rel, fmt in files.items()}
    parquet = {t.name: release / "parquet" / f"{t.name}.parquet" for t in tables(get_engine(url))}
    doc = croissant(version, now.strftime("%Y-%m-%d"), described, parquet, stored)
    (release / "croissant.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
    described["croissant.json"] = (sha256(release / "croissant.json"), "application/ld+json")
    (release / "SHA256SUMS").write_text("".join(f"{h}  {rel}\n" for rel, (h, _) in sorted(described.items())),
                                        encoding="utf-8")
    return release
