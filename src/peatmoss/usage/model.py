"""Data types shared by the usage miner: source files in, findings and file records out."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Callable


@dataclass(frozen=True)
class SourceFile:
    """One file of a repository, read lazily."""

    path: str  # posix path relative to the repo root
    size: int
    read: Callable[[], bytes]
    blob: str | None = None  # git blob id when read from git: equal ids, equal content


@dataclass
class Finding:
    """One place where code loads a pre-trained model.

    line is 1-based (inside the cell for notebooks), col is the 0-based column of the call."""

    file: str
    line: int
    col: int
    cell: int | None  # 0-based index in the notebook's cells (markdown counts); line is 1-based in the cell
    library: str
    api: str
    call_text: str
    arg_text: str | None
    model: str | None  # resolved model id (None when dynamic)
    candidates: list[str] = field(default_factory=list)
    resolution: str = "dynamic"
    confidence: float = 0.0
    hub: str | None = None
    revision: str | None = None
    trust_remote_code: bool | None = None
    is_local_path: bool = False
    reuse_mode: str | None = None
    reuse_evidence: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


RESOLUTIONS = (
    "literal", "constant", "default_arg", "cli_default", "env_default", "dict_lookup", "format",
    "class_attr", "imported_constant", "config_file", "task_default", "dynamic", "token_scan", "call_arg",
    "choices",
)


@dataclass
class FileRecord:
    """What happened to one file: kind python|notebook|percent|config; status ok|degraded|skipped|error."""

    path: str
    kind: str
    size: int
    status: str
    error_kind: str | None = None
    message: str | None = None


@dataclass
class ScanResult:
    findings: list[Finding]
    files: list[FileRecord]
    analysed: int = 0  # files parsed and analysed in this scan
    reused: int = 0  # files whose analysis came from an earlier commit (same blob, same dependencies)
