"""SIGKILL `peatmoss extract` at 20 random moments; after a final run the rows equal an uninterrupted run's."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from sqlalchemy import text

from peatmoss.db import get_engine, init_db
from peatmoss.db.fingerprint import fingerprint

from cardsdata import seed
from killing import finish

KILLS = 20
MODELS = 1000  # enough card work that kills land after start-up, with the faster rules


def test_twenty_kills_of_extract(tmp_path):
    clean, killed = f"sqlite:///{tmp_path / 'clean.db'}", f"sqlite:///{tmp_path / 'killed.db'}"
    for url in (clean, killed):
        init_db(url)
        seed(url, MODELS)
    env = dict(os.environ)
    start = time.monotonic()
    finish([sys.executable, "-m", "peatmoss", "--db", clean, "extract"], env)
    duration = time.monotonic() - start
    cmd = [sys.executable, "-m", "peatmoss", "--db", killed, "extract"]
    rng = random.Random(11)
    engine = get_engine(killed)

    def reseed() -> None:
        """Start again from the seeded database: the killed runs resumed each other's work until none was left."""
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            (tmp_path / f"killed.db{suffix}").unlink(missing_ok=True)
        init_db(killed)
        seed(killed, MODELS)

    partial = kills = 0
    for _ in range(4 * KILLS):  # a run that ends before its kill point is no kill: reseed and try again
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 0.85) * duration)
        if proc.poll() is not None:
            reseed()
            continue
        os.kill(proc.pid, signal.SIGKILL)
        kills += 1
        proc.wait()
        with engine.connect() as conn:
            done = conn.execute(text("select count(distinct model_id) from card_field")).scalar_one()
        partial += 0 < done < MODELS
        if kills == KILLS:
            break
    assert kills == KILLS and partial >= 1  # some kills landed between batches, with part of the models written
    finish(cmd, env)
    assert fingerprint(engine) == fingerprint(get_engine(clean))
    with engine.connect() as conn:
        assert conn.execute(text("select count(distinct model_id) from card_field")).scalar_one() == MODELS
