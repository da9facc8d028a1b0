"""The Dask path gives the same rows as the local path: mine, extract and deep collection, on an in-process
LocalCluster."""

from __future__ import annotations

import pytest
from distributed import LocalCluster

from peatmoss.cards.run import extract_models
from peatmoss.db import get_engine, init_db
from peatmoss.db.fingerprint import fingerprint
from peatmoss.registries.hubserver import HubServer, RecordSource
from peatmoss.registries.huggingface import CollectOptions, collect_huggingface
from peatmoss.usage.mine import mine

from cardsdata import seed
from hub import hub_data
from repos import make_repos


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c:
        yield c


def _local(tmp_path, name="local.db"):
    url = f"sqlite:///{tmp_path / name}"
    init_db(url)
    return url


def test_mine_on_dask_equals_local(db_url, tmp_path, cluster):
    specs = make_repos(tmp_path / "repos", 12) + [str(tmp_path / "missing")]
    local = _local(tmp_path)
    a = mine(local, specs, workers=2, progress=False)
    b = mine(db_url, specs, workers=2, progress=False, dask=cluster.scheduler_address)
    assert (a.scanned, a.failed, a.links) == (b.scanned, b.failed, b.links) == (12, 1, 36)
    assert fingerprint(get_engine(db_url)) == fingerprint(get_engine(local))


def test_extract_on_dask_equals_local(db_url, tmp_path, cluster):
    local = _local(tmp_path)
    for url in (local, db_url):
        seed(url, 60)
    a = extract_models(local)
    b = extract_models(db_url, dask=cluster.scheduler_address)
    assert a["cards"] == b["cards"] == 60 and a["fields"] == b["fields"]
    assert fingerprint(get_engine(db_url)) == fingerprint(get_engine(local))


def test_deep_collection_on_dask_equals_local(db_url, tmp_path, cluster):
    records, extra = hub_data(tmp_path, 40)
    local = _local(tmp_path)
    with HubServer(RecordSource(records, extra), page_size=10) as hub:
        opts = dict(endpoint=hub.url, page_size=10, snapshot="2024-01-01", min_downloads=975, progress=False)
        a = collect_huggingface(local, CollectOptions(**opts))
        b = collect_huggingface(db_url, CollectOptions(dask=cluster.scheduler_address, **opts))
    assert a.deep_models == b.deep_models == 26 and b.complete
    assert fingerprint(get_engine(db_url)) == fingerprint(get_engine(local))


def test_cli_dask_options(sqlite_url, tmp_path, cluster):
    """`--dask ADDRESS` on collect (deep phase), extract and mine."""
    from typer.testing import CliRunner

    from peatmoss.cli import app

    run = lambda *args: CliRunner().invoke(app, ["--db", sqlite_url, *args, "--dask", cluster.scheduler_address])  # noqa: E731
    records, extra = hub_data(tmp_path, 20)
    with HubServer(RecordSource(records, extra), page_size=10) as hub:
        res = run("collect", "huggingface", "--endpoint", hub.url, "--min-downloads", "990", "--no-progress",
                  "--json")
    assert res.exit_code == 0, res.output
    assert '"deep_models": 11' in res.output
    res = run("extract")
    assert res.exit_code == 0 and '"cards": 11' in res.output, res.output
    res = run("mine", *make_repos(tmp_path / "repos", 3), "--no-progress")
    assert res.exit_code == 0 and "3 scanned" in res.output, res.output
