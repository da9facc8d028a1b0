"""The Dask side: a client for an address (or a local cluster), and units submitted under their keys."""

from __future__ import annotations

import contextlib
import hashlib
from typing import Callable, Iterator

from .run import Done, Unit


@contextlib.contextmanager
def dask_client(address: str | None = "local", workers: int = 1):
    """A `distributed.Client`: connected to `address`, or to a new local cluster of `workers` processes
    (one thread each) when address is "local" or None; the cluster is closed on exit. A `Client` passed as
    address is used as it is."""
    from distributed import Client, LocalCluster

    if isinstance(address, Client):  # the caller's client: used, not closed (one cluster for many calls)
        yield address
    elif address in (None, "", "local"):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                          host="127.0.0.1") as cluster, Client(cluster) as client:
            yield client
    else:
        with Client(address) as client:
            yield client


def task_key(fn: Callable, key: str) -> str:
    """A Dask key per unit: the same unit keeps its key, so the scheduler never runs it twice at once."""
    digest = hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return f"{getattr(fn, '__name__', 'unit')}-{digest}"


def run_dask(todo: Iterator[Unit], fn: Callable, address: str | None, workers: int, window: int,
             retries: int) -> Iterator[Done]:
    from distributed import as_completed

    with dask_client(address, workers) as client:
        window = max(window, 2 * sum(client.nthreads().values()))  # keep every thread of the cluster busy
        running: dict = {}
        pending = as_completed()

        def submit(unit: Unit) -> None:
            fut = client.submit(fn, *unit.args, key=task_key(fn, unit.key), pure=False, retries=retries)
            running[fut.key] = unit
            pending.add(fut)

        for unit in todo:
            submit(unit)
            if len(running) >= window:
                break
        for fut in pending:
            unit = running.pop(fut.key)
            try:
                yield Done(unit.key, fut.result())
            except Exception as exc:  # the unit raised, or its worker was lost more often than allowed
                yield Done(unit.key, error=type(exc).__name__, message=str(exc)[:2000])
            finally:
                fut.release()
            nxt = next(todo, None)
            if nxt is not None:
                submit(nxt)
