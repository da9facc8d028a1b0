"""Links the model ids written in code to rows of the model table, through the one model identity
(peatmoss.core.identity: case, legacy ids, hub prefixes, revisions, library names).

Link status: matched | unknown_model (no such model in the table) | dynamic | local_path | default
(a library's task default, linked to its model when we have it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from peatmoss.core.identity import ModelResolver
from peatmoss.core.identity import split_ref as split_id

__all__ = ["Canonicalizer", "Link", "split_id"]


@dataclass
class Link:
    model_id: int | None
    canonical: str | None
    status: str
    revision: str | None = None


class Canonicalizer:
    """Links ids to the model table (read once); without a session only the identity rules apply."""

    def __init__(self, session: Session | None = None):
        self.resolver = ModelResolver(session, preload=True)
        self.has_db = session is not None

    def link(self, model: str | None, *, library: str | None = None, hub: str | None = None,
             is_local_path: bool = False, resolution: str | None = None, revision: str | None = None) -> Link:
        if is_local_path:
            return Link(None, None, "local_path", revision)
        if not model:
            return Link(None, None, "dynamic", revision)
        found = self.resolver.resolve(model, library=library, hub=hub)
        status = "default" if resolution == "task_default" else "matched" if found.model_id is not None \
            else "unknown_model"
        return Link(found.model_id, found.id, status, revision or found.revision)
