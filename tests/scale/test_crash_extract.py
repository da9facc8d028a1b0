"""SIGKILL `peatmoss extract` at 20 random moments; after a final run the rows equal an uninterrupted run's."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from sqlalchemy import text

from peatmoss.db import get_engine, init_db, session_scope
from peatmoss.db.fingerprint import fingerprint
from peatmoss.db.models import Model, ModelCard, Registry

from killing import finish

KILLS = 20
MODELS = 600
CARD = """---
license: {lic}
base_model: org/base-{base}
datasets:
- set{i}
language:
- en
---

# model-{i}

This model is a fine-tuned version of org/base-{base} on the set{i} dataset.
It was trained with a learning rate of 2e-5 for {epochs} epochs on 4 GPUs.
It achieves an accuracy of 0.{i:03d} on the test split.

## Limitations
It may produce biased outputs.
"""


def seed(url: str) -> None:
    with session_scope(url) as s:
        reg = Registry(name="huggingface", url="https://huggingface.co")
        s.add(reg)
        s.flush()
        for i in range(MODELS):
            m = Model(registry_id=reg.id, hub_id=f"org/model-{i}")
            s.add(m)
            s.flush()
            card = CARD.format(i=i, lic=("mit", "apache-2.0", "cc-by-4.0")[i % 3], base=i % 10, epochs=1 + i % 5)
            s.add(ModelCard(model_id=m.id, sha=f"{i:x}", text=card, length=len(card)))


def test_twenty_kills_of_extract(tmp_path):
    clean, killed = f"sqlite:///{tmp_path / 'clean.db'}", f"sqlite:///{tmp_path / 'killed.db'}"
    for url in (clean, killed):
        init_db(url)
        seed(url)
    env = dict(os.environ)
    start = time.monotonic()
    finish([sys.executable, "-m", "peatmoss", "--db", clean, "extract"], env)
    duration = time.monotonic() - start
    cmd = [sys.executable, "-m", "peatmoss", "--db", killed, "extract"]
    rng = random.Random(11)
    engine = get_engine(killed)
    partial = kills = 0
    for _ in range(2 * KILLS):  # a run that ends before its kill point is no kill; try again
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 0.85) * duration)
        if proc.poll() is not None:
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
