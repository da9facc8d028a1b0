"""`scan` (a folder's working tree) and `mine` (the same tree read from its git commit) hand the analyzer
the same files, with the same refusals: one skip list, one size rule."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sqlalchemy import select

from peatmoss.db import session_scope
from peatmoss.db.models import ReuseFile
from peatmoss.usage import scan_path
from peatmoss.usage.mine import mine
from peatmoss.usage.walk import MAX_BYTES

sys.path.insert(0, str(Path(__file__).parent / "fixtures_repo"))
from gitrepos import make_simple_repo  # noqa: E402

LOAD = 'from transformers import AutoModel\nAutoModel.from_pretrained("bert-base-uncased")\n'
NOTEBOOK = {"cells": [{"cell_type": "code", "source": [LOAD], "metadata": {}, "outputs": [],
                       "execution_count": None}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _tree() -> dict[str, str]:
    big_notebook = dict(NOTEBOOK, metadata={"pad": "x" * (MAX_BYTES + 10)})  # over the cap, under 8 times it
    return {
        "app.py": LOAD, "conf/model.yaml": "model_name: bert-base-uncased\n", "pyproject.toml": "[project]\n",
        "env/cartpole.py": LOAD,  # "env" is code here (an RL environment), not a virtual environment
        "myenv/pyvenv.cfg": "home = /usr/bin\n", "myenv/lib/site.py": LOAD,  # a committed virtual environment
        "venv/x.py": LOAD, ".tox/x.py": LOAD, "node_modules/pkg/x.json": "{}", "src/__pycache__/x.py": LOAD,
        "sub/.nox/x.py": LOAD, ".pytest_cache/x.json": "{}", ".ipynb_checkpoints/n.ipynb": "{}",
        "site-packages/x.py": LOAD, "notes.txt": "not code", "data.csv": "a,b\n",
        "big.py": "#" + "x" * (MAX_BYTES + 1) + "\n", "nb.ipynb": json.dumps(NOTEBOOK),
        "big_nb.ipynb": json.dumps(big_notebook),
    }


def test_scan_and_mine_read_the_same_files(db_url, tmp_path):
    root = tmp_path / "repo"
    make_simple_repo(root, _tree())
    scanned = {(r.path, r.status) for r in scan_path(root).files}
    mine(db_url, [str(root)], progress=False)  # a git repository: mined from its commit
    with session_scope(db_url) as s:
        mined = {(f.path, f.status) for f in s.scalars(select(ReuseFile))}
    assert mined == scanned
    paths = {p for p, _ in scanned}
    assert {"app.py", "env/cartpole.py", "nb.ipynb", "big_nb.ipynb", "big.py"} == paths  # configs: when read
    assert ("big.py", "skipped") in scanned and ("big_nb.ipynb", "skipped") not in scanned
