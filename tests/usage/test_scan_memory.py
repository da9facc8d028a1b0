"""A scan runs with the cyclic collector off, so what it keeps must form no reference cycle: once it has
returned, no parsed module (with its syntax tree) may be left, even when the module cache evicted modules
along the way."""

from __future__ import annotations

import gc
from pathlib import Path

from peatmoss.usage import repo as repo_mod
from peatmoss.usage.module import ModuleInfo
from peatmoss.usage.scan import scan_path

FIXTURES = Path(__file__).parent / "fixtures"


def test_a_scan_leaves_no_parsed_module_behind(monkeypatch):
    monkeypatch.setattr(repo_mod, "MAX_MODULES", 3)  # evictions during the scan
    gc.collect()
    gc.disable()  # as during a scan: only reference counts free anything
    try:
        result = scan_path(FIXTURES)
        alive = [o.path for o in gc.get_objects() if isinstance(o, ModuleInfo)]
    finally:
        gc.enable()
    assert len(result.findings) > 100  # cross-module resolution: call sites, re-exports, exports were used
    assert alive == []
