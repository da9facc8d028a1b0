"""The schema: migrations match the models, the docs match the schema, PeaTMOSS is covered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from peatmoss.db import get_engine
from peatmoss.db.coverage import COVERAGE
from peatmoss.db.models import VIEWS, Base
from peatmoss.db.schema_doc import render

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_build_exactly_the_models(db_url):
    engine = get_engine(db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"run: python -m peatmoss.db.autogen 'message'  ({diff[:3]})"
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_schema_doc_is_current():
    assert (ROOT / "docs" / "schema.md").read_text() == render(), "run: python -m peatmoss.db.schema_doc > docs/schema.md"


@pytest.mark.shared
def test_every_peatmoss_table_is_covered(shared_data):
    theirs = json.loads((shared_data / "peatmoss" / "peatmoss_schema.json").read_text())["tables"]
    assert len(theirs) == 56
    assert set(theirs) == set(COVERAGE)
    assert {target for target, _ in COVERAGE.values()} <= set(Base.metadata.tables) | set(VIEWS.tables)


def test_time_and_flag_columns_have_real_types():
    model = Base.metadata.tables["model"]
    assert model.c.hub_id.type.python_type is str
    assert model.c.created_at.type.timezone and model.c.private.type.python_type is bool
