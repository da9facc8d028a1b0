"""SIGKILL `mine` at 20 random points while it mines 100 git repositories; resumed, the rows equal an
uninterrupted run's."""

from __future__ import annotations

import os
import sys

from sqlalchemy import text

from peatmoss.db import get_engine, init_db
from peatmoss.db.fingerprint import fingerprint
from peatmoss.usage.mine import mine

from killing import finish, kill_repeatedly
from repos import make_repos

KILLS = 20
REPOS = 100


def test_twenty_kills_of_mine(tmp_path):
    specs = make_repos(tmp_path / "repos", REPOS)
    (tmp_path / "specs.txt").write_text("\n".join(specs))
    clean, killed = f"sqlite:///{tmp_path / 'clean.db'}", f"sqlite:///{tmp_path / 'killed.db'}"
    init_db(clean)
    init_db(killed)
    assert mine(clean, specs, progress=False).scanned == REPOS
    code = ("import sys; from peatmoss.usage.mine import mine; "
            "mine(sys.argv[1], open(sys.argv[2]).read().split(), batch=2, progress=False)")
    cmd = [sys.executable, "-c", code, killed, str(tmp_path / "specs.txt")]
    engine = get_engine(killed)

    def scanned() -> int:
        with engine.connect() as conn:
            return conn.execute(text("select count(*) from repo_scan")).scalar_one()

    points = kill_repeatedly(cmd, dict(os.environ), KILLS, scanned, steps=(1, 2), jitter=0.03)
    assert len(points) == KILLS and points[-1] < REPOS
    finish(cmd, dict(os.environ))
    assert scanned() == REPOS
    assert fingerprint(engine) == fingerprint(get_engine(clean))
