"""The database schema: the contract between the stages.

Every stage reads and writes these tables and nothing else of the others.
Areas: runs and errors; registries and models; model metadata (many-to-many);
model history (commits, refs, discussions, files, cards); lineage; PyTorch Hub;
downstream reuse (repositories, scans, files, links); GitHub activity;
card extraction; licenses.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

TS = DateTime(timezone=True)
JSONN = JSON(none_as_null=True)  # Python None is SQL NULL, not the JSON text "null"


class Base(DeclarativeBase):
    pass


def _fk(target: str, nullable: bool = False, ondelete: str | None = "CASCADE", index: bool = True):
    return mapped_column(ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index)


# --------------------------------------------------------------------------- runs and errors


class CollectionRun(Base):
    """One run of a stage: a dated snapshot for collectors, a mining or extraction run otherwise."""

    __tablename__ = "collection_run"
    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(32))  # collect | mine | extract | licenses
    source: Mapped[str] = mapped_column(String(64))  # huggingface | pytorch_hub | github | rules | ...
    registry_id: Mapped[int | None] = _fk("registry.id", nullable=True, ondelete="SET NULL")
    key: Mapped[str] = mapped_column(String(255))  # identifies the run's parameters; a resume reuses it
    snapshot_date: Mapped[datetime | None] = mapped_column(TS)
    started_at: Mapped[datetime] = mapped_column(TS)
    finished_at: Mapped[datetime | None] = mapped_column(TS)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | complete | failed
    params: Mapped[dict | None] = mapped_column(JSONN)
    cursor: Mapped[str | None] = mapped_column(Text)  # where a resumed run picks up
    items_done: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (Index("ix_run_stage_key", "stage", "source", "key"),)


class CollectionError(Base):
    """An item that could not be processed. Errors are rows, never strings inside data columns."""

    __tablename__ = "collection_error"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = _fk("collection_run.id", nullable=True, ondelete="SET NULL")
    stage: Mapped[str] = mapped_column(String(32), index=True)
    item: Mapped[str] = mapped_column(Text)
    error_kind: Mapped[str] = mapped_column(String(64), index=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TS)


# --------------------------------------------------------------------------- registries and models


class Registry(Base):
    __tablename__ = "registry"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)  # huggingface | pytorch_hub
    url: Mapped[str | None] = mapped_column(String(255))


class Author(Base):
    __tablename__ = "author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class ModelFamily(Base):
    """config.model_type (bert, llama, ...): not to be confused with the framework."""

    __tablename__ = "model_family"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class Model(Base):
    __tablename__ = "model"
    id: Mapped[int] = mapped_column(primary_key=True)
    registry_id: Mapped[int] = _fk("registry.id")
    hub_id: Mapped[str] = mapped_column(String(512))  # "google-bert/bert-base-uncased", "pytorch/vision/resnet18"
    author_id: Mapped[int | None] = _fk("author.id", nullable=True, ondelete="SET NULL")
    name: Mapped[str | None] = mapped_column(String(512))
    sha: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime | None] = mapped_column(TS, index=True)
    last_modified: Mapped[datetime | None] = mapped_column(TS)
    pipeline_tag: Mapped[str | None] = mapped_column(String(128), index=True)
    library_name: Mapped[str | None] = mapped_column(String(128))
    model_family_id: Mapped[int | None] = _fk("model_family.id", nullable=True, ondelete="SET NULL")
    private: Mapped[bool | None] = mapped_column(Boolean)
    disabled: Mapped[bool | None] = mapped_column(Boolean)
    gated: Mapped[str | None] = mapped_column(String(16))  # "false" | "auto" | "manual"
    downloads: Mapped[int | None] = mapped_column(BigInteger, index=True)
    downloads_all_time: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(Integer)
    parameter_count: Mapped[int | None] = mapped_column(BigInteger)
    used_storage: Mapped[int | None] = mapped_column(BigInteger)
    card_data: Mapped[dict | None] = mapped_column(JSONN)  # the card's YAML as the Hub parsed it
    repo_url: Mapped[str | None] = mapped_column(String(1024))
    file_names: Mapped[list | None] = mapped_column(JSONN)  # the listing's file names (siblings); sizes in model_file
    has_snapshot: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_run_id: Mapped[int | None] = _fk("collection_run.id", nullable=True, ondelete="SET NULL")
    last_seen_run_id: Mapped[int | None] = _fk("collection_run.id", nullable=True, ondelete="SET NULL")
    __table_args__ = (
        UniqueConstraint("registry_id", "hub_id", name="uq_model_registry_hub_id"),
        Index("ix_model_hub_id_lower", "hub_id"),
    )

    author: Mapped[Author | None] = relationship()
    family: Mapped[ModelFamily | None] = relationship()


class ModelStats(Base):
    """Per-snapshot popularity, so trends come from our own repeated snapshots."""

    __tablename__ = "model_stats"
    run_id: Mapped[int] = mapped_column(ForeignKey("collection_run.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("model.id", ondelete="CASCADE"), primary_key=True, index=True)
    downloads: Mapped[int | None] = mapped_column(BigInteger)
    downloads_all_time: Mapped[int | None] = mapped_column(BigInteger)
    likes: Mapped[int | None] = mapped_column(Integer)
    last_modified: Mapped[datetime | None] = mapped_column(TS)


def _lookup(name: str, **extra) -> type:
    """A small named lookup table (architecture, framework, ...)."""
    attrs = {
        "__tablename__": name,
        "id": mapped_column(Integer, primary_key=True),
        "name": mapped_column(String(512), unique=True),
        "__annotations__": {"id": Mapped[int], "name": Mapped[str]},
    }
    for col, (typ, annot) in extra.items():
        attrs[col] = mapped_column(typ, nullable=True)
        attrs["__annotations__"][col] = annot
    return type("".join(p.title() for p in name.split("_")), (Base,), attrs)


Architecture = _lookup("architecture")


class Tag(Base):
    """A raw Hub tag, split into kind and value. The one tag table: the per-kind views below read it."""

    __tablename__ = "tag"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(512), unique=True)  # the raw tag, "dataset:squad"
    kind: Mapped[str] = mapped_column(String(32), index=True)  # dataset|language|license|library|arxiv|base_model|region|framework|task|other
    value: Mapped[str] = mapped_column(String(512))  # the tag without its prefix


class License(Base):
    __tablename__ = "license"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(512), unique=True)  # as met: "apache-2.0", "other", "llama2"
    spdx_expression: Mapped[str | None] = mapped_column(String(1024))  # normalised by the licenses stage
    license_name: Mapped[str | None] = mapped_column(String(512))  # Hub "other" + license_name
    license_link: Mapped[str | None] = mapped_column(String(1024))


def _link_table(name: str, left: str, right: str, *extra: Column) -> Table:
    return Table(
        name,
        Base.metadata,
        Column(f"{left}_id", ForeignKey(f"{left}.id", ondelete="CASCADE"), primary_key=True),
        Column(f"{right}_id", ForeignKey(f"{right}.id", ondelete="CASCADE"), primary_key=True, index=True),
        *extra,
    )


model_to_architecture = _link_table("model_to_architecture", "model", "architecture")
model_to_tag = _link_table("model_to_tag", "model", "tag")
model_to_license = _link_table("model_to_license", "model", "license", Column("source", String(32)))

# Per-kind views over `tag` and `model_to_tag` (created by migration 9f8d3f7bd884): the PeaTMOSS
# framework/library/dataset/language/paper tables and their model_to_* links, without a second copy
# of each tag. A lookup view's id is the smallest id of the tags that name it; `library` and
# `model_to_library` also hold `model.library_name` (the collector keeps a `library:<name>` tag for it).
VIEWS = MetaData()


def _kind_view(kind: str) -> tuple[Table, Table]:
    lookup = Table(kind, VIEWS, Column("id", Integer), Column("name", String(512)))
    link = Table(f"model_to_{kind}", VIEWS, Column("model_id", Integer), Column(f"{kind}_id", Integer))
    return lookup, link


framework_view, model_to_framework = _kind_view("framework")  # pytorch | tensorflow | jax | ...
library_view, model_to_library = _kind_view("library")  # transformers | diffusers | timm | ...
dataset_view, model_to_dataset = _kind_view("dataset")
language_view, model_to_language = _kind_view("language")  # name holds the code as tagged ("en")
paper_view, model_to_paper = _kind_view("paper")  # name = "arxiv:1810.04805"


# --------------------------------------------------------------------------- model history (deep snapshots)


class ModelFile(Base):
    """A file of a model repo with facts beyond its name: size, LFS data, or a stored copy (deep snapshots).
    The listing's names alone are in model.file_names."""

    __tablename__ = "model_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = _fk("model.id", index=False)  # uq_model_file leads with model_id
    path: Mapped[str] = mapped_column(String(1024))
    size: Mapped[int | None] = mapped_column(BigInteger)
    blob_id: Mapped[str | None] = mapped_column(String(64))
    lfs_sha256: Mapped[str | None] = mapped_column(String(64))
    lfs_size: Mapped[int | None] = mapped_column(BigInteger)
    stored_digest: Mapped[str | None] = mapped_column(String(64))  # sha256 in our content-addressed store
    __table_args__ = (UniqueConstraint("model_id", "path", name="uq_model_file"),)


class ModelVersion(Base):
    """A commit of a model repo."""

    __tablename__ = "model_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = _fk("model.id")
    commit_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime | None] = mapped_column(TS)
    title: Mapped[str | None] = mapped_column(Text)
    message: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list | None] = mapped_column(JSONN)
    __table_args__ = (UniqueConstraint("model_id", "commit_id", name="uq_model_version"),)


class GitRef(Base):
    __tablename__ = "git_ref"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = _fk("model.id")
    kind: Mapped[str] = mapped_column(String(16))  # branch | tag | convert | pull_request
    name: Mapped[str] = mapped_column(String(512))
    ref: Mapped[str] = mapped_column(String(512))
    target_commit: Mapped[str | None] = mapped_column(String(64))
    __table_args__ = (UniqueConstraint("model_id", "ref", name="uq_git_ref"),)


class ModelCard(Base):
    """The README.md of a model repo at a given commit."""

    __tablename__ = "model_card"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = _fk("model.id")
    sha: Mapped[str] = mapped_column(String(64))  # commit or content hash
    text: Mapped[str] = mapped_column(Text)
    length: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = _fk("collection_run.id", nullable=True, ondelete="SET NULL")
    fetched_at: Mapped[datetime | None] = mapped_column(TS)
    __table_args__ = (UniqueConstraint("model_id", "sha", name="uq_model_card"),)


class Discussion(Base):
    __tablename__ = "discussion"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = _fk("model.id")
    num: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str | None] = mapped_column(String(16))
    is_pull_request: Mapped[bool] = mapped_column(Boolean, default=False)
    author: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime | None] = mapped_column(TS)
    endpoint: Mapped[str | None] = mapped_column(String(255))
    target_branch: Mapped[str | None] = mapped_column(String(255))
    merge_commit_oid: Mapped[str | None] = mapped_column(String(64))
    diff: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("model_id", "num", name="uq_discussion"),)


class DiscussionEvent(Base):
    __tablename__ = "discussion_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = _fk("discussion.id")
    event_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(32))  # comment | status-change | commit | title-change
    created_at: Mapped[datetime | None] = mapped_column(TS)
    author: Mapped[str | None] = mapped_column(String(255))
    content: Mapped[str | None] = mapped_column(Text)
    edited: Mapped[bool | None] = mapped_column(Boolean)
    hidden: Mapped[bool | None] = mapped_column(Boolean)
    new_status: Mapped[str | None] = mapped_column(String(16))
    summary: Mapped[str | None] = mapped_column(Text)
    oid: Mapped[str | None] = mapped_column(String(64))
    old_title: Mapped[str | None] = mapped_column(Text)
    new_title: Mapped[str | None] = mapped_column(Text)
    __table_args__ = (UniqueConstraint("discussion_id", "event_id", name="uq_discussion_event"),)


class DiscussionFile(Base):
    """A file touched by a discussion that is a pull request."""

    __tablename__ = "discussion_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    discussion_id: Mapped[int] = _fk("discussion.id")
    path: Mapped[str] = mapped_column(String(1024))
    __table_args__ = (UniqueConstraint("discussion_id", "path", name="uq_discussion_file"),)


# --------------------------------------------------------------------------- lineage


class ModelEdge(Base):
    """Model-to-model relation: child was derived from parent."""

    __tablename__ = "model_edge"
    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = _fk("model.id")
    parent_id: Mapped[int | None] = _fk("model.id", nullable=True, ondelete="SET NULL")
    parent_raw_id: Mapped[str] = mapped_column(String(512))  # as written, kept when we lack the parent
    relation: Mapped[str] = mapped_column(String(16))  # finetune | adapter | quantized | merge | unknown
    source: Mapped[str] = mapped_column(String(32))  # tag | card_yaml | card_prose | config | llm
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    run_id: Mapped[int | None] = _fk("collection_run.id", nullable=True, ondelete="SET NULL")
    __table_args__ = (UniqueConstraint("child_id", "parent_raw_id", "relation", "source", name="uq_model_edge"),)


# --------------------------------------------------------------------------- PyTorch Hub


class PytorchHubPage(Base):
    """A model page of the pytorch/hub repository (front matter)."""

    __tablename__ = "pytorch_hub_page"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(255), unique=True)  # file name without .md
    title: Mapped[str | None] = mapped_column(String(512))
    summary: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[list | None] = mapped_column(JSONN)
    github_link: Mapped[str | None] = mapped_column(String(1024))
    github_id: Mapped[str | None] = mapped_column(String(255))
    author: Mapped[str | None] = mapped_column(String(255))
    accelerator: Mapped[str | None] = mapped_column(String(64))
    front_matter: Mapped[dict | None] = mapped_column(JSONN)
    run_id: Mapped[int | None] = _fk("collection_run.id", nullable=True, ondelete="SET NULL")


class PytorchHubEntry(Base):
    """One (repo, model) pair: from a page's torch.hub.load call or a hubconf.py entrypoint."""

    __tablename__ = "pytorch_hub_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int | None] = _fk("pytorch_hub_page.id", nullable=True)
    model_id: Mapped[int | None] = _fk("model.id", nullable=True, ondelete="SET NULL")
    repo: Mapped[str] = mapped_column(String(255))  # "pytorch/vision"
    entrypoint: Mapped[str] = mapped_column(String(255))  # "resnet18"
    refs: Mapped[list | None] = mapped_column(JSONN)  # ["v0.10.0"]
    source: Mapped[str] = mapped_column(String(16))  # page | hubconf
    line: Mapped[int | None] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("page_id", "repo", "entrypoint", "source", name="uq_pytorch_hub_entry"),)


# --------------------------------------------------------------------------- downstream reuse


class ReuseRepository(Base):
    """A software repository that may load PTMs (GitHub or local)."""

    __tablename__ = "reuse_repository"
    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(64), default="github")  # github | local | git
    full_name: Mapped[str] = mapped_column(String(512), unique=True)  # "owner/name" or a local path
    owner: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(1024))
    description: Mapped[str | None] = mapped_column(Text)
    default_branch: Mapped[str | None] = mapped_column(String(255))
    stars: Mapped[int | None] = mapped_column(Integer)
    forks: Mapped[int | None] = mapped_column(Integer)
    topics: Mapped[list | None] = mapped_column(JSONN)
    archived: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime | None] = mapped_column(TS)
    pushed_at: Mapped[datetime | None] = mapped_column(TS)
    license_raw: Mapped[str | None] = mapped_column(String(255))  # as the host reports it
    license_spdx: Mapped[str | None] = mapped_column(String(1024))  # detected expression, "NONE" for no license
    license_evidence: Mapped[dict | None] = mapped_column(JSONN)


class RepoScan(Base):
    """One mining of a repository at a commit. Links belong to a scan; the newest is current."""

    __tablename__ = "repo_scan"
    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = _fk("reuse_repository.id")
    run_id: Mapped[int | None] = _fk("collection_run.id", nullable=True, ondelete="SET NULL")
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    committed_at: Mapped[datetime | None] = mapped_column(TS)  # the commit's date (UTC): history orders scans by it
    scanned_at: Mapped[datetime] = mapped_column(TS)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    files_seen: Mapped[int] = mapped_column(Integer, default=0)
    files_scanned: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (UniqueConstraint("repository_id", "commit_sha", name="uq_repo_scan"),)


class ReuseFile(Base):
    __tablename__ = "reuse_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = _fk("repo_scan.id")
    repository_id: Mapped[int] = _fk("reuse_repository.id")
    path: Mapped[str] = mapped_column(String(2048))
    kind: Mapped[str] = mapped_column(String(16))  # python | notebook | percent | config
    size: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok | degraded | skipped | error
    __table_args__ = (UniqueConstraint("scan_id", "path", name="uq_reuse_file"),)


class ModelReuse(Base):
    """The PTM-application link: a place where code loads a model, with its evidence."""

    __tablename__ = "model_reuse"
    id: Mapped[int] = mapped_column(primary_key=True)
    scan_id: Mapped[int] = _fk("repo_scan.id")
    repository_id: Mapped[int] = _fk("reuse_repository.id")
    file_id: Mapped[int | None] = _fk("reuse_file.id", nullable=True)
    model_id: Mapped[int | None] = _fk("model.id", nullable=True, ondelete="SET NULL")
    raw_model_id: Mapped[str | None] = mapped_column(String(1024))  # as resolved from the code
    canonical_model_id: Mapped[str | None] = mapped_column(String(1024))  # after canonicalisation
    link_status: Mapped[str] = mapped_column(String(16))  # matched | unknown_model | dynamic | local_path | default
    hub: Mapped[str | None] = mapped_column(String(32))  # huggingface | pytorch_hub | timm | spacy | ...
    library: Mapped[str] = mapped_column(String(64), index=True)
    api: Mapped[str] = mapped_column(String(255))
    line: Mapped[int | None] = mapped_column(Integer)
    col: Mapped[int | None] = mapped_column(Integer)
    cell: Mapped[int | None] = mapped_column(Integer)
    call_text: Mapped[str | None] = mapped_column(Text)
    arg_text: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str] = mapped_column(String(32))  # literal | constant | default_arg | cli_default | ...
    confidence: Mapped[float] = mapped_column(Float)
    candidates: Mapped[list | None] = mapped_column(JSONN)
    revision: Mapped[str | None] = mapped_column(String(255))
    trust_remote_code: Mapped[bool | None] = mapped_column(Boolean)
    is_local_path: Mapped[bool] = mapped_column(Boolean, default=False)
    reuse_mode: Mapped[str | None] = mapped_column(String(16))  # inference | finetune | export
    reuse_evidence: Mapped[str | None] = mapped_column(Text)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (
        Index("ix_model_reuse_current", "is_current", "model_id"),
        Index("ix_model_reuse_current_repo", "is_current", "model_id", "repository_id"),  # analysis: I-1, I-3
        Index("ix_model_reuse_repo", "repository_id", "is_current"),
    )


class DiscoveryQuery(Base):
    """A code-search query of `discover` (one per signature's import and callable, per backend) and its state:
    pending | done | failed; a finished query is not run again."""

    __tablename__ = "discovery_query"
    id: Mapped[int] = mapped_column(primary_key=True)
    backend: Mapped[str] = mapped_column(String(16))  # github | sourcegraph
    query: Mapped[str] = mapped_column(String(1024))
    library: Mapped[str] = mapped_column(String(64))
    signatures: Mapped[list] = mapped_column(JSONN)  # catalog signature ids the query stands for
    state: Mapped[str] = mapped_column(String(16), default="pending")
    hits: Mapped[int | None] = mapped_column(Integer)  # files matched
    requests: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)  # what the backend said of completeness (Sourcegraph: skipped)
    finished_at: Mapped[datetime | None] = mapped_column(TS)
    run_id: Mapped[int | None] = _fk("collection_run.id", nullable=True, ondelete="SET NULL")
    __table_args__ = (UniqueConstraint("backend", "query", name="uq_discovery_query"),)


class DiscoveryCandidate(Base):
    """A repository some discovery query matched, with the metadata the filter decided on (kept, reason)."""

    __tablename__ = "discovery_candidate"
    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(512), unique=True)  # "owner/name" (GitHub) or host/path
    host: Mapped[str] = mapped_column(String(64), default="github")
    discovered_at: Mapped[datetime] = mapped_column(TS)
    stars: Mapped[int | None] = mapped_column(Integer)
    fork: Mapped[bool | None] = mapped_column(Boolean)
    archived: Mapped[bool | None] = mapped_column(Boolean)
    private: Mapped[bool | None] = mapped_column(Boolean)
    checked_at: Mapped[datetime | None] = mapped_column(TS)  # repository metadata fetched
    kept: Mapped[bool | None] = mapped_column(Boolean)  # passed the filter (None: not checked yet)
    reason: Mapped[str | None] = mapped_column(String(64))  # why not kept: fork | archived | private | stars | ...


class DiscoveryMatch(Base):
    """A file of a candidate repository that a discovery query matched."""

    __tablename__ = "discovery_match"
    id: Mapped[int] = mapped_column(primary_key=True)
    query_id: Mapped[int] = _fk("discovery_query.id")
    candidate_id: Mapped[int] = _fk("discovery_candidate.id")
    path: Mapped[str] = mapped_column(String(2048))
    discovered_at: Mapped[datetime] = mapped_column(TS)
    __table_args__ = (UniqueConstraint("query_id", "candidate_id", "path", name="uq_discovery_match"),)


# Repository history (views created by migration f0b8f8f0c942), over the scans of each repository scanned at
# more than one commit, ordered by commit date (scanned_at when the date is unknown); a model is a load's canonical id (raw id when none), local
# paths left out. `reuse_change`: per scan, the models `present` in a repository's first scan, `added` since
# the scan before, `dropped` since it, or whose pinned `revision` changed. `reuse_lag`: per scan and model
# pinned to a revision, the model commit it names (a commit id, a prefix of one, or a tag) and the commits
# the model's repository made after it up to the repository's commit (technical lag; needs deep snapshots).
reuse_change_view = Table(
    "reuse_change", VIEWS, Column("repository_id", Integer), Column("scan_id", Integer), Column("seq", Integer),
    Column("commit_sha", String(64)), Column("committed_at", TS), Column("model", String(1024)),
    Column("model_id", Integer), Column("change", String(16)), Column("old_revision", String(255)),
    Column("new_revision", String(255)))
reuse_lag_view = Table(
    "reuse_lag", VIEWS, Column("repository_id", Integer), Column("scan_id", Integer), Column("seq", Integer),
    Column("commit_sha", String(64)), Column("committed_at", TS), Column("model", String(1024)),
    Column("model_id", Integer), Column("revision", String(255)), Column("pinned_commit", String(64)),
    Column("pinned_at", TS), Column("commits_behind", Integer), Column("latest_at", TS))


# --------------------------------------------------------------------------- GitHub activity


class GithubUser(Base):
    __tablename__ = "github_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    is_bot: Mapped[bool | None] = mapped_column(Boolean)


class GithubMilestone(Base):
    __tablename__ = "github_milestone"
    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = _fk("reuse_repository.id")
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    due_on: Mapped[datetime | None] = mapped_column(TS)
    __table_args__ = (UniqueConstraint("repository_id", "number", name="uq_github_milestone"),)


class GithubIssue(Base):
    """An issue or a pull request (is_pull_request) of a reuse repository, or of a model's GitHub repo."""

    __tablename__ = "github_issue"
    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = _fk("reuse_repository.id")
    node_id: Mapped[str | None] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    is_pull_request: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = _fk("github_user.id", nullable=True, ondelete="SET NULL")
    title: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(String(16))
    closed: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[datetime | None] = mapped_column(TS)
    updated_at: Mapped[datetime | None] = mapped_column(TS)
    closed_at: Mapped[datetime | None] = mapped_column(TS)
    url: Mapped[str | None] = mapped_column(String(1024))
    milestone_id: Mapped[int | None] = _fk("github_milestone.id", nullable=True, ondelete="SET NULL")
    project_cards: Mapped[list | None] = mapped_column(JSONN)
    # pull-request fields (null for issues)
    additions: Mapped[int | None] = mapped_column(Integer)
    deletions: Mapped[int | None] = mapped_column(Integer)
    changed_files: Mapped[int | None] = mapped_column(Integer)
    base_ref_name: Mapped[str | None] = mapped_column(String(255))
    head_ref_name: Mapped[str | None] = mapped_column(String(255))
    head_repository: Mapped[str | None] = mapped_column(String(512))
    head_repository_owner: Mapped[str | None] = mapped_column(String(255))
    is_cross_repository: Mapped[bool | None] = mapped_column(Boolean)
    is_draft: Mapped[bool | None] = mapped_column(Boolean)
    maintainer_can_modify: Mapped[bool | None] = mapped_column(Boolean)
    merge_commit_oid: Mapped[str | None] = mapped_column(String(64))
    potential_merge_commit_oid: Mapped[str | None] = mapped_column(String(64))
    merge_state_status: Mapped[str | None] = mapped_column(String(32))
    mergeable: Mapped[str | None] = mapped_column(String(32))
    merged_at: Mapped[datetime | None] = mapped_column(TS)
    merged_by_id: Mapped[int | None] = _fk("github_user.id", nullable=True, ondelete="SET NULL")
    review_decision: Mapped[str | None] = mapped_column(String(32))
    __table_args__ = (UniqueConstraint("repository_id", "number", name="uq_github_issue"),)


issue_to_assignee = _link_table("github_issue_assignee", "github_issue", "github_user")
issue_to_review_request = _link_table("github_issue_review_request", "github_issue", "github_user")


class GithubLabel(Base):
    __tablename__ = "github_label"
    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = _fk("reuse_repository.id")
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str | None] = mapped_column(String(16))
    __table_args__ = (UniqueConstraint("repository_id", "name", name="uq_github_label"),)


issue_to_label = _link_table("github_issue_label", "github_issue", "github_label")


class GithubComment(Base):
    __tablename__ = "github_comment"
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = _fk("github_issue.id")
    node_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    author_id: Mapped[int | None] = _fk("github_user.id", nullable=True, ondelete="SET NULL")
    author_association: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None] = mapped_column(TS)
    includes_created_edit: Mapped[bool | None] = mapped_column(Boolean)
    is_minimized: Mapped[bool | None] = mapped_column(Boolean)
    minimized_reason: Mapped[str | None] = mapped_column(String(64))


class GithubReview(Base):
    __tablename__ = "github_review"
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = _fk("github_issue.id")
    node_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    author_id: Mapped[int | None] = _fk("github_user.id", nullable=True, ondelete="SET NULL")
    author_association: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(String(32))
    submitted_at: Mapped[datetime | None] = mapped_column(TS)
    includes_created_edit: Mapped[bool | None] = mapped_column(Boolean)


class GithubCommit(Base):
    """A commit of a pull request, or a mined commit of a reuse repository."""

    __tablename__ = "github_commit"
    id: Mapped[int] = mapped_column(primary_key=True)
    repository_id: Mapped[int] = _fk("reuse_repository.id")
    oid: Mapped[str] = mapped_column(String(64))
    issue_id: Mapped[int | None] = _fk("github_issue.id", nullable=True)
    authored_date: Mapped[datetime | None] = mapped_column(TS)
    committed_date: Mapped[datetime | None] = mapped_column(TS)
    message_headline: Mapped[str | None] = mapped_column(Text)
    message_body: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list | None] = mapped_column(JSONN)
    __table_args__ = (UniqueConstraint("repository_id", "oid", "issue_id", name="uq_github_commit"),)


class GithubPullRequestFile(Base):
    __tablename__ = "github_pull_request_file"
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = _fk("github_issue.id")
    path: Mapped[str] = mapped_column(String(2048))
    additions: Mapped[int | None] = mapped_column(Integer)
    deletions: Mapped[int | None] = mapped_column(Integer)


class GithubStatusCheck(Base):
    __tablename__ = "github_status_check"
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = _fk("github_issue.id")
    name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(String(32))
    conclusion: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime | None] = mapped_column(TS)
    completed_at: Mapped[datetime | None] = mapped_column(TS)
    details_url: Mapped[str | None] = mapped_column(String(1024))


class GithubReactionGroup(Base):
    __tablename__ = "github_reaction_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int | None] = _fk("github_issue.id", nullable=True)
    comment_id: Mapped[int | None] = _fk("github_comment.id", nullable=True)
    review_id: Mapped[int | None] = _fk("github_review.id", nullable=True)
    content: Mapped[str] = mapped_column(String(32))
    total_count: Mapped[int] = mapped_column(Integer)


# --------------------------------------------------------------------------- card extraction


class CardField(Base):
    """One extracted metadata value of a model card, with its evidence."""

    __tablename__ = "card_field"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = _fk("model.id")
    card_id: Mapped[int | None] = _fk("model_card.id", nullable=True, ondelete="SET NULL")
    run_id: Mapped[int | None] = _fk("collection_run.id", nullable=True, ondelete="SET NULL")
    pipeline: Mapped[str] = mapped_column(String(16))  # rules | cheap | accurate
    field: Mapped[str] = mapped_column(String(64), index=True)
    item_index: Mapped[int] = mapped_column(Integer, default=0)  # position in a list field
    state: Mapped[str] = mapped_column(String(16))  # value | not_stated
    value: Mapped[dict | list | str | int | float | None] = mapped_column(JSONN)
    value_text: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))  # yaml | tags | prose-rule | llm
    evidence_start: Mapped[int | None] = mapped_column(Integer)
    evidence_end: Mapped[int | None] = mapped_column(Integer)
    evidence_text: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(Text)
    review_status: Mapped[str | None] = mapped_column(String(16))  # pending | accepted | rejected | corrected
    reviewed_value: Mapped[dict | list | str | int | float | None] = mapped_column(JSONN)
    __table_args__ = (
        Index("ix_card_field_model", "model_id", "pipeline", "field"),
        Index("ix_card_field_coverage", "pipeline", "field", "model_id", "state"),  # analysis: Figure 7, PTM-1
    )


class LlmCall(Base):
    """Response cache and cost ledger for LLM calls, keyed by model and prompt hash."""

    __tablename__ = "llm_call"
    id: Mapped[int] = mapped_column(primary_key=True)
    cache_key: Mapped[str] = mapped_column(String(128), unique=True)
    llm_model: Mapped[str] = mapped_column(String(255))
    prompt_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[str | None] = mapped_column(Text)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    cost_usd: Mapped[float | None] = mapped_column(Float)
    latency_s: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime | None] = mapped_column(TS)


# --------------------------------------------------------------------------- licenses


class LicenseVerdict(Base):
    """A compatibility verdict: a model's license against a repository's, or along a lineage edge."""

    __tablename__ = "license_verdict"
    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = _fk("collection_run.id", nullable=True, ondelete="SET NULL")
    kind: Mapped[str] = mapped_column(String(16), default="dependency")  # dependency | lineage
    rules: Mapped[str] = mapped_column(String(32))  # paper | osadl+ml
    model_id: Mapped[int | None] = _fk("model.id", nullable=True)
    repository_id: Mapped[int | None] = _fk("reuse_repository.id", nullable=True)
    parent_model_id: Mapped[int | None] = _fk("model.id", nullable=True)
    upstream_license: Mapped[str | None] = mapped_column(String(1024))
    downstream_license: Mapped[str | None] = mapped_column(String(1024))
    verdict: Mapped[str] = mapped_column(String(16), index=True)  # compatible | conditional | incompatible | unknown | conflict
    condition: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    rule_source: Mapped[str | None] = mapped_column(String(255))
    context: Mapped[dict | None] = mapped_column(JSONN)
