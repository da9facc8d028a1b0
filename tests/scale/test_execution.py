"""The execution layer: the same results locally, on a process pool and on Dask; keys run once; crashes fail alone."""

from __future__ import annotations

import pytest
from distributed import LocalCluster

from peatmoss.execution import Done, Unit, batches, run_units

from units import die_on, square

UNITS = [Unit(f"k{n}", (n,)) for n in range(12)] + [Unit("bad", (-1,)), Unit("k3", (3,))]  # k3 twice


def _plain(results):
    return sorted((d.key, repr(d.value), d.error) for d in results)


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as c:
        yield c


def test_local_pool_and_dask_give_the_same_results(cluster):
    inline = _plain(run_units(UNITS, square))
    assert len(inline) == 13  # the repeated key ran once
    assert ("bad", "None", "ValueError") in inline
    assert _plain(run_units(UNITS, square, workers=2)) == inline
    assert _plain(run_units(UNITS, square, executor="dask", dask_address=cluster.scheduler_address,
                            workers=2, window=3)) == inline


def test_dask_local_cluster_of_processes():
    results = _plain(run_units(UNITS[:5], square, executor="dask", dask_address="local", workers=2))
    assert results == _plain(run_units(UNITS[:5], square))


def test_a_crashed_pool_worker_fails_only_its_units(tmp_path):
    units = [Unit(str(n), (n, str(tmp_path / "died"))) for n in range(8)]
    results = {d.key: d for d in run_units(units, die_on, workers=2, window=2)}
    assert set(results) == {str(n) for n in range(8)}
    assert results["3"].error == "worker_crashed"
    assert sum(not d.ok for d in results.values()) <= 2  # only what the dead pool held
    assert all(results[k].value == int(k) for k in results if results[k].ok)


def test_dask_reruns_a_unit_whose_worker_died(tmp_path):
    """Dask moves the unit of a lost worker to another: one result per key, no error."""
    units = [Unit(str(n), (n, str(tmp_path / "died"))) for n in range(6)]
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        results = list(run_units(units, die_on, executor="dask", dask_address=c.scheduler_address, workers=2))
    assert sorted(d.key for d in results) == [str(n) for n in range(6)]
    assert all(d.ok and d.value == int(d.key) for d in results)


def test_batches_for_one_writer():
    chunks = list(batches((Done(str(i), i) for i in range(7)), 3))
    assert [len(c) for c in chunks] == [3, 3, 1]


def test_unknown_executor():
    with pytest.raises(ValueError):
        list(run_units(UNITS, square, executor="ray"))
