"""The execution layer of the parallel stages: keyed work units run on a local process pool or on Dask.

`run_units(units, fn, executor="local"|"dask", dask_address=..., workers=N)` yields one `Done` per key, as
units finish; the caller is the single writer and drains them in batches (`batches`). Workers do the CPU
and network work and never touch the database. A unit is keyed: a key seen twice runs once, and a unit
retried after a lost worker yields one result, so a stage that writes idempotently per key never
duplicates rows.
"""

from .run import Done, Unit, batches, run_units
from .dask import dask_client

__all__ = ["Done", "Unit", "batches", "run_units", "dask_client"]
