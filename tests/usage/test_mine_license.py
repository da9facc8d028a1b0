"""`mine` stores the license `licenses check` finds in the same folder, with its evidence; bare git
repositories are read at the scanned commit, without a checkout."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select

from peatmoss.db import session_scope
from peatmoss.db.models import ReuseRepository
from peatmoss.licenses.check import check
from peatmoss.licenses.textmatch import reference_texts
from peatmoss.usage.mine import mine

sys.path.insert(0, str(Path(__file__).parent / "fixtures_repo"))
from gitrepos import git, git_daemon, make_simple_repo, serve_bare  # noqa: E402

CODE = {"main.py": "import os\nprint(os.getcwd())\n"}


def _folders(root: Path) -> dict[str, dict[str, str]]:
    texts = reference_texts()
    return {
        "mit": {**CODE, "LICENSE": texts["MIT"].replace("<year> <copyright holders>", "2023 Example Lab")},
        "bsd2": {**CODE, "LICENSE.txt": texts["BSD-2-Clause"]},
        "apache_meta": {**CODE, "pyproject.toml": '[project]\nname = "x"\nversion = "1"\nlicense = "Apache-2.0"\n'},
        "openrail": {**CODE, "LICENSE": "CreativeML Open RAIL-M\n\nTerms for the model weights of this example.\n"},
        "readme_gpl": {**CODE, "README.md": "# Tool\n\nSome words.\n\n## License\n\nReleased under GPLv3.\n"},
        "none": dict(CODE),
    }


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _stored(url: str) -> dict[str, ReuseRepository]:
    with session_scope(url) as s:
        rows = list(s.scalars(select(ReuseRepository)))
        s.expunge_all()
    return {Path(r.full_name).name: r for r in rows}


def test_mine_stores_the_license_check_reports(db_url, tmp_path):
    folders = {}
    for name, files in _folders(tmp_path).items():
        folders[name] = _write(tmp_path / name, files)  # plain folders: no git
    summary = mine(db_url, [str(p) for p in folders.values()], progress=False)
    assert (summary.scanned, summary.failed) == (len(folders), 0)
    stored = _stored(db_url)
    expected = {"mit": "MIT", "bsd2": "BSD-2-Clause", "apache_meta": "Apache-2.0",
                "openrail": "LicenseRef-CreativeML-OpenRAIL-M", "readme_gpl": "GPL-3.0-only", "none": "NONE"}
    for name, path in folders.items():
        reported = check(path).repo_license
        assert stored[name].license_spdx == reported.expression == expected[name], name
        evidence = stored[name].license_evidence
        assert evidence["source"] == "files" and evidence["reason"] == reported.reason
        assert [e["file"] for e in evidence["evidence"]] == [e.file for e in reported.evidence]
    assert stored["apache_meta"].license_evidence["evidence"][0]["source"] == "pyproject"


def test_bare_git_repository_is_read_at_the_scanned_commit(db_url, tmp_path):
    work = tmp_path / "work"
    texts = reference_texts()
    first = make_simple_repo(work, {**CODE, "LICENSE": texts["MIT"], "LICENSES/extra.txt": texts["BSD-2-Clause"]})
    (work / "LICENSE").write_text(texts["Apache-2.0"])
    git(work, "rm", "-q", "-r", "LICENSES")
    git(work, "commit", "-q", "-am", "relicense")
    bare = tmp_path / "repo.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    assert not (bare / "LICENSE").exists()  # nothing checked out: the files are read from git

    # the older commit first: a newer commit's scan stays current whatever is mined after it (history), so
    # mining the older commit second would keep HEAD's license whenever the two commits differ in date
    mine(db_url, [str(bare)], commit=first, progress=False)  # the older commit: its two license files
    (repo,) = _stored(db_url).values()
    assert repo.license_spdx == "MIT AND BSD-2-Clause" and repo.license_evidence["commit"] == first
    assert {e["file"] for e in repo.license_evidence["evidence"]} == {"LICENSE", "LICENSES/extra.txt"}

    mine(db_url, [str(bare)], progress=False)
    (repo,) = _stored(db_url).values()
    assert repo.license_spdx == "Apache-2.0" == check(work).repo_license.expression
    assert repo.license_evidence["commit"] == git(bare, "rev-parse", "HEAD")


def test_a_license_is_filled_on_a_rerun_at_the_same_commit(db_url, tmp_path):
    repo_dir = tmp_path / "r"
    make_simple_repo(repo_dir, {**CODE, "LICENSE": reference_texts()["MIT"]})
    mine(db_url, [str(repo_dir)], progress=False)
    with session_scope(db_url) as s:  # as a database mined before licenses were stored
        row = s.scalar(select(ReuseRepository))
        row.license_spdx, row.license_evidence = None, None
    summary = mine(db_url, [str(repo_dir)], progress=False)
    assert summary.skipped == 1
    (row,) = _stored(db_url).values()
    assert row.license_spdx == "MIT" and row.license_evidence["source"] == "files"


def test_host_license_stays_when_the_files_name_none_recognisable(db_url, tmp_path):
    repo_dir = _write(tmp_path / "odd", {**CODE, "LICENSE": "Use it kindly.\n"})
    with session_scope(db_url) as s:
        s.add(ReuseRepository(full_name=str(repo_dir.resolve()), host="local", license_spdx="MIT",
                              license_evidence={"source": "host"}))
    mine(db_url, [str(repo_dir)], progress=False)
    (row,) = _stored(db_url).values()
    assert row.license_spdx == "MIT" and row.license_evidence == {"source": "host"}


def test_a_cloned_repository_gets_its_license(db_url, tmp_path):
    texts = reference_texts()
    make_simple_repo(tmp_path / "src", {**CODE, "LICENSE": texts["BSD-2-Clause"], "weights.py": "#" * 5000 + "\n"})
    served = tmp_path / "served"
    serve_bare(tmp_path / "src", served, "acme/tool")
    with git_daemon(served) as base:  # a partial clone over git://, read from git in a temporary folder
        summary = mine(db_url, [f"{base}/acme/tool"], progress=False, max_file_size=4096)
    assert summary.scanned == 1
    (row,) = _stored(db_url).values()
    assert row.license_spdx == "BSD-2-Clause" == check(tmp_path / "src").repo_license.expression
    assert row.license_evidence["evidence"][0]["file"] == "LICENSE"
