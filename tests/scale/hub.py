"""A small Hub for the crash and fault tests: hand-made records plus cards and refs for the deep phase."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "registries"))
from hubdata import make_records  # noqa: E402

CARD = "---\nlicense: mit\nbase_model: org0/model-0\n---\n# {id}\n\nFine-tuned from org0/model-0 on set{n}.\n"


def _put(folder: Path, path: str, body: str) -> None:
    (folder / quote(path.lstrip("/"), safe="")).write_text(body)


def hub_data(folder: Path, n: int) -> tuple[list[dict], Path]:
    """`n` records and a folder of extra responses (README cards, refs, commits, discussions) for a `RecordSource`."""
    records = make_records(n)
    extra = folder / "extra"
    extra.mkdir(parents=True, exist_ok=True)
    for i, rec in enumerate(records):
        _put(extra, f"/{rec['id']}/resolve/{rec['sha']}/README.md", CARD.format(id=rec["id"], n=i % 3))
        _put(extra, f"/api/models/{rec['id']}/refs?include_prs=1", json.dumps(
            {"branches": [{"name": "main", "ref": "refs/heads/main", "targetCommit": rec["sha"]}],
             "converts": [], "tags": [], "pullRequests": []}))
        # commits and discussions answered like the Hub does for a model without any (a 404 is an error row)
        _put(extra, f"/api/models/{rec['id']}/commits/main", "[]")
        _put(extra, f"/api/models/{rec['id']}/discussions?p=0", json.dumps({"discussions": [], "count": 0, "start": 0}))
    return records, extra
