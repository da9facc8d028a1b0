"""`run_units`: keyed units through a local process pool or a Dask cluster, results as they finish."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

from ..core.lifetime import die_with_parent


@dataclass(frozen=True)
class Unit:
    """One piece of work: `fn(*args)` under a stable key (a repository, a model id)."""

    key: str
    args: tuple = field(default_factory=tuple)


@dataclass
class Done:
    """The outcome of one unit: its value, or the error that ended it (`kind`, `message`)."""

    key: str
    value: Any = None
    error: str | None = None  # error kind, e.g. an exception name or "worker_crashed"
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


def _unique(units: Iterable[Unit | tuple]) -> Iterator[Unit]:
    seen: set[str] = set()
    for u in units:
        unit = u if isinstance(u, Unit) else Unit(u[0], tuple(u[1]))
        if unit.key not in seen:
            seen.add(unit.key)
            yield unit


def _failed(key: str, exc: BaseException) -> Done:
    return Done(key, error=type(exc).__name__, message=str(exc)[:2000])


def run_units(units: Iterable[Unit | tuple], fn: Callable, *, executor: str = "local",
              dask_address: str | None = None, workers: int = 1, window: int | None = None,
              retries: int = 1, start: str = "spawn") -> Iterator[Done]:
    """Run `fn(*unit.args)` for every unit (once per key) and yield a `Done` per unit, in completion order.

    executor "local": in this process when workers <= 1, else a pool of `workers` processes started by `start`
    ("spawn"; "fork" lets them inherit this process's state) (a crashed worker fails only the units it held; a
    new pool goes on). executor "dask": the scheduler at
    `dask_address`, or a local cluster of `workers` processes when it is "local" or None. At most `window`
    units (default 4 per worker) are in flight, so inputs and results stream.
    """
    todo = _unique(units)
    window = window or max(2, 4 * workers)
    if executor == "dask":
        from .dask import run_dask

        yield from run_dask(todo, fn, dask_address, workers, window, retries)
    elif executor != "local":
        raise ValueError(f"unknown executor {executor!r} (local or dask)")
    elif workers <= 1:
        for unit in todo:
            try:
                yield Done(unit.key, fn(*unit.args))
            except Exception as exc:  # one unit must not stop the run
                yield _failed(unit.key, exc)
    else:
        yield from _run_pool(todo, fn, workers, window, start)


def _run_pool(todo: Iterator[Unit], fn: Callable, workers: int, window: int, start: str) -> Iterator[Done]:
    ctx = multiprocessing.get_context(start)
    exhausted = False
    while not exhausted:
        # workers die with this process, even on SIGKILL (then the resource tracker sees EOF and ends too)
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=die_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            running: dict = {}
            try:
                while True:
                    while not exhausted and len(running) < window:
                        unit = next(todo, None)
                        if unit is None:
                            exhausted = True
                            break
                        running[pool.submit(fn, *unit.args)] = unit
                    if not running:
                        break
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    broken = None
                    for fut in done:
                        unit = running.pop(fut)
                        try:
                            value = fut.result()
                        except BrokenProcessPool as exc:
                            broken = exc
                            yield Done(unit.key, error="worker_crashed", message=str(exc)[:2000])
                            continue
                        except Exception as exc:
                            yield _failed(unit.key, exc)
                            continue
                        yield Done(unit.key, value)
                    if broken is not None:
                        raise broken
            except BrokenProcessPool as exc:  # a worker died: its units fail, a new pool takes the rest
                for unit in running.values():
                    yield Done(unit.key, error="worker_crashed", message=str(exc)[:2000])


def batches(results: Iterable[Done], size: int) -> Iterator[list[Done]]:
    """Group results for a single writer: one transaction per list."""
    chunk: list[Done] = []
    for res in results:
        chunk.append(res)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
