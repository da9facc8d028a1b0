"""Where things live outside the database: the shared data folder, the cache, git mirrors.

Every location comes from an option or an environment variable, never from a machine path:

- shared data: `$PEATMOSS_SHARED_DATA`; unset, a `shared/data` folder beside the working directory
  or beside the source checkout (`../shared/data`). Set but missing is an error, not a silent skip.
- cache: `$PEATMOSS_CACHE_DIR`, else the user cache folder of the platform (platformdirs).
- mirrors: the `--mirrors` option, else `$PEATMOSS_MIRRORS`: a folder of bare git repositories laid out
  as `<owner>+<name>/repo`. No default.
"""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_cache_dir

SHARED_ENV = "PEATMOSS_SHARED_DATA"
CACHE_ENV = "PEATMOSS_CACHE_DIR"
MIRRORS_ENV = "PEATMOSS_MIRRORS"
CHECKOUT = Path(__file__).resolve().parents[3]  # the source checkout (src/peatmoss/core/paths.py)


class PathError(FileNotFoundError):
    """A location that was asked for (by option or environment) and does not exist."""


def _from_env(name: str) -> Path | None:
    value = os.environ.get(name)
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise PathError(f"${name}={value} is not a folder: fix or unset it")
    return path


def shared_data() -> Path | None:
    """The shared data folder, or None when there is none."""
    env = _from_env(SHARED_ENV)
    if env is not None:
        return env
    for base in (Path.cwd().parent, CHECKOUT.parent):
        if (base / "shared" / "data").is_dir():
            return base / "shared" / "data"
    return None


def shared_path(*parts: str) -> Path | None:
    """A file or folder inside the shared data, or None when it (or the shared data) is missing."""
    base = shared_data()
    path = base.joinpath(*parts) if base is not None else None
    return path if path is not None and path.exists() else None


def require_shared(*parts: str) -> Path:
    """A file or folder inside the shared data; a missing one raises PathError saying what to set."""
    path = shared_path(*parts)
    if path is None:
        raise PathError(f"shared data {'/'.join(parts)!r} not found: set ${SHARED_ENV} to the shared data folder")
    return path


def cache_dir(*parts: str) -> Path:
    """A folder in peatmoss's cache ($PEATMOSS_CACHE_DIR, else the platform's user cache), created."""
    base = Path(os.environ.get(CACHE_ENV) or user_cache_dir("peatmoss")).expanduser()
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def mirrors_dir(option: str | Path | None = None) -> Path | None:
    """The git mirrors folder: the option, else $PEATMOSS_MIRRORS, else None. A named but missing one raises."""
    if option is not None:
        path = Path(option).expanduser()
        if not path.is_dir():
            raise PathError(f"mirrors folder {option} does not exist: pass --mirrors DIR or set ${MIRRORS_ENV}")
        return path
    return _from_env(MIRRORS_ENV)


def mirror_repo(mirrors: Path, full_name: str) -> Path:
    """The bare git repository of `owner/name` in a mirrors folder (it may not exist)."""
    return Path(mirrors) / full_name.replace("/", "+") / "repo"


__all__ = ["PathError", "cache_dir", "mirror_repo", "mirrors_dir", "require_shared", "shared_data", "shared_path"]
