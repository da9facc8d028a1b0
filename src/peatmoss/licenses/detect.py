"""A repository's license from its files: LICENSE*/COPYING* texts, pyproject.toml, setup.cfg, setup.py,
package.json, README license sections. Several licenses -> an AND expression; no evidence -> "NONE"
(no license: all rights reserved); a declaration that contradicts the license file -> a conflict.

The files come from a `RepoTree`: a folder (`FolderTree`), or anything else that can list a folder's
files and read one (the usage miner reads a git commit this way, without a checkout)."""

from __future__ import annotations

import configparser
import json
import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..core import safefs
from .normalize import NONE, normalize, parse
from .textmatch import MAX_CHARS, match_text

LICENSE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|UNLICENSE)([-._].*)?$", re.I)
# "license_plate_detector.pt", "licenses.py": named like a license file, but no license text
_NOT_TEXT = re.compile(r"\.(pt|pth|bin|ckpt|onnx|h5|pkl|safetensors|npy|npz|zip|gz|tar|png|jpe?g|gif|pdf|"
                       r"py|ipynb|js|ts|json|ya?ml|toml|csv|sh|c|h|cpp|java|go|rs)$", re.I)
README = re.compile(r"^README(\.(md|rst|txt|markdown))?$", re.I)
_README_LICENSE = re.compile(r"^(#+\s*|)(license|licence|licensing)\s*:?\s*$", re.I | re.M)
_CLASSIFIER = re.compile(r"License :: [^\"'\n]+")
_SETUP_LICENSE = re.compile(r"""\blicense\s*=\s*['"]([^'"]{1,200})['"]""")


@dataclass
class Evidence:
    source: str  # license-file | pyproject | setup.cfg | setup.py | package.json | readme
    file: str
    expression: str | None
    detail: str
    line: int | None = None

    def as_dict(self) -> dict:
        return {"source": self.source, "file": self.file, "expression": self.expression,
                "detail": self.detail, "line": self.line}


@dataclass
class Detection:
    expression: str | None  # SPDX expression, "NONE", or None (unknown)
    reason: str
    evidence: list[Evidence] = field(default_factory=list)
    conflict: str | None = None

    def as_dict(self) -> dict:
        return {"expression": self.expression, "reason": self.reason, "conflict": self.conflict,
                "evidence": [e.as_dict() for e in self.evidence]}


class RepoTree(Protocol):
    """The files of one repository, by POSIX path relative to its root."""

    def names(self, folder: str = "") -> list[str]:
        """Names of the regular files directly in `folder` ("" = the root), sorted; [] when there is none."""

    def read(self, path: str, limit: int) -> bytes:
        """Up to `limit` bytes of the file at `path` (OSError when it cannot be read)."""


class FolderTree:
    """A repository as a folder on disk; nothing resolving outside it is listed or read (core.safefs)."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def names(self, folder: str = "") -> list[str]:
        return safefs.file_names(self.root, folder)

    def read(self, path: str, limit: int) -> bytes:
        return safefs.read_bytes(self.root, path, limit)


def _tree_path(tree: RepoTree, path: str) -> str | None:
    """`path` as a POSIX path in the tree when it names a file there, else None."""
    rel = posixpath.normpath(path.strip().strip("/"))
    folder, _, name = rel.rpartition("/")
    return rel if rel != "." and not rel.startswith("..") and name in tree.names(folder) else None


def _read(tree: RepoTree, rel: str) -> tuple[str, bool]:
    """Text of a file (cut to MAX_CHARS; the flag says so); undecodable bytes replaced."""
    data = tree.read(rel, MAX_CHARS + 1)
    return data[:MAX_CHARS].decode("utf-8", errors="replace"), len(data) > MAX_CHARS


def _license_files(tree: RepoTree) -> list[str]:
    return [n for n in tree.names() if LICENSE_FILE.match(n) and not _NOT_TEXT.search(n)] + \
        [f"LICENSES/{n}" for n in tree.names("LICENSES")]


def _from_license_file(tree: RepoTree, rel: str) -> Evidence:
    text, cut = _read(tree, rel)
    if not text.strip():
        return Evidence("license-file", rel, None, "empty license file")
    m = match_text(text)
    note = " (file cut at 1 MB)" if cut else ""
    if m.license is None:
        return Evidence("license-file", rel, None,
                        f"license text not recognised (best match {m.best} at Dice {m.score:.2f} < threshold){note}")
    norm = normalize(m.license)
    detail = {"dice": f"Dice {m.score:.3f} with the {m.license} text", "title": f"title/heading names {m.license}"
              f" (Dice {m.score:.2f} with {m.best}; text may be truncated or modified)",
              "spdx-id": f"SPDX-License-Identifier: {m.license}"}[m.method]
    return Evidence("license-file", rel, norm.expression, detail + note)


def _from_pyproject(tree: RepoTree, rel: str) -> list[Evidence]:
    try:
        data = tomllib.loads(_read(tree, rel)[0])
    except (tomllib.TOMLDecodeError, UnicodeError) as exc:
        return [Evidence("pyproject", rel, None, f"unreadable pyproject.toml: {exc}")]
    project = data.get("project") or data.get("tool", {}).get("poetry") or {}
    out = []
    lic = project.get("license")
    if isinstance(lic, dict):
        if lic.get("text"):
            lic = lic["text"]
        elif isinstance(lic.get("file"), str) and _tree_path(tree, lic["file"]):
            out.append(_from_license_file(tree, _tree_path(tree, lic["file"])))
            lic = None
        else:
            lic = None
    if isinstance(lic, str) and lic.strip() and "\n" not in lic and _tree_path(tree, lic):
        lic = None  # a file name given as the license: that file is read as a license file already
    if isinstance(lic, str) and lic.strip():
        out.append(_declared("pyproject", rel, lic, "project.license"))
    for cls in project.get("classifiers") or []:
        if isinstance(cls, str) and cls.startswith("License ::") and "OSI Approved" != cls.split("::")[-1].strip():
            out.append(_declared("pyproject", rel, cls, "classifier"))
    return out


def _declared(source: str, rel: str, value: str, what: str, line: int | None = None) -> Evidence:
    norm = normalize(value)
    return Evidence(source, rel, norm.expression, f"{what} = {value[:100]!r}" + ("" if norm.expression else f" ({norm.reason})"), line)


def _line_of(text: str, needle: str) -> int | None:
    idx = text.find(needle)
    return text.count("\n", 0, idx) + 1 if idx >= 0 else None


def _from_setup_cfg(tree: RepoTree, rel: str) -> list[Evidence]:
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(_read(tree, rel)[0])
    except configparser.Error as exc:
        return [Evidence("setup.cfg", rel, None, f"unreadable setup.cfg: {exc}")]
    if not parser.has_section("metadata"):
        return []
    out = []
    lic = parser.get("metadata", "license", fallback="").strip()
    if lic:
        out.append(_declared("setup.cfg", rel, lic, "metadata.license"))
    for cls in parser.get("metadata", "classifiers", fallback="").splitlines():
        if cls.strip().startswith("License ::"):
            out.append(_declared("setup.cfg", rel, cls.strip(), "classifier"))
    return out


def _from_setup_py(tree: RepoTree, rel: str) -> list[Evidence]:
    text = _read(tree, rel)[0]
    out = [_declared("setup.py", rel, m.group(1), "license", _line_of(text, m.group(0)))
           for m in _SETUP_LICENSE.finditer(text)]
    out += [_declared("setup.py", rel, m.group(0).strip(), "classifier", _line_of(text, m.group(0)))
            for m in _CLASSIFIER.finditer(text)]
    return out


def _from_package_json(tree: RepoTree, rel: str) -> list[Evidence]:
    try:
        data = json.loads(_read(tree, rel)[0])
    except (json.JSONDecodeError, UnicodeError) as exc:
        return [Evidence("package.json", rel, None, f"unreadable package.json: {exc}")]
    lic = data.get("license") if isinstance(data, dict) else None
    if isinstance(lic, dict):
        lic = lic.get("type")
    values = [lic] if isinstance(lic, str) else []
    if isinstance(data, dict) and isinstance(data.get("licenses"), list):
        values += [x.get("type") for x in data["licenses"] if isinstance(x, dict) and x.get("type")]
    return [_declared("package.json", rel, v, "license") for v in values if not v.upper().startswith("SEE LICENSE")]


_README_NAMES = [(re.compile(p, re.I), lic) for p, lic in [
    (r"\bapache(?: license)?,? (?:version |v)?2(?:\.0)?\b", "Apache-2.0"), (r"\bMIT\b", "MIT"),
    (r"\bBSD[- ]3\b|\b3-clause BSD\b|\bBSD-3-Clause\b", "BSD-3-Clause"), (r"\bBSD[- ]2\b|BSD-2-Clause", "BSD-2-Clause"),
    (r"\bAGPL(?:-?v?3)?\b|affero", "AGPL-3.0-only"), (r"\bLGPL", "LicenseRef-LGPL-family"),
    (r"\bGPL[- ]?v?3\b|GNU General Public License v(?:ersion )?3", "GPL-3.0-only"),
    (r"\bGPL[- ]?v?2\b|GNU General Public License v(?:ersion )?2", "GPL-2.0-only"),
    (r"CC[- ]BY[- ]NC[- ]SA[- ]4\.0", "CC-BY-NC-SA-4.0"), (r"CC[- ]BY[- ]NC[- ]4\.0", "CC-BY-NC-4.0"),
    (r"CC[- ]BY[- ]SA[- ]4\.0", "CC-BY-SA-4.0"), (r"CC[- ]BY[- ]4\.0", "CC-BY-4.0"),
    (r"\bMPL[- ]?2", "MPL-2.0"), (r"\bunlicense\b", "Unlicense")]]


def _from_readme(tree: RepoTree, rel: str) -> list[Evidence]:
    text = _read(tree, rel)[0]
    m = _README_LICENSE.search(text)
    if not m:
        return []
    section = text[m.end():m.end() + 800]
    nxt = re.search(r"^#", section, re.M)
    section = section[:nxt.start()] if nxt else section
    found = [lic for pattern, lic in _README_NAMES if pattern.search(section)]
    if "AGPL-3.0-only" in found or "LicenseRef-LGPL-family" in found:
        found = [f for f in found if f not in ("GPL-3.0-only", "GPL-2.0-only")]
    line = text.count("\n", 0, m.start()) + 1
    return [Evidence("readme", rel, lic, "README license section names it", line) for lic in dict.fromkeys(found)]


def _and(exprs: list[str]) -> str:
    exprs = list(dict.fromkeys(exprs))
    joined = " AND ".join(f"({e})" if " OR " in e else e for e in exprs)
    parsed = parse(joined)
    return str(parsed) if parsed is not None else joined


def _symbols(expr: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9.+-]+", expr)) - {"AND", "OR", "WITH"}


def detect_repo_license(root: str | Path) -> Detection:
    """Detect the license of the repository in the folder `root` (never raises on bad files)."""
    if not Path(root).is_dir():
        return Detection(None, f"{root} is not a directory")
    return detect_repository_license(FolderTree(root))


def detect_repository_license(tree: RepoTree | str | Path) -> Detection:
    """Detect the license of a repository given as a folder or a `RepoTree` (never raises on bad files)."""
    if isinstance(tree, (str, Path)):
        return detect_repo_license(tree)
    try:
        return _detect(tree)
    except OSError as exc:  # the tree itself cannot be listed
        return Detection(None, f"repository files cannot be read: {exc}")


def _detect(tree: RepoTree) -> Detection:
    files: list[Evidence] = []
    for rel in _license_files(tree):
        try:
            files.append(_from_license_file(tree, rel))
        except OSError as exc:
            files.append(Evidence("license-file", rel, None, f"unreadable: {exc}"))
    declared: list[Evidence] = []
    root_names = set(tree.names())
    for name, reader in (("pyproject.toml", _from_pyproject), ("setup.cfg", _from_setup_cfg),
                         ("setup.py", _from_setup_py), ("package.json", _from_package_json)):
        if name in root_names:
            try:
                declared += reader(tree, name)
            except OSError as exc:
                declared.append(Evidence(name, name, None, f"unreadable: {exc}"))
    readme = [e for n in sorted(root_names) if README.match(n) for e in _safe(_from_readme, tree, n)]
    evidence = files + declared + readme
    file_exprs = [e.expression for e in files if e.expression]
    decl_exprs = [e.expression for e in declared if e.expression]
    if file_exprs:
        expression = _and(file_exprs)
        conflict = None
        extra = [d for d in dict.fromkeys(decl_exprs) if not _symbols(d) <= _symbols(expression)
                 and not d.startswith("LicenseRef-") and not _compatible_family(d, expression)]
        if extra:
            conflict = f"the license file says {expression}, but {', '.join(extra)} is declared elsewhere " \
                       f"({', '.join(sorted({e.file for e in declared if e.expression in extra}))})"
        # a declaration naming exactly the files' licenses carries their structure ("MIT OR Apache-2.0")
        same = [d for d in decl_exprs if " OR " in d and _symbols(d) == _symbols(expression)]
        if same and not conflict:
            return Detection(same[0], "license files, combined as declared in package metadata", evidence)
        return Detection(expression, "license file(s)", evidence, conflict)
    if files:  # license files exist but none recognised
        return Detection(None, "; ".join(f"{e.file}: {e.detail}" for e in files), evidence)
    if decl_exprs:
        exprs = list(dict.fromkeys(decl_exprs))
        specific = [e for e in exprs if not e.startswith("LicenseRef-")] or exprs
        return Detection(_and(specific) if len(specific) == 1 else _and(specific), "declared in package metadata",
                         evidence, None if len(specific) == 1 else f"package metadata declares several licenses: {', '.join(specific)}")
    readme_exprs = [e.expression for e in readme if e.expression]
    if readme_exprs:
        return Detection(_and(readme_exprs), "named in the README license section", evidence)
    if declared or readme:
        return Detection(None, "; ".join(e.detail for e in declared + readme), evidence)
    return Detection(NONE, "no license file, no license declaration: no license (all rights reserved)", evidence)


def _compatible_family(declared: str, file_expr: str) -> bool:
    """A family declaration (LicenseRef-BSD-family) or -only/-or-later variant agrees with the file's license."""
    base = lambda s: {re.sub(r"-(only|or-later)$", "", x) for x in _symbols(s)}  # noqa: E731
    return base(declared) <= base(file_expr)


def _safe(reader, tree: RepoTree, rel: str) -> list[Evidence]:
    try:
        return reader(tree, rel)
    except OSError as exc:
        return [Evidence("readme", rel, None, f"unreadable: {exc}")]
