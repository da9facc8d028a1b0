"""Where the usage miner reads code from: a folder, a git repository at a commit, or a remote URL.

`open_source(spec)` yields `(RepoInfo, files)`; files are lazy `SourceFile`s. Git content is read
through `git ls-tree` and `git cat-file --batch` (no checkout, so no hooks, filters or symlinks are
ever run or followed). Remote repositories are cloned shallow, bare and blob-size-filtered into a
temporary directory with hooks, submodules, LFS smudging and the file/ext protocols disabled.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from ..core.lifetime import preexec
from .model import FileRecord, SourceFile
from .walk import MAX_BYTES, VENV_MARKER, file_kind, size_limit, walk, wanted

MAX_FILE_SIZE = MAX_BYTES  # files above this are skipped (FileRecord status "skipped"; notebooks: 8 times)
MAX_REPO_SIZE = 1024 * 1024 * 1024  # a clone growing past this is stopped
CLONE_TIMEOUT = 600.0
LFS_POINTER = b"version https://git-lfs.github.com/spec/"
LFS_POINTER_MAX = 512
GITHUB_BASE = os.environ.get("PEATMOSS_GITHUB_BASE", "https://github.com")

URL_RE = re.compile(r"^(https?|git|ssh|file)://", re.I)
OWNER_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9_.-]+$")


class SourceError(Exception):
    """A repository could not be opened; `kind` names the failure for error rows."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass
class RepoInfo:
    spec: str
    host: str  # github | git | local
    full_name: str  # "owner/name" for GitHub, the URL or absolute path otherwise
    url: str | None = None
    owner: str | None = None
    name: str | None = None
    commit: str | None = None
    committed_at: str | None = None  # the commit's committer date, ISO 8601 in UTC
    skipped: list[FileRecord] = field(default_factory=list)  # files the source did not hand over
    # the repository's files for the license detector while the source is open: a folder, or a GitTree
    tree: object | None = field(default=None, repr=False, compare=False)

    def as_dict(self) -> dict:
        """The plain fields (no file lists, no open tree)."""
        return {k: getattr(self, k) for k in ("spec", "host", "full_name", "url", "owner", "name", "commit",
                                               "committed_at")}


# --------------------------------------------------------------------------- specs


def github_url(owner_repo: str, base: str | None = None) -> str:
    return f"{(base or GITHUB_BASE).rstrip('/')}/{owner_repo.strip().removesuffix('.git')}"


def read_list(path: str | Path, base: str | None = None) -> list[str]:
    """A list file: one `owner/repo` (or URL, or path) a line; `#` comments and blank lines ignored."""
    specs = []
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            specs.append(github_url(line, base) if OWNER_REPO_RE.match(line) and not Path(line).exists() else line)
    return specs


def _github_name(url: str) -> tuple[str, str] | None:
    m = re.match(r"^[a-z+]+://[^/]+/([^/]+)/([^/]+?)(?:\.git)?/?$", url, re.I)
    return (m.group(1), m.group(2)) if m else None


# --------------------------------------------------------------------------- git plumbing

_SAFE_CONFIG = [
    "-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false", "-c", "submodule.recurse=false",
    "-c", "protocol.ext.allow=never", "-c", "credential.helper=", "-c", "core.askPass=",
    "-c", "lfs.fetchexclude=*", "-c", "safe.directory=*",  # nothing of the repository is ever executed
]


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_LFS_SKIP_SMUDGE="1", GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL="/dev/null",
               GIT_NO_LAZY_FETCH="1", GIT_ASKPASS="/bin/false", SSH_ASKPASS="/bin/false")
    return env


def _git(gitdir: str, *args: str, check: bool = True, input: bytes | None = None) -> bytes:
    proc = subprocess.run(["git", *_SAFE_CONFIG, "--git-dir", gitdir, *args], input=input,
                          capture_output=True, env=_env(), timeout=600)
    if check and proc.returncode != 0:
        raise SourceError("git_error", f"git {args[0]}: {proc.stderr.decode(errors='replace').strip()[:500]}")
    return proc.stdout


def git_dir(path: str | Path) -> str | None:
    """The git directory of a repository (bare or not) at `path`, or None."""
    p = Path(path)
    if (p / ".git").is_dir():
        return str(p / ".git")
    if (p / "HEAD").is_file() and (p / "objects").is_dir():
        return str(p)
    return None


class _BlobReader:
    """One `git cat-file --batch` process serving lazy reads (one at a time)."""

    def __init__(self, gitdir: str):
        self.proc = subprocess.Popen(["git", *_SAFE_CONFIG, "--git-dir", gitdir, "cat-file", "--batch"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=_env())
        self.lock = threading.Lock()

    def read(self, sha: str) -> bytes:
        with self.lock:
            self.proc.stdin.write(sha.encode() + b"\n")
            self.proc.stdin.flush()
            header = self.proc.stdout.readline().split()
            if len(header) != 3 or header[1] != b"blob":
                raise OSError(f"blob {sha} is missing")
            data = self.proc.stdout.read(int(header[2]))
            self.proc.stdout.read(1)
            return data

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.proc.stdin.close()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=10)
        if self.proc.poll() is None:
            self.proc.kill()


def _missing_blobs(gitdir: str, commit: str) -> set[str]:
    """Blobs left out by a partial clone (over the blob size filter)."""
    partial = _git(gitdir, "config", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$", check=False)
    if not partial.strip():
        return set()
    out = _git(gitdir, "rev-list", "--objects", "--missing=print", "--no-walk", commit)
    return {line[1:].strip() for line in out.decode().splitlines() if line.startswith("?")}


def _blob_sizes(gitdir: str, shas: list[str]) -> dict[str, int]:
    if not shas:
        return {}
    out = _git(gitdir, "cat-file", "--batch-check=%(objectname) %(objectsize)", input="\n".join(shas).encode() + b"\n")
    sizes = {}
    for line in out.decode().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def git_files(gitdir: str, commit: str, reader: _BlobReader, info: RepoInfo,
              max_file_size: int = MAX_FILE_SIZE) -> list[SourceFile]:
    """The wanted regular-file blobs of `commit` (the same choice as a folder walk: walk.wanted, walk.size_limit);
    symlinks, submodules and oversize files are skipped."""
    out = _git(gitdir, "ls-tree", "-r", "-z", "--full-tree", commit)
    listed = []
    for rec in out.split(b"\0"):
        if rec:
            meta, _, raw_path = rec.partition(b"\t")
            listed.append((*meta.decode().split(), raw_path.decode("utf-8", errors="replace")))
    venvs = {path.rpartition("/")[0] for *_, path in listed if path.endswith("/" + VENV_MARKER)}
    entries = []
    for mode, kind, sha, path in listed:
        if not wanted(path, venvs):
            continue
        if kind != "blob" or mode not in ("100644", "100755"):
            info.skipped.append(FileRecord(path, file_kind(path), 0, "skipped", "not_regular_file",
                                           f"git mode {mode} ({'symlink' if mode == '120000' else kind})"))
            continue
        entries.append((path, sha))
    missing = _missing_blobs(gitdir, commit)
    sizes = _blob_sizes(gitdir, sorted({sha for _, sha in entries if sha not in missing}))
    files = []
    for path, sha in entries:
        size, limit = sizes.get(sha), size_limit(path, max_file_size)
        if size is None or size > limit:
            info.skipped.append(FileRecord(path, file_kind(path), size or 0, "skipped", "too_large",
                                           f"{size} bytes > {limit}" if size else "blob left out of the clone"))
            continue
        if size <= LFS_POINTER_MAX and reader.read(sha).startswith(LFS_POINTER):
            info.skipped.append(FileRecord(path, file_kind(path), size, "skipped", "lfs_pointer",
                                           "Git LFS pointer; the content is not in the repository"))
            continue
        files.append(SourceFile(path, size, lambda sha=sha: reader.read(sha), sha))
    return files


class GitTree:
    """The files of one commit, listed and read from git (no checkout); what the license detector reads."""

    def __init__(self, gitdir: str, commit: str, reader: _BlobReader):
        self.gitdir, self.commit, self.reader = gitdir, commit, reader
        self._folders: dict[str, dict[str, str]] = {}  # folder -> file name -> blob sha

    def _entries(self, folder: str) -> dict[str, str]:
        folder = folder.strip("/")
        if folder not in self._folders:
            args = ["ls-tree", "-z", "--full-tree", self.commit] + (["--", folder + "/"] if folder else [])
            found = {}
            for rec in _git(self.gitdir, *args, check=False).split(b"\0"):
                meta, _, raw_path = rec.partition(b"\t")
                parts = meta.decode().split()
                if len(parts) == 3 and parts[1] == "blob" and parts[0] in ("100644", "100755"):
                    found[raw_path.decode("utf-8", errors="replace").rsplit("/", 1)[-1]] = parts[2]
            self._folders[folder] = found
        return self._folders[folder]

    def names(self, folder: str = "") -> list[str]:
        return sorted(self._entries(folder))

    def read(self, path: str, limit: int) -> bytes:
        folder, _, name = path.strip("/").rpartition("/")
        sha = self._entries(folder).get(name)
        if sha is None:
            raise OSError(f"{path} is not a file of commit {self.commit[:12]}")
        return self.reader.read(sha)[:limit]


def commit_date(gitdir: str, commit: str) -> str | None:
    """The committer date of `commit`, ISO 8601 in UTC (None when git cannot tell)."""
    out = _git(gitdir, "show", "-s", "--format=%ct", commit, "--", check=False).decode().strip()
    if not out.isdigit():
        return None
    return datetime.fromtimestamp(int(out), timezone.utc).isoformat()


def resolve_commit(gitdir: str, commit: str | None) -> str:
    ref = f"{commit or 'HEAD'}^{{commit}}"
    out = _git(gitdir, "rev-parse", "--verify", "--quiet", ref, check=False).strip()
    if not out:
        raise SourceError("bad_commit", f"commit {commit or 'HEAD'} not found")
    return out.decode()


# --------------------------------------------------------------------------- folders


def _folder_files(root: Path, info: RepoInfo, max_file_size: int) -> Iterator[SourceFile]:
    """The folder walk of `scan` (walk.walk); its refusals go to info.skipped."""
    for item in walk(root, max_file_size):
        if isinstance(item, FileRecord):
            info.skipped.append(item)
        else:
            yield item


# --------------------------------------------------------------------------- cloning


def _dir_size(path: str) -> int:
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


def clone(url: str, dest: str, *, commit: str | None = None, allow_file: bool = False,
          max_blob: int = MAX_FILE_SIZE, max_repo_size: int = MAX_REPO_SIZE, timeout: float = CLONE_TIMEOUT,
          history: bool = False) -> None:
    """Shallow (or, with `history`, the whole default branch), bare, blob-filtered clone with a size cap and a
    timeout; nothing of the repo is executed."""
    if url.lower().startswith("file://") and not allow_file:
        raise SourceError("protocol_blocked", "file:// URLs are refused (allow_file is for tests)")
    if url.startswith("-"):
        raise SourceError("bad_url", "URL starts with '-'")
    proto = ["-c", f"protocol.file.allow={'always' if allow_file else 'never'}"]
    filt = f"--filter=blob:limit={max_blob}"
    depth = [] if history else ["--depth", "1"]
    steps = [["clone", "--bare", *depth, "--no-tags", "--single-branch", filt, "--", url, dest]]
    if commit:
        steps.append(["--git-dir", dest, "fetch", "--depth", "1", "--no-tags", filt, "origin", commit])
    for args in steps:
        proc = subprocess.Popen(["git", *_SAFE_CONFIG, *proto, *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, env=_env(), preexec_fn=preexec(signal.SIGKILL))
        start = time.monotonic()
        try:
            while proc.poll() is None:
                time.sleep(0.2)
                if time.monotonic() - start > timeout:
                    raise SourceError("clone_timeout", f"clone took longer than {timeout:.0f}s")
                if os.path.isdir(dest) and _dir_size(dest) > max_repo_size:
                    raise SourceError("repo_too_large", f"clone grew past {max_repo_size} bytes")
        except BaseException:  # no git left running behind us (limits, timeouts, interrupts)
            proc.kill()
            proc.wait()
            raise
        err = proc.stderr.read().decode(errors="replace").strip()
        if proc.returncode != 0:
            raise SourceError("clone_failed", err[-500:] or f"git exited {proc.returncode}")
        if _dir_size(dest) > max_repo_size:
            raise SourceError("repo_too_large", f"clone is over {max_repo_size} bytes")


def remote_head(url: str, *, allow_file: bool = False, timeout: float = 60.0) -> str | None:
    """The commit a remote's HEAD points to (`git ls-remote`), or None when it cannot be asked."""
    if url.lower().startswith("file://") and not allow_file or url.startswith("-"):
        return None
    proto = ["-c", f"protocol.file.allow={'always' if allow_file else 'never'}"]
    try:
        proc = subprocess.run(["git", *_SAFE_CONFIG, *proto, "ls-remote", "--", url, "HEAD"], capture_output=True,
                              env=_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    line = proc.stdout.decode(errors="replace").split("\n", 1)[0].split()
    return line[0] if proc.returncode == 0 and line and re.fullmatch(r"[0-9a-f]{40,64}", line[0]) else None


# --------------------------------------------------------------------------- entry point


def describe(spec: str, github_base: str | None = None) -> RepoInfo:
    """What a spec names, without opening it: host, full name (the reuse_repository key) and URL."""
    path = Path(spec).expanduser()
    if path.exists():
        root = path.resolve()
        return RepoInfo(spec=spec, host="local", full_name=str(root), name=root.name)
    url = github_url(spec, github_base) if OWNER_REPO_RE.match(spec) else spec
    if not URL_RE.match(url):
        raise SourceError("not_found", f"{spec} is no folder, URL or owner/repo")
    gh = _github_name(url)
    base = (github_base or GITHUB_BASE).rstrip("/")
    if gh and (url.startswith(base + "/") or "://github.com/" in url.lower()):
        return RepoInfo(spec=spec, host="github", full_name=f"{gh[0]}/{gh[1]}", url=url, owner=gh[0], name=gh[1])
    return RepoInfo(spec=spec, host="git", full_name=url.rstrip("/"), url=url,
                    name=url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git"))


@contextlib.contextmanager
def open_source(spec: str, *, commit: str | None = None, workdir: str | None = None, allow_file: bool = False,
                github_base: str | None = None, max_file_size: int = MAX_FILE_SIZE,
                max_repo_size: int = MAX_REPO_SIZE, worktree: bool = False) -> Iterator[tuple[RepoInfo, Iterable[SourceFile]]]:
    """Open a repository for scanning.

    spec: a folder (walked as it is when it is no git repo, or with `worktree=True`); a git repository,
    bare or not (read at `commit`, default HEAD); a URL (cloned into `workdir`, or a temporary directory);
    or `owner/repo` (a GitHub URL under `github_base`).
    """
    info = describe(spec, github_base)
    if info.host == "local":
        root = Path(info.full_name)
        if not root.is_dir():
            raise SourceError("not_a_directory", f"{spec} is not a directory")
        gitdir = None if worktree else git_dir(root)
        if gitdir is None:
            if commit:
                raise SourceError("not_a_git_repo", f"{spec} is no git repository, so it has no commit {commit}")
            info.tree = root
            yield info, _folder_files(root, info, max_file_size)
            return
        with _open_git(gitdir, commit, info, max_file_size) as files:
            yield info, files
        return
    tmp = tempfile.mkdtemp(prefix="peatmoss-clone-", dir=workdir)
    try:
        dest = os.path.join(tmp, "repo.git")
        clone(info.url, dest, commit=commit, allow_file=allow_file, max_blob=max_file_size, max_repo_size=max_repo_size)
        with _open_git(dest, commit, info, max_file_size) as files:
            yield info, files
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextlib.contextmanager
def _open_git(gitdir: str, commit: str | None, info: RepoInfo, max_file_size: int) -> Iterator[list[SourceFile]]:
    info.commit = resolve_commit(gitdir, commit)
    info.committed_at = commit_date(gitdir, info.commit)
    if info.host == "local" and info.url is None:  # a local clone: remember where it came from
        origin = _git(gitdir, "config", "--get", "remote.origin.url", check=False).decode().strip()
        gh = _github_name(origin) if origin.startswith("http") else None
        if gh:
            info.url, info.owner, info.name = origin, gh[0], gh[1]
    reader = _BlobReader(gitdir)
    info.tree = GitTree(gitdir, info.commit, reader)
    try:
        yield git_files(gitdir, info.commit, reader, info, max_file_size)
    finally:
        info.tree = None
        reader.close()
