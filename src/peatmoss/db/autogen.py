"""Write a new Alembic migration from the difference between the models and a fresh database.

    python -m peatmoss.db.autogen "message"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from .migrate import alembic_config, init_db


def main(message: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'autogen.db'}"
        engine = init_db(url)
        cfg = alembic_config(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.revision(cfg, message=message, autogenerate=True)
        engine.dispose()


if __name__ == "__main__":
    main(" ".join(sys.argv[1:]) or "schema change")
