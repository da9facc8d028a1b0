"""`peatmoss demo`: build a small, real dataset offline and write its report.

1. Replay the bundled Hub recording (facts of ~3,000 real models, recorded with
   `scripts/build_demo_bundle.py`) through the Hugging Face collector.
2. Load the PyTorch Hub model pages if a copy of pytorch/hub can be found.
3. Run every later stage's `demo_step` that is installed (mining the bundled example
   application, card rules, licenses, the report).
"""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..core.paths import shared_path
from ..registries.huggingface import CollectOptions, collect_huggingface
from ..registries.pytorch_hub import collect_pytorch_hub

DEMO_SNAPSHOT = "2025-03-21"
DEMO_PAGE_SIZE = 500  # the page size the bundle was recorded with
STAGE_STEPS = ("cards", "licenses", "analysis")


@dataclass
class DemoResult:
    steps: list[tuple[str, str, float]] = field(default_factory=list)  # (step, summary, seconds)
    report: str | None = None


def bundled(name: str) -> Path:
    return Path(str(resources.files("peatmoss.data").joinpath("demo", name)))


def find_pytorch_hub(explicit: str | Path | None = None) -> Path | None:
    """A folder of pytorch/hub pages: the argument, else `pytorch_hub` in the shared data (core.paths)."""
    source = Path(explicit) if explicit else shared_path("pytorch_hub")
    return source if source is not None and source.is_dir() and any(source.glob("*.md")) else None


def mine_example(url: str) -> str:
    """Mine the bundled example application; the counts are its current links in the database (a re-run
    finds the commit already mined and writes nothing new, but reports the same)."""
    from sqlalchemy import func, select

    from ..db import session_scope
    from ..db.models import ModelReuse, ReuseRepository
    from ..usage.mine import mine
    from ..usage.sources import describe

    spec = str(bundled("example_app"))
    mine(url, [spec], progress=False)
    with session_scope(url) as s:
        links, matched = s.execute(
            select(func.count(), func.count(ModelReuse.model_id)).join(ReuseRepository)
            .where(ReuseRepository.full_name == describe(spec).full_name, ModelReuse.is_current.is_(True))).one()
    return f"{links} model loads found in the example application ({matched} matched to models)"


def run_demo(url: str, outdir: Path, pytorch_hub: str | Path | None = None, progress: bool = True,
             on_step=None) -> DemoResult:
    result = DemoResult()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    def step(name: str, fn) -> str:
        start = time.perf_counter()
        summary = fn()
        result.steps.append((name, summary, time.perf_counter() - start))
        if on_step:
            on_step(*result.steps[-1])
        return summary

    def hub() -> str:
        s = collect_huggingface(url, CollectOptions(replay_dir=str(bundled("hub")), deep=False, page_size=DEMO_PAGE_SIZE,
                                                    snapshot=DEMO_SNAPSHOT, progress=progress))
        return f"{s.in_snapshot:,} models from the bundled Hub recording (snapshot {s.snapshot}, {s.errors} errors)"

    step("collect huggingface", hub)
    source = find_pytorch_hub(pytorch_hub)
    if source is not None:
        step("collect pytorch-hub", lambda: "{pages} pages, {entries} (repo, model) entries ({zoo} from the "
             "torchvision zoo), {models} models".format(**vars(collect_pytorch_hub(url, source))))
    else:
        result.steps.append(("collect pytorch-hub", "skipped: no pytorch/hub pages found (--pytorch-hub)", 0.0))
    if importlib.util.find_spec("peatmoss.usage.mine"):
        step("mine", lambda: mine_example(url))
    for stage in STAGE_STEPS:
        name = f"peatmoss.{stage}.demo"
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        summary = step(stage, lambda m=module: str(m.demo_step(url, outdir)))
        if stage == "analysis":
            result.report = summary
    return result
