"""CLI of the license stage: `peatmoss licenses analyze|check|normalize` and `peatmoss bom`."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import typer

from ..core.cli import Failed, InputError, clean, console, db_url, emit, format_type, input_file, table

licenses_app = typer.Typer(help="License normalisation and PTM -> repository compatibility.", no_args_is_help=True)


class Rules(str, Enum):
    paper = "paper"
    osadl_ml = "osadl+ml"
    osadl = "osadl"
    ml = "ml"


Format = format_type("table", "json", "sarif")
SummaryFormat = format_type("table", "json")
RowsFormat = format_type("table", "json", "jsonl", "csv")
BomFormat = format_type("cyclonedx", "spdx")


class Distribution(str, Enum):
    public = "public"
    internal = "internal"


Distributed = typer.Option(Distribution.public, "--distribution", help="Is the repository distributed publicly?")


class Use(str, Enum):
    runtime = "runtime"
    redistribute = "redistribute"
    finetune_publish = "finetune-publish"


@licenses_app.command("analyze")
def analyze_cmd(
    ctx: typer.Context,
    rules: Rules = typer.Option(Rules.osadl_ml, "--rules", help="paper (Linux Foundation matrix, paper method) or osadl+ml"),
    out: Path = typer.Option(Path("licenses-out"), "--out", "-o", help="Folder for summary, per-pair CSV and Sankey"),
    other_threshold: int = typer.Option(0, "--other-threshold", help="Fold licenses met fewer times into 'other'"),
    static_format: str = typer.Option("png", "--static", help="png or svg"),
    distribution: Distribution = Distributed,
    paper_matrix: Path = typer.Option(None, "--paper-matrix", exists=True, dir_okay=False,
                                      help="linux_foundation_compatibility_matrix.csv"),
    paper_data: bool = typer.Option(False, "--paper-data", help="Analyse the paper's own relations (shared data) instead of the database"),
    fmt: SummaryFormat = "table",
) -> None:
    """Verdicts for every PTM -> repository link in the database, a summary, a per-pair CSV and the Sankey."""
    from .shared import require_shared

    if static_format not in ("png", "svg"):
        raise typer.BadParameter("must be png or svg", param_hint="--static")
    try:
        if rules == Rules.paper and paper_matrix is None:
            paper_matrix = require_shared("paper/linux_foundation_compatibility_matrix.csv")
        if paper_data:
            data = _paper_data(rules.value, paper_matrix, out, other_threshold, static_format)
    except FileNotFoundError as exc:
        raise InputError(str(exc)) from None
    if not paper_data:
        from .analyze import analyze

        result = analyze(db_url(ctx, existing=True), rules.value, out, paper_matrix, distribution.value,
                         other_threshold=other_threshold, static_format=static_format)
        data = result.as_dict()
    if fmt == "json":
        typer.echo(json.dumps(data, indent=1, default=str))
    else:
        _print_summary(data)


PAPER_SANKEY_TOP = 12  # licenses kept per side in the paper-data Sankey (as Figure 12); the rest fold into "other"


def _paper_data(ruleset, matrix_path, out, other_threshold, static_format) -> dict:
    from .analyze import AnalyzeResult, write_outputs
    from .paper import LinuxFoundationMatrix, analyse_paper, load_relations, paper_flows
    from .reanalysis import analyse_relations
    from .sankey import fold, render_flows
    from .shared import require_shared

    relations = load_relations(require_shared("paper/hf_model_to_gh_repo_license_mapping.csv"),
                               require_shared("paper/gh_repo_licenses_scancode.json"))
    if ruleset == "paper":
        matrix = LinuxFoundationMatrix.load(matrix_path)
        data = analyse_paper(relations, matrix).as_dict()
        out.mkdir(parents=True, exist_ok=True)
        bands = fold(paper_flows(relations, matrix), top=PAPER_SANKEY_TOP, min_count=other_threshold)
        data["files"] = render_flows(bands, out / "license_sankey", static_format,
                                     "The paper's relations under its rules (Linux Foundation matrix)")
        (out / "license_summary.json").write_text(json.dumps(data, indent=2))
        return data
    summary, rows = analyse_relations(relations, ruleset)
    result = AnalyzeResult(summary, rows)
    result.files = write_outputs(result, out, other_threshold, static_format)
    return result.as_dict()


def _print_summary(data: dict) -> None:
    verdicts = table("outcome", "count", "%", title=f"License verdicts ({data.get('ruleset', 'paper')})")
    for key in ("relations", "skipped", "analysed", "identical", "compatible", "conditional", "incompatible",
                "unknown", "conflict"):
        if key in data:
            verdicts.add_row(key, str(data[key]), str(data.get(f"{key}_pct", "")))
    out = console()
    out.print(verdicts)
    for reason, n in list((data.get("unknown_reasons") or {}).items())[:10]:
        out.print(f"  unknown x{n}: {clean(reason)}")
    for name, path in (data.get("files") or {}).items():
        out.print(f"  {clean(name)}: {clean(path)}")


def _fail_on(value: str) -> tuple[str, ...]:
    from .check import POLICIES

    names = tuple(v.strip() for v in value.split(",") if v.strip())
    bad = [n for n in names if n not in POLICIES]
    if bad or not names:
        raise typer.BadParameter(f"{','.join(bad) or 'nothing'} is not one of {','.join(POLICIES)}",
                                 param_hint="--fail-on")
    return names


HubData = typer.Option(None, "--hub-data", exists=True, dir_okay=True,
                       help="Recorded hub data (JSON file or folder of Hub API records), looked at before the Hub")
Endpoint = typer.Option(None, "--endpoint", help="Hub URL (env: HF_ENDPOINT; default: https://huggingface.co); "
                        "token from $HF_TOKEN")
Offline = typer.Option(False, "--offline", help="Ask no server: database, recorded data, cache and bundled facts only")
Refresh = typer.Option(False, "--refresh", help="Ignore cached Hub answers (ask the Hub again)")
NoDb = typer.Option(False, "--no-db", help="Do not look models up in the database")


@licenses_app.command("check")
def check_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(..., exists=True, file_okay=False, help="Repository folder"),
    fmt: Format = "table",
    hub_data: Path = HubData,
    rules: Rules = typer.Option(Rules.osadl_ml, "--rules"),
    distribution: Distribution = Distributed,
    no_db: bool = NoDb,
    endpoint: str = Endpoint,
    offline: bool = Offline,
    refresh: bool = Refresh,
    fail_on: str = typer.Option("incompatible", "--fail-on", help="Comma-separated verdicts that fail the check: "
                                "incompatible (and conflict), conditional, unknown (license not found or model "
                                "not on the Hub), smell (a model-usage smell, see `scan --smells`)"),
) -> None:
    """Scan PATH, find its license and each loaded model's license (database -> cache -> Hub -> bundled facts),
    print verdicts. Exit 0: passes the --fail-on policy; 1: a model breaks it; 2: bad usage or input."""
    from .check import check, to_sarif

    policy = _fail_on(fail_on)
    if rules == Rules.paper:
        raise typer.BadParameter("check uses osadl+ml, osadl or ml rules", param_hint="--rules")
    try:
        with input_file("--hub-data", hub_data):
            report = check(path, None if no_db else db_url(ctx), hub_data, rules.value, distribution.value,
                           endpoint=endpoint, offline=offline, refresh=refresh)
    except RuntimeError as exc:
        raise InputError(str(exc)) from None
    if fmt == "json":
        typer.echo(json.dumps({**report.as_dict(), "failed": bool(report.failures(policy)),
                               "fail_on": list(policy)}, indent=2))
    elif fmt == "sarif":
        typer.echo(json.dumps(to_sarif(report), indent=2))
    else:
        _print_check(report)
    raise typer.Exit(1 if report.failures(policy) else 0)


def _print_check(report) -> None:
    from rich.text import Text

    out = console()
    det = report.repo_license
    # file names, model ids and license texts come from the scanned repository or a server: cleaned
    out.print(f"repository license: [bold]{clean(det.expression or 'unknown')}[/bold] ({clean(det.reason)})")
    if det.conflict:
        out.print(f"[red]conflict:[/red] {clean(det.conflict)}")
    verdicts = table("model", "license", "verdict", "condition / reason", "where", "from")
    colour = {"incompatible": "red", "conflict": "magenta", "unknown": "yellow", "conditional": "cyan", "compatible": "green"}
    for m in report.models:
        v = m.verdict
        where = ", ".join(f"{f}:{ln}" for f, ln in m.locations[:3]) + (" ..." if len(m.locations) > 3 else "")
        # string cells are shown as text by `table`; the verdict keeps its colour as a styled Text
        verdicts.add_row(m.model, str(m.info.license.expression if m.info else None),
                         Text(v.verdict, style=colour.get(v.verdict, "white")), (v.condition or v.reason)[:200], where,
                         m.info.source if m.info else "none")
    out.print(verdicts)
    if report.unresolved:
        out.print(f"{len(report.unresolved)} model load(s) with an unresolved model id (not checked)")
    for s in report.smells:
        out.print(f"[yellow]{clean(s.rule)}[/yellow] {clean(s.file)}:{s.line} {clean(s.detail)}")


@licenses_app.command("normalize")
def normalize_cmd(values: list[str] = typer.Argument(..., help="License strings as met"),
                  fmt: RowsFormat = "table") -> None:
    """Print the SPDX expression of each license string."""
    from .families import family
    from .normalize import normalize

    rows = []
    for value in values:
        n = normalize(value)
        rows.append({"value": value, "expression": n.expression, "method": n.method,
                     "family": family(n.expression) if n.expression else None, "reason": n.reason})
    emit(rows, fmt, ("value", "expression", "method", "family", "reason"))


@licenses_app.command("verdict")
def verdict_cmd(upstream: str, downstream: str, use: Use = typer.Option(Use.runtime, "--use"),
                distribution: Distribution = Distributed,
                rules: Rules = typer.Option(Rules.osadl_ml, "--rules"), fmt: SummaryFormat = "json") -> None:
    """The verdict for one model license (UPSTREAM) reused in a repository under DOWNSTREAM."""
    from .engine import Context, verdict
    from .normalize import normalize

    if rules == Rules.paper:
        raise typer.BadParameter("use analyze --rules paper for the paper's method", param_hint="--rules")
    v = verdict(normalize(upstream).expression, normalize(downstream).expression,
                Context(use.value, distribution.value), rules.value)
    if fmt == "json":
        typer.echo(json.dumps(v.as_dict(), indent=2))
    else:
        emit([{"field": k, "value": val} for k, val in v.as_dict().items()], fmt, ("field", "value"))


@licenses_app.command("eval-detection")
def eval_detection_cmd(
    dev_set: Path = typer.Option(None, "--dev-set", help="downstream_dev.md [default: shared data]"),
    mirrors: Path = typer.Option(None, "--mirrors", help="Folder of bare git mirrors (<owner>+<name>/repo) "
                                 "[default: $PEATMOSS_MIRRORS]"),
) -> None:
    """Accuracy of repository license detection on the development set of downstream repositories."""
    from peatmoss.core.paths import PathError, mirrors_dir, require_shared

    from .evaldetect import evaluate

    try:
        mirrors = mirrors_dir(mirrors)
        dev_set = dev_set or require_shared("downstream_dev.md")
    except PathError as exc:
        raise InputError(str(exc), "pass --mirrors DIR and --dev-set FILE, or set $PEATMOSS_MIRRORS and $PEATMOSS_SHARED_DATA") from None
    if mirrors is None:
        raise InputError("no mirrors folder", "pass --mirrors DIR or set $PEATMOSS_MIRRORS")
    cases = evaluate(dev_set, mirrors)
    if not cases:
        raise Failed(f"none of the repositories of {dev_set} has a mirror in {mirrors}", "check --mirrors")
    for c in cases:
        typer.echo(clean(f"{'ok ' if c.correct else 'BAD'} {c.repo}: expected {c.expected}, detected {c.detected} "
                         f"({c.reason})", markup=False))
    typer.echo(f"correct {sum(c.correct for c in cases)}/{len(cases)}")


def bom_cmd(
    ctx: typer.Context,
    path: Path = typer.Argument(..., exists=True, file_okay=False, help="Repository folder"),
    output: Path = typer.Option(None, "--output", "-o", dir_okay=False, help="Write the BOM here (default: stdout)"),
    hub_data: Path = HubData,
    no_db: bool = NoDb,
    endpoint: str = Endpoint,
    offline: bool = Offline,
    refresh: bool = Refresh,
    fmt: BomFormat = "cyclonedx",
) -> None:
    """A CycloneDX 1.6 ML-BOM of the models PATH loads and its Python dependencies (validated against the CycloneDX
    schema); `--format spdx`: SPDX 3.0.1 JSON-LD with the AI profile."""
    from .bom import build_bom
    from .check import check
    from .spdx3 import spdx_document

    if output is not None and not output.parent.is_dir():
        raise InputError(f"--output {output}: No such file or directory (its folder does not exist)",
                         "create the folder or pass another --output")
    errors: list[str] = []
    try:
        with input_file("--hub-data", hub_data):
            url = None if no_db else db_url(ctx)
            if fmt == "spdx":
                data = spdx_document(check(path, url, hub_data, endpoint=endpoint, offline=offline, refresh=refresh))
            else:
                data, errors = build_bom(path, url, hub_data, endpoint=endpoint, offline=offline, refresh=refresh)
    except RuntimeError as exc:
        raise InputError(str(exc)) from None
    text = json.dumps(data, indent=2)
    if output:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)
    else:
        typer.echo(text)
    if errors:
        raise Failed("CycloneDX schema validation failed: " + "; ".join(errors)[:300], "please report this as a bug")


def register(app: typer.Typer) -> None:
    app.add_typer(licenses_app, name="licenses")
    app.command("bom")(bom_cmd)
