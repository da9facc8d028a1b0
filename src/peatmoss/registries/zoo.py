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
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets) \
                and isinstance(node.value, (ast.List, ast.Tuple)):
            return {e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
    return set()


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
    text = resources.files("peatmoss.registries").joinpath("data/torchvision_zoo.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
