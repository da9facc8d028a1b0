"""Helpers for the registry tests: loopback hubs serving recorded or hand-made records."""

from __future__ import annotations

from pathlib import Path

import pytest

from peatmoss.registries.hubserver import read_records


@pytest.fixture
def shared_records(shared_data: Path) -> list[dict]:
    api = shared_data / "hf_api"
    records = read_records(api / "hub_list_models_full_2022-02.jsonl.gz")
    for path in sorted(api.glob("models__*.json")):
        records.extend(read_records(path))
    return records
