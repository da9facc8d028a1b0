"""Library model zoos read statically: torchvision's model builders and their weight enums.

The PeaTMOSS paper counted every torchvision model builder as a PyTorch Hub model (`pytorch/vision` serves
them all through its hubconf). We read them from a published wheel's Python source with `ast`, never importing
torch: a builder is a function decorated with `@register_model(...)` (its registered name, else the function's),
or a public lower-case function in a module's `__all__`; its weights are the members of the `WeightsEnum`
classes its `weights` argument is annotated with. The facts are bundled in data/torchvision_zoo.csv
(made by scripts/build_zoo_facts.py), so collecting needs no network.
"""

from __future__ import annotations

import ast
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

ZOO_REPO = "pytorch/vision"  # the hub repository that serves torchvision's builders
ZOO_AUTHOR = "PyTorch"
ZOO_DOMAIN = "vision"  # the hub pages' tag for torchvision's models
ZOO_LICENSE = "BSD-3-Clause"
ZOO_LICENSE_URL = "https://github.com/pytorch/vision/blob/main/LICENSE"
FIELDS = ["builder", "function", "submodule", "weights", "source", "license", "license_url"]


@dataclass
class ZooModel:
    builder: str  # the registered name (`torchvision.models.get_model(builder)`)
    function: str  # the Python function
    submodule: str  # "" for torchvision.models itself, else e.g. "quantization"
    weights: list[str] = field(default_factory=list)  # "ResNet50_Weights.IMAGENET1K_V2", ...


def _decorator_name(node: ast.expr) -> tuple[str | None, ast.Call | None]:
    call = node if isinstance(node, ast.Call) else None
    target = call.func if call else node
    if isinstance(target, ast.Attribute):
        return target.attr, call
    return (target.id, call) if isinstance(target, ast.Name) else (None, call)


def _registered_name(func: ast.FunctionDef) -> str | None:
    for deco in func.decorator_list:
        name, call = _decorator_name(deco)
        if name == "register_model":
            given = call and next((kw.value for kw in call.keywords if kw.arg == "name"),
                                  call.args[0] if call.args else None)
            return given.value if isinstance(given, ast.Constant) and isinstance(given.value, str) else func.name
    return None


def _all_names(tree: ast.Module) -> set[str]:
    return set(_all_list(tree))


def weight_enums(tree: ast.Module) -> dict[str, list[str]]:
    """`class X(WeightsEnum)` -> its members (aliases such as DEFAULT left out)."""
    enums: dict[str, list[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(_decorator_name(b)[0] == "WeightsEnum" for b in node.bases):
            enums[node.name] = [t.id for stmt in node.body if isinstance(stmt, ast.Assign)
                                and isinstance(stmt.value, ast.Call) for t in stmt.targets if isinstance(t, ast.Name)]
    return enums


def _takes_weights(func: ast.FunctionDef) -> bool:
    return any(a.arg in ("weights", "pretrained") for a in func.args.args + func.args.kwonlyargs)


def _builders(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef]]:
    """Registered builders; in a module registering none, the public functions that take weights."""
    funcs = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    registered = [(name, f) for f in funcs if (name := _registered_name(f))]
    if registered:
        yield from registered
        return
    public = _all_names(tree)
    yield from ((f.name, f) for f in funcs if f.name in public and not f.name.startswith("_") and _takes_weights(f))


def _annotated_enums(func: ast.FunctionDef, enums: dict[str, list[str]]) -> list[str]:
    args = func.args.args + func.args.kwonlyargs
    arg = next((a for a in args if a.arg == "weights"), None)
    if arg is None or arg.annotation is None:
        return []
    names = [n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(arg.annotation)
             if isinstance(n, (ast.Name, ast.Attribute))]
    return [n for n in dict.fromkeys(names) if n in enums]


def read_sources(files: Iterable[tuple[str, str]]) -> list[ZooModel]:
    """Builders of `torchvision/models/**.py` sources given as (path, text); other paths are ignored."""
    parsed = []
    for path, text in files:
        parts = path.replace("\\", "/").split("/")
        if "models" not in parts or not path.endswith(".py"):
            continue
        inner = parts[parts.index("models") + 1:]
        submodule = inner[0] if len(inner) > 1 else ""
        parsed.append((submodule, ast.parse(text, filename=path)))
    enums: dict[str, list[str]] = {}
    for _, tree in parsed:
        enums.update(weight_enums(tree))
    found: dict[str, ZooModel] = {}
    for submodule, tree in parsed:
        for name, func in _builders(tree):
            weights = [f"{e}.{member}" for e in _annotated_enums(func, enums) for member in enums[e]]
            found.setdefault(name, ZooModel(name, func.name, submodule, weights))
    return sorted(found.values(), key=lambda z: (z.submodule, z.builder))


def read_tree(root: str | Path) -> list[ZooModel]:
    """Builders of an unpacked `torchvision/models` folder (or any folder holding one)."""
    root = Path(root)
    return read_sources((p.relative_to(root).as_posix(), p.read_text(encoding="utf-8"))
                        for p in sorted(root.rglob("*.py")))


def read_wheel(wheel: str | Path) -> list[ZooModel]:
    """Builders of a torchvision wheel, read from its .py members without installing or importing it."""
    with zipfile.ZipFile(wheel) as zf:
        return read_sources((n, zf.read(n).decode("utf-8")) for n in zf.namelist()
                            if n.startswith("torchvision/models/") and n.endswith(".py"))


def write_facts(models: list[ZooModel], source: str, out: io.TextIOBase) -> None:
    """The bundled CSV: one row per builder."""
    writer = csv.DictWriter(out, FIELDS, lineterminator="\n")
    writer.writeheader()
    for z in models:
        writer.writerow({"builder": z.builder, "function": z.function, "submodule": z.submodule,
                         "weights": " ".join(z.weights), "source": source, "license": ZOO_LICENSE,
                         "license_url": ZOO_LICENSE_URL})


def bundled_zoo() -> list[dict]:
    """Rows of the bundled data/torchvision_zoo.csv."""
    return _read_bundled("data/torchvision_zoo.csv")


def _read_bundled(name: str) -> list[dict]:
    text = resources.files("peatmoss.registries").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


# --- torchaudio and torchtext: every public name of their model packages, as the paper counted them ---

LIBRARIES = {  # library -> (hub repository, the packages whose public names are models, domain tag, license, url)
    "torchaudio": ("pytorch/audio", ("torchaudio/pipelines", "torchaudio/models"), "audio", "BSD-2-Clause",
                   "https://github.com/pytorch/audio/blob/main/LICENSE"),
    "torchtext": ("pytorch/text", ("torchtext/models",), "nlp", "BSD-3-Clause",
                  "https://github.com/pytorch/text/blob/main/LICENSE"),
}
LIBRARY_FIELDS = ["name", "kind", "package", "family", "papers", "weights_license_url", "source", "license",
                  "license_url"]
# bibliography keys torchaudio's docstrings cite -> the arXiv id of the model's paper (datasets left out)
CITE_ARXIV = {"baevski2020wav2vec": "2006.11477", "hsu2021hubert": "2106.07447", "chen2022wavlm": "2110.13900",
              "babu2021xls": "2111.09296", "conneau2020unsupervised": "2006.13979", "voxpopuli": "2101.00390",
              "pratap2023scaling": "2305.13516", "shen2018natural": "1712.05884",
              "kalchbrenner2018efficient": "1802.08435", "wavernn": "1802.08435", "shi2021emformer": "2010.10759",
              "gulati2020conformer": "2005.08100", "hannun2014deep": "1412.5567",
              "collobert2016wav2letter": "1609.03193", "Luo_2019": "1809.07454", "luo2020dual": "1910.06379",
              "defossez2021hybrid": "2111.03600", "kumar2023torchaudio": "2304.01448",
              "manocha2022speech": "2206.12285"}
_CITE = re.compile(r":cite:`([^`]+)`")
_ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})")
_LICENSE_LINK = re.compile(r"License\s*<(https?://[^>\s]+)>")
_CLASS_REF = re.compile(r":py:(?:class|func):`~?[\w.]*?\.(\w+)`")


@dataclass
class LibraryModel:
    name: str  # the public name: "WAV2VEC2_ASR_BASE_960H", "wav2vec2_base", "Tacotron2"
    kind: str  # bundle (pre-trained weights), builder (function), class, alias
    package: str  # "pipelines" or "models"
    family: str  # the defining sub-module: "wav2vec2", "tts", "roberta", ...
    papers: list[str] = field(default_factory=list)  # arXiv ids
    weights_license_url: str = ""  # the weights' own license link, where the docstring gives one


def _module_path(base: str, level: int, module: str | None) -> list[str]:
    parts = base.split("/")[:-1]  # the package folder of the importing file
    parts = parts[:len(parts) - (level - 1)] if level > 1 else parts
    stem = "/".join(parts + (module.split(".") if module else []))
    return [f"{stem}.py", f"{stem}/__init__.py"]


def _public_names(path: str, trees: dict[str, ast.Module]) -> list[str]:
    """`__all__` of a module, else the public names of the modules it star-imports."""
    tree = trees.get(path)
    if tree is None:
        return []
    names = _all_list(tree)
    if names:
        return names
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level and any(a.name == "*" for a in node.names):
            names += next((_public_names(p, trees) for p in _module_path(path, node.level, node.module)
                           if p in trees), [])
    return names


def _all_list(tree: ast.Module) -> list[str]:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets) \
                and isinstance(node.value, (ast.List, ast.Tuple)):
            return [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _definition(name: str, path: str, trees: dict[str, ast.Module], depth: int = 0):
    """(path, node, docstring) where `name` is defined, following relative imports."""
    tree = trees.get(path)
    if tree is None or depth > 8:
        return None
    for i, node in enumerate(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            return path, node, ast.get_docstring(node) or ""
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return path, node, _assigned_doc(name, tree, i)
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            for alias in node.names:
                if (alias.asname or alias.name) == name or alias.name == "*":
                    for target in _module_path(path, node.level, node.module):
                        found = _definition(alias.name if alias.name != "*" else name, target, trees, depth + 1)
                        if found:
                            return found
    return None


def _assigned_doc(name: str, tree: ast.Module, index: int) -> str:
    """`NAME.__doc__ = "..."` anywhere in the module, else a string right after the assignment."""
    strings = {t.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
               and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
               for t in node.targets if isinstance(t, ast.Name)}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "__doc__"
                                                and isinstance(t.value, ast.Name) and t.value.id == name
                                                for t in node.targets):
            value = node.value  # a string, or DOC_TEMPLATE.format(...) of a string the module assigns
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "format":
                value = value.func.value
            if isinstance(value, ast.Name):
                return strings.get(value.id, "")
            return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else ""
    after = tree.body[index + 1] if index + 1 < len(tree.body) else None
    if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
        return after.value.value
    return ""


def _family(def_path: str, package: str) -> str:
    inner = def_path[len(package) + 1:].split("/")
    stem = inner[0] if len(inner) > 1 else inner[0].removesuffix(".py")
    return stem.strip("_").removesuffix("_pipeline").removesuffix("_pipelines") or "models"


def _papers(doc: str) -> list[str]:
    ids = [CITE_ARXIV[k.strip()] for keys in _CITE.findall(doc) for k in keys.split(",") if k.strip() in CITE_ARXIV]
    return list(dict.fromkeys(ids + _ARXIV.findall(doc)))


def read_library_sources(library: str, files: Iterable[tuple[str, str]]) -> list[LibraryModel]:
    """Every public name of a library's model packages (LIBRARIES), from (path, text) sources; a bundle or
    builder also gets the papers of the classes its docstring refers to."""
    packages = LIBRARIES[library][1]
    trees = {path.replace("\\", "/"): ast.parse(text, filename=path) for path, text in files
             if path.endswith(".py") and any(path.replace("\\", "/").startswith(p + "/") for p in packages)}
    found: dict[str, LibraryModel] = {}
    docs: dict[str, str] = {}
    for package in packages:
        init = f"{package}/__init__.py"
        for name in _public_names(init, trees):
            if name in found:
                continue
            definition = _definition(name, init, trees)
            if definition is None:
                continue
            path, node, doc = definition
            kind = ("builder" if isinstance(node, ast.FunctionDef) else "class" if isinstance(node, ast.ClassDef)
                    else "bundle" if isinstance(node.value, ast.Call) else "alias")
            link = _LICENSE_LINK.search(doc)
            found[name] = LibraryModel(name, kind, package.rsplit("/", 1)[-1], _family(path, package), _papers(doc),
                                       link.group(1) if link else "")
            docs[name] = doc
    for name, model in found.items():  # e.g. a TTS bundle names torchaudio.models.Tacotron2
        for ref in _CLASS_REF.findall(docs[name]):
            if ref in found and ref != name:
                model.papers = list(dict.fromkeys(model.papers + found[ref].papers))
    return list(found.values())


def read_library_wheel(library: str, wheel: str | Path) -> list[LibraryModel]:
    """The public model names of a torchaudio or torchtext wheel, read from its .py members, never imported."""
    top = LIBRARIES[library][1][0].split("/")[0] + "/"
    with zipfile.ZipFile(wheel) as zf:
        return read_library_sources(library, ((n, zf.read(n).decode("utf-8")) for n in zf.namelist()
                                              if n.startswith(top) and n.endswith(".py")))


def write_library_facts(library: str, models: list[LibraryModel], source: str, out: io.TextIOBase) -> None:
    """The bundled CSV of a library: one row per public name."""
    _, _, _, license_id, license_url = LIBRARIES[library]
    writer = csv.DictWriter(out, LIBRARY_FIELDS, lineterminator="\n")
    writer.writeheader()
    for z in models:
        writer.writerow({"name": z.name, "kind": z.kind, "package": z.package, "family": z.family,
                         "papers": " ".join(z.papers), "weights_license_url": z.weights_license_url,
                         "source": source, "license": license_id, "license_url": license_url})


def bundled_library_zoo(library: str) -> list[dict]:
    """Rows of the bundled data/<library>_zoo.csv (torchaudio, torchtext)."""
    if library not in LIBRARIES:
        raise ValueError(f"no bundled zoo for {library!r}; one of {', '.join(LIBRARIES)}")
    return _read_bundled(f"data/{library}_zoo.csv")
