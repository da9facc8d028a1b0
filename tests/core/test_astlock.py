"""core.astlock: ast.parse under one lock on Pythons with the shared AST recursion-depth state (gh-106905)."""

import ast
import threading
import time

import pytest

from peatmoss.core import astlock


def test_which_pythons_need_it():
    assert astlock.needed((3, 11, 7)) and astlock.needed((3, 12, 2))
    assert not astlock.needed((3, 11, 9)) and not astlock.needed((3, 12, 3)) and not astlock.needed((3, 13, 0))


@pytest.mark.skipif(not astlock.needed(), reason="this Python's AST converter is thread-safe")
def test_parses_wait_for_each_other():
    astlock.install()
    astlock.install()  # twice: still one wrapper
    assert ast.parse.peatmoss_locked and not getattr(ast.parse.__wrapped__, "peatmoss_locked", False)
    assert ast.dump(ast.parse("x = (1)")) == ast.dump(ast.parse.__wrapped__("x = (1)"))
    done = []
    with astlock._lock:  # another thread holds the lock: a parse waits for it
        t = threading.Thread(target=lambda: done.append(ast.parse("y = 2")))
        t.start()
        time.sleep(0.2)
        assert done == []
    t.join(5)
    assert len(done) == 1
