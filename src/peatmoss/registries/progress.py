"""Rich progress bars with count and rate that can be switched off (tests, scripts)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class Bar:
    def __init__(self, progress: Progress | None = None, task=None):
        self.progress, self.task = progress, task

    def advance(self, n: int = 1) -> None:
        if self.progress is None or not n:
            return
        self.progress.advance(self.task, n)
        speed = self.progress.tasks[0].speed
        if speed:
            self.progress.update(self.task, rate=f"{speed:,.0f}/s")


@contextmanager
def progress_bar(enabled: bool, label: str, total: int | None = None) -> Iterator[Bar]:
    """A bar showing done/total, items per second and elapsed time; a no-op when disabled."""
    if not enabled:
        yield Bar()
        return
    columns = [SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn()]
    with Progress(*columns) as progress:
        yield Bar(progress, progress.add_task(label, total=total, rate=""))
