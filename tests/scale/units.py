"""Unit functions for the execution-layer tests (importable by worker processes)."""

from __future__ import annotations

import os


def square(n: int) -> dict:
    if n < 0:
        raise ValueError(f"negative: {n}")
    return {"n": n, "square": n * n}


def die_on(n: int, marker: str) -> int:
    """Kill the worker process the first time it meets `n` (the marker file remembers)."""
    if n == 3 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return n
