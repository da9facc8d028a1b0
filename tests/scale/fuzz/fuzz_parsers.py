"""Coverage-guided fuzzing (atheris) of the four parsers of hostile input.

    .venv/bin/python tests/scale/fuzz/fuzz_parsers.py TARGET -runs=10000 -max_len=4096 [tests/scale/fuzz/seeds/TARGET]
TARGET: analyzer | notebook | card | license. An uncaught exception is a crash: atheris stops and writes
the input to crash-<hash>; add it to tests/scale/test_regressions.py.
"""

import sys

import atheris

from peatmoss.cards import extract_card
from peatmoss.cards import rules as _rules  # noqa: F401 - loaded before instrumenting
from peatmoss.licenses.normalize import normalize
from peatmoss.usage import scan_files
from peatmoss.usage.model import SourceFile
from peatmoss.usage.notebooks import NotebookError, notebook_cells

atheris.instrument_all()  # coverage feedback from every loaded function (ours and the parsers we call)

PREFIX = b"from transformers import AutoModel\nimport timm\n"  # past the prefilter, into the analyzer


def analyzer(data: bytes) -> None:
    result = scan_files([SourceFile("a.py", len(data) + len(PREFIX), lambda: PREFIX + data),
                         SourceFile("b.ipynb", len(data), lambda: data)])
    crashed = [r for r in result.files if r.error_kind == "analysis_error"]
    if crashed:
        raise RuntimeError(f"analyzer crashed: {crashed}")


def notebook(data: bytes) -> None:
    try:
        notebook_cells(data)
    except NotebookError:
        pass


def card(data: bytes) -> None:
    extract_card(data.decode("utf-8", "replace"), tags=["license:mit"])


def license_(data: bytes) -> None:
    normalize(data.decode("utf-8", "replace"))


TARGETS = {"analyzer": analyzer, "notebook": notebook, "card": card, "license": license_}

if __name__ == "__main__":
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
