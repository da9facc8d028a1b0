"""`ast.parse` under one process-wide lock, on Pythons whose AST converter is not thread-safe.

CPython before 3.11.9 / 3.12.3 keeps the AST-to-object converter's recursion depth in shared module state
(gh-106905): two threads inside `ast.parse` at once can fail with "SystemError: AST constructor recursion depth
mismatch". Our LLM stages call models from a thread pool, and code those threads run parses source now and then
(Python 3.11's `traceback` parses the failing line to place its carets). `install()` wraps the stdlib function once;
on fixed Pythons it does nothing.
"""

from __future__ import annotations

import ast
import sys
import threading

_lock = threading.RLock()


def needed(version: tuple[int, ...] = sys.version_info[:3]) -> bool:
    return version < (3, 11, 9) or (3, 12, 0) <= version < (3, 12, 3)


def install() -> None:
    if not needed() or getattr(ast.parse, "peatmoss_locked", False):
        return
    plain = ast.parse

    def parse(*args, **kwargs):
        with _lock:
            return plain(*args, **kwargs)

    parse.peatmoss_locked = True
    parse.__wrapped__ = plain
    parse.__doc__ = plain.__doc__
    ast.parse = parse
