"""Model-usage smells (the PeaTMOSS paper's I-2 and PTM-5 questions): loads of Hub models without a pinned
revision, `trust_remote_code=True`, `torch.load` without `weights_only=True`, Hub tokens written in code
(the place only, never the value) and model weights fetched from plain URLs. Read-only: nothing is run."""

from __future__ import annotations

import ast
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

from .model import Finding, SourceFile
from .resolve import dotted
from .walk import walk

RULES = {
    "smell/unpinned-revision": "A Hub model is loaded without a pinned revision: the weights can change under "
                               "you. Pass revision=<commit sha>.",
    "smell/trust-remote-code": "trust_remote_code=True runs Python code from the model repository. Pin the "
                               "revision and review the code, or use a model that needs none.",
    "smell/unsafe-torch-load": "torch.load without weights_only=True unpickles the file, which can run code. "
                               "Pass weights_only=True or load safetensors.",
    "smell/token-in-code": "A Hugging Face access token is written in the code. Revoke it and read it from "
                           "$HF_TOKEN instead.",
    "smell/plain-url-model": "Model weights are fetched from a plain URL: no revision, no integrity check. "
                             "Pin a hash or fetch from a versioned repository.",
}
TOKEN = re.compile(r"\bhf_[A-Za-z0-9]{30,}\b")
WEIGHTS = re.compile(r"^https?://\S+\.(pt|pth|bin|ckpt|safetensors|h5|onnx|pkl|pb|tflite|gguf|zip)(\?\S*)?$", re.I)
NO_REVISION = {"spacy"}  # libraries that load installed packages, not Hub revisions


@dataclass(frozen=True)
class Smell:
    rule: str
    file: str
    line: int
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def _code_smells(path: str, text: str) -> list[Smell]:
    out = [Smell("smell/token-in-code", path, n, "a token-shaped string (value not shown)")
           for n, line in enumerate(text.splitlines(), 1) if TOKEN.search(line)]
    if not path.endswith((".py", ".pyw")):
        return out
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return out
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = dotted(node.func) or ""
        if name in ("torch.load", "load") and (name == "torch.load" or _imports_torch_load(tree)):
            safe = any(k.arg == "weights_only" and isinstance(k.value, ast.Constant) and k.value.value is True
                       for k in node.keywords)
            if not safe:
                out.append(Smell("smell/unsafe-torch-load", path, node.lineno, "torch.load without weights_only=True"))
        for arg in [*node.args, *(k.value for k in node.keywords)]:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and WEIGHTS.match(arg.value.strip()) \
                    and "huggingface.co" not in arg.value and "hf.co" not in arg.value:
                out.append(Smell("smell/plain-url-model", path, node.lineno, arg.value.strip()[:200]))
    return out


def _imports_torch_load(tree: ast.Module) -> bool:
    return any(isinstance(n, ast.ImportFrom) and n.module == "torch" and any(a.name == "load" and not a.asname
                                                                             for a in n.names)
               for n in ast.walk(tree))


def finding_smells(findings: Iterable[Finding]) -> list[Smell]:
    out = []
    for f in findings:
        if f.trust_remote_code:
            out.append(Smell("smell/trust-remote-code", f.file, f.line, f"{f.model or f.arg_text} with trust_remote_code=True"))
        if f.model and f.hub == "huggingface" and not f.revision and not f.is_local_path \
                and f.library not in NO_REVISION and "://" not in f.model:
            out.append(Smell("smell/unpinned-revision", f.file, f.line, f"{f.model} without revision="))
    return out


def find_smells(files: Iterable[SourceFile], findings: Iterable[Finding]) -> list[Smell]:
    """The smells of a repository's files (tokens, torch.load, plain URLs) and of its model loads."""
    out = finding_smells(findings)
    for sf in files:
        if not isinstance(sf, SourceFile) or not sf.path.endswith((".py", ".pyw", ".ipynb", ".cfg", ".yaml", ".yml", ".toml", ".json", ".sh", ".env")):
            continue
        try:
            text = sf.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        out.extend(_code_smells(sf.path, text))
    return sorted(set(out), key=lambda s: (s.file, s.line, s.rule))


def smells_in(path: str | Path, findings: Iterable[Finding]) -> list[Smell]:
    """find_smells over a local folder (or one file)."""
    root = Path(path)
    if root.is_file():
        return find_smells([SourceFile(root.name, root.stat().st_size, root.read_bytes)], findings)
    return find_smells(walk(root), findings)
