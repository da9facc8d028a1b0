"""core.paths: shared data, cache and mirrors come from options and environment variables only."""

from __future__ import annotations

import subprocess
import sys

import pytest

from peatmoss.core import paths


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in (paths.SHARED_ENV, paths.CACHE_ENV, paths.MIRRORS_ENV):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


def test_shared_data_from_env(clean_env, tmp_path):
    shared = tmp_path / "data"
    (shared / "licenses").mkdir(parents=True)
    (shared / "licenses" / "matrix.csv").write_text("a,b\n")
    clean_env.setenv(paths.SHARED_ENV, str(shared))
    assert paths.shared_data() == shared
    assert paths.shared_path("licenses", "matrix.csv") == shared / "licenses" / "matrix.csv"
    assert paths.shared_path("licenses", "other.csv") is None
    with pytest.raises(paths.PathError, match="PEATMOSS_SHARED_DATA"):
        paths.require_shared("model_cards")


def test_shared_data_set_but_missing_is_an_error(clean_env, tmp_path):
    clean_env.setenv(paths.SHARED_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(paths.PathError, match="is not a folder"):
        paths.shared_data()


def test_shared_data_beside_the_working_directory(clean_env, tmp_path):
    (tmp_path / "shared" / "data" / "pytorch_hub").mkdir(parents=True)
    work = tmp_path / "project"
    work.mkdir()
    clean_env.chdir(work)
    assert paths.shared_path("pytorch_hub") == tmp_path / "shared" / "data" / "pytorch_hub"


def test_cache_dir_from_env_and_default(clean_env, tmp_path):
    clean_env.setenv(paths.CACHE_ENV, str(tmp_path / "cache"))
    assert paths.cache_dir("clones") == tmp_path / "cache" / "clones" and (tmp_path / "cache" / "clones").is_dir()
    clean_env.delenv(paths.CACHE_ENV)
    clean_env.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))  # platformdirs' user cache on Linux
    if sys.platform.startswith("linux"):
        assert paths.cache_dir() == tmp_path / "xdg" / "peatmoss"


def test_mirrors_from_option_then_env(clean_env, tmp_path):
    assert paths.mirrors_dir() is None  # no default location
    folder = tmp_path / "mirrors"
    folder.mkdir()
    clean_env.setenv(paths.MIRRORS_ENV, str(folder))
    assert paths.mirrors_dir() == folder
    other = tmp_path / "other"
    other.mkdir()
    assert paths.mirrors_dir(other) == other
    with pytest.raises(paths.PathError, match="--mirrors"):
        paths.mirrors_dir(tmp_path / "missing")
    assert paths.mirror_repo(folder, "acme/tool") == folder / "acme+tool" / "repo"


def test_eval_detection_without_mirrors_is_one_line(clean_env, tmp_path):
    from typer.testing import CliRunner

    from peatmoss.cli import app

    dev = tmp_path / "dev.md"
    dev.write_text("| 1 | a/b | MIT | 1 |\n")
    result = CliRunner().invoke(app, ["licenses", "eval-detection", "--dev-set", str(dev)])
    assert result.exit_code == 2 and "PEATMOSS_MIRRORS" in result.output and "Traceback" not in result.output


def test_no_machine_paths_in_code_or_tests():
    root = paths.CHECKOUT
    if not (root / ".git").exists():
        pytest.skip("not a git checkout")
    found = subprocess.run(["git", "grep", "-nE", r"['\"]/(home|root|work|Users)/", "--", "src", "tests",
                            "benchmarks", "scripts"], cwd=root, capture_output=True, text=True).stdout
    assert found == "", found
