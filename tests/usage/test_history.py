"""Repository history: `mine --since/--every/--commits` on a git repository built here, whose commits add,
re-pin, replace and drop model loads; the analysis of unchanged files is shared between commits."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from peatmoss.analysis.queries import run
from peatmoss.db import session_scope
from peatmoss.db.models import Model, ModelReuse, ModelVersion, Registry, RepoScan, reuse_change_view
from peatmoss.usage.history import HistoryError, history, parse_every, select_commits, thin
from peatmoss.usage.mine import mine
from peatmoss.usage.mine_history import mine_history
from peatmoss.usage.scan import scan_files
from peatmoss.usage.sources import open_source

sys.path.insert(0, str(Path(__file__).parent / "fixtures_repo"))
from gitrepos import git, git_daemon, serve_bare  # noqa: E402

V1, V2, V3 = "a1" * 20, "b2" * 20, "c3" * 20  # commits of the model acme/bert-small on its hub

APP = 'from transformers import AutoModel\n\nm = AutoModel.from_pretrained("acme/bert-small"{})\n'
MAIN = "from transformers import AutoModel\nfrom settings import MODEL\n\nm = AutoModel.from_pretrained(MODEL)\n"
EXTRA = 'from transformers import pipeline\n\np = pipeline("fill-mask", model="acme/roberta-x")\n'
UTIL = "import os\n\n\ndef here():\n    return os.getcwd()\n"

# (date, files written, files removed): what each commit does to the loads
COMMITS = [
    ("2024-01-10", {"app.py": APP.format(""), "main.py": MAIN, "settings.py": 'MODEL = "acme/gpt-tiny"\n',
                    "extra.py": EXTRA, "util.py": UTIL}, []),          # bert (unpinned), gpt-tiny, roberta-x
    ("2024-02-10", {"app.py": APP.format(f', revision="{V1}"')}, []),   # bert pinned to V1
    ("2024-03-10", {"settings.py": 'MODEL = "acme/gpt-tinier"\n'}, []),  # main.py: gpt-tiny -> gpt-tinier
    ("2024-04-10", {"app.py": APP.format(f', revision="{V2}"')}, []),   # bert updated to V2
    ("2024-05-10", {}, ["extra.py"]),                                   # roberta-x dropped
]


def _make(root: Path) -> list[str]:
    root.mkdir(parents=True)
    git(root, "init", "-q")
    shas = []
    for when, written, removed in COMMITS:
        for name, text in written.items():
            (root / name).write_text(text)
        for name in removed:
            git(root, "rm", "-q", name)
        git(root, "add", "-A")
        stamp = f"{when}T12:00:00+00:00"
        subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false",
                        "commit", "-q", "-m", f"change of {when}"], cwd=root, check=True, capture_output=True,
                       env={**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp})
        shas.append(git(root, "rev-parse", "HEAD"))
    return shas


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> tuple[str, list[str]]:
    root = tmp_path_factory.mktemp("history") / "proj"
    return str(root), _make(root)


def _seed(url: str) -> None:
    """The hub model acme/bert-small with three commits (deep snapshot), so pins link to model commits."""
    with session_scope(url) as s:
        reg = Registry(name="huggingface")
        s.add(reg)
        s.flush()
        bert = Model(registry_id=reg.id, hub_id="acme/bert-small")
        s.add(bert)
        s.flush()
        for sha, day in ((V1, datetime(2023, 12, 1)), (V2, datetime(2024, 3, 1)), (V3, datetime(2024, 4, 20))):
            s.add(ModelVersion(model_id=bert.id, commit_id=sha, created_at=day.replace(tzinfo=timezone.utc)))


def _changes(url: str) -> list[tuple]:
    engine = create_engine(url)
    v = reuse_change_view.c
    with engine.connect() as conn:
        rows = conn.execute(select(v.seq, v.change, v.model, v.old_revision, v.new_revision)
                            .order_by(v.seq, v.change, v.model)).all()
    engine.dispose()
    return [tuple(r) for r in rows]


EXPECTED = [
    (1, "present", "acme/bert-small", None, None), (1, "present", "acme/gpt-tiny", None, None),
    (1, "present", "acme/roberta-x", None, None),
    (2, "revision", "acme/bert-small", None, V1),
    (3, "added", "acme/gpt-tinier", None, None), (3, "dropped", "acme/gpt-tiny", None, None),
    (4, "revision", "acme/bert-small", V1, V2),
    (5, "dropped", "acme/roberta-x", None, None),
]


def test_history_records_adds_changes_and_drops(repo, db_url):
    path, shas = repo
    _seed(db_url)
    summary = mine_history(db_url, [path], since="2024-01-01", progress=False)
    assert (summary.commits, summary.failed, summary.errors) == (5, 0, 0)
    assert _changes(db_url) == EXPECTED
    with session_scope(db_url) as s:
        scans = s.execute(select(RepoScan.commit_sha, RepoScan.is_current).order_by(RepoScan.committed_at)).all()
        assert [sha for sha, _ in scans] == shas
        assert [cur for _, cur in scans] == [False] * 4 + [True]  # the newest commit is the current scan
        current = s.scalars(select(ModelReuse.canonical_model_id).where(ModelReuse.is_current.is_(True))).all()
        assert sorted(current) == ["acme/bert-small", "acme/gpt-tinier"]


def test_unchanged_files_are_analysed_once(repo):
    path, shas = repo
    scans = list(history(path))
    # app.py and main.py load models (util.py, settings.py and extra.py after it is gone need no analysis):
    # 1: app, main, extra; 2: app (main, extra reused); 3: main again, as settings.py changed (app, extra reused);
    # 4: app (main, extra reused); 5: nothing new (app, main reused)
    assert [(c.result.analysed, c.result.reused) for c in scans] == [(3, 0), (1, 2), (1, 2), (1, 2), (0, 2)]
    for c, sha in zip(scans, shas):  # sharing never changes what a scan finds
        with open_source(path, commit=sha) as (_, files):
            alone = scan_files(files)
        assert [f.to_dict() for f in c.result.findings] == [f.to_dict() for f in alone.findings]
        assert c.commit == sha


def test_history_of_a_remote_repository(repo, tmp_path):
    path, shas = repo
    served = tmp_path / "served"
    served.mkdir()
    serve_bare(Path(path), served, "proj.git")
    with git_daemon(served) as base:
        scans = list(history(f"{base}/proj.git", every=2, workdir=str(tmp_path)))
    assert [c.commit for c in scans] == [shas[0], shas[2], shas[4]]  # the whole branch was cloned
    assert sorted(f.model for f in scans[-1].result.findings) == ["acme/bert-small", "acme/gpt-tinier"]
    assert not list(tmp_path.glob("peatmoss-history-*"))  # and the clone removed


def test_commit_selection(repo):
    path, shas = repo
    gitdir = str(Path(path) / ".git")
    assert [sha for sha, _ in select_commits(gitdir, every=2)] == [shas[0], shas[2], shas[4]]
    assert [sha for sha, _ in select_commits(gitdir, every=3)] == [shas[0], shas[3], shas[4]]
    assert [sha for sha, _ in select_commits(gitdir, since="2024-03-01")] == shas[2:]
    assert [sha for sha, _ in select_commits(gitdir, until="2024-02-15")] == shas[:2]
    assert [sha for sha, _ in select_commits(gitdir, commits=f"{shas[1]}..{shas[3]}")] == shas[1:4]
    assert [sha for sha, _ in select_commits(gitdir, every="monthly")] == shas
    day = datetime(2024, 1, 1, tzinfo=timezone.utc)
    week = [("a", day), ("b", day.replace(day=2)), ("c", day.replace(day=9))]
    assert [s for s, _ in thin(week, "weekly")] == ["b", "c"] and [s for s, _ in thin(week, "monthly")] == ["c"]
    with pytest.raises(HistoryError):
        parse_every("0")


def test_rerun_resumes_and_head_scan_stays_current(repo, sqlite_url):
    path, shas = repo
    head = mine(sqlite_url, [path], progress=False)
    assert head.scanned == 1
    first = mine_history(sqlite_url, [path], every=1, progress=False)
    assert (first.commits, first.skipped) == (4, 1)  # HEAD was mined already
    again = mine_history(sqlite_url, [path], every=1, progress=False)
    assert (again.commits, again.skipped, again.analysed) == (0, 5, 0)
    with session_scope(sqlite_url) as s:
        assert s.scalars(select(RepoScan.commit_sha).where(RepoScan.is_current.is_(True))).all() == [shas[-1]]
        assert s.scalar(select(func.count()).select_from(RepoScan)) == 5


def test_gh3_and_i4_answer_from_history(repo, db_url):
    path, _ = repo
    _seed(db_url)
    engine = create_engine(db_url)
    for name in ("GH-3", "I-4"):  # before any history: they say what is needed
        _, summary = run(engine, name)
        assert summary["note"].startswith("needs repository history") and "--since" in summary["note"]
    mine_history(db_url, [path], every=1, progress=False)
    gh3, summary = run(engine, "GH-3")
    row = gh3.iloc[0]
    assert (row["scans"], row["models_ever"], row["models_added"], row["models_dropped"], row["replacements"],
            row["revision_changes"], row["commits_changing"]) == (5, 4, 1, 2, 1, 2, 4)
    assert row["span_days"] == 121.0
    assert summary["repositories_that_replaced_a_model"] == 1 and summary["share_changed"] == 1.0
    i4, summary = run(engine, "I-4")
    bert = i4.set_index("model").loc["acme/bert-small"]
    assert bert["revision_updates"] == 2 and bert["pinned_revision"] == V2 and bert["pinned_commit"] == V2
    assert bert["commits_behind"] == 1  # V3 came out before the newest repository commit
    assert bert["lag_days"] == 50.0  # V3 (2024-04-20) against V2 (2024-03-01)
    assert bert["update_delay_days"] == pytest.approx(40.5)  # V2 adopted on 2024-04-10 12:00
    assert i4.set_index("model").loc["acme/roberta-x", "in_use"] == 0
    assert summary["repositories_that_updated"] == 1 and summary["pinned_in_use"] == 1
    assert summary["median_commits_behind"] == 1.0 and "note" not in summary
    engine.dispose()


@pytest.mark.parametrize("args, words", [
    (["--every", "0"], "--every"), (["--every", "fortnightly"], "--every"), (["--since", "2024-13-01"], "--since"),
    (["--until", "yesterday"], "--until"), (["--commits", "abc"], "--commits"), (["--commits", "a...b"], "--commits"),
    (["--commits", "deadbeef..HEAD"], "not found"), (["--commits", "HEAD..HEAD~2"], "not after"),
    (["--commit", "HEAD", "--every", "2"], "--commit"),
])
def test_bad_history_arguments(repo, sqlite_url, args, words):
    from peatmoss.cli import app

    path, _ = repo
    result = CliRunner().invoke(app, ["--db", sqlite_url, "mine", path, *args])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.output


def test_cli_history_range(repo, sqlite_url):
    from peatmoss.cli import app

    path, shas = repo
    result = CliRunner().invoke(app, ["--db", sqlite_url, "mine", path, "--commits", f"{shas[1]}..{shas[3]}",
                                      "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "3 commits scanned" in result.output and "reused" in result.output
    with session_scope(sqlite_url) as s:
        assert s.scalars(select(RepoScan.commit_sha).order_by(RepoScan.committed_at)).all() == shas[1:4]
