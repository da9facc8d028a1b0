"""A model's license for `check` and `bom`, through a chain: the database, recorded hub data (`--hub-data`),
the local cache, the Hub (`huggingface_hub`), then bundled facts for models loaded through libraries
(data/library_models.csv). The Hub is asked only for Hub repositories, a bounded number at a time; a 404
is "not on the Hub", kept apart from "license unknown". `offline` (or $HF_HUB_OFFLINE=1) asks nothing;
`refresh` ignores the cache."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fnmatch import fnmatch
from importlib import resources
from pathlib import Path

from peatmoss.core.identity import Identity, ModelResolver, parse

from .normalize import NONE, Normalized, normalize

CACHE_TTL = 7 * 24 * 3600  # seconds a cached Hub answer is used
HUB_DEFAULT = "https://huggingface.co"
FOUND, NOT_ON_HUB, UNKNOWN = "found", "not-on-hub", "unknown"


@dataclass
class ModelInfo:
    model: str
    license: Normalized
    source: str  # database | hub-data | cache | hub | bundled | none
    hub_url: str | None = None
    canonical: str | None = None  # the model's id (its row's when found), see peatmoss.core.identity
    status: str = FOUND  # found | not-on-hub | unknown
    sha: str | None = None  # the Hub's current commit of the repository
    card: dict = field(default_factory=dict)  # task, datasets, architecture, library, parameters
    purl: str | None = None  # for models that are not Hub repositories (bundled facts)
    fact: dict | None = None  # the bundled fact row used (source_url, applies, note)


def _hub_url(model: str, hub: str | None) -> str | None:
    if hub in (None, "huggingface", "hf", "transformers", "diffusers", "sentence_transformers", "timm"):
        return f"https://huggingface.co/{model}"
    if hub == "pytorch_hub":
        return f"https://github.com/{model.rsplit('/', 1)[0]}" if model.count("/") >= 2 else None
    return None


def load_hub_data(path: Path | None) -> dict[str, dict]:
    """Recorded hub data: {model_id: license string | {license, license_name, license_link} | Hub API record},
    a list of Hub API records (id, cardData, tags), or a folder of such records (one JSON file each).
    Keys are lower-cased (the id as written is kept under "id"); look-ups go through the model identity."""
    if path is None:
        return {}
    path = Path(path)
    if path.is_dir():  # a folder of recorded `GET /api/models/{id}` bodies
        data = []
        for file in sorted(path.glob("*.json")):
            try:
                record = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and ("cardData" in record or "tags" in record):
                data.append(record)
    else:
        data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict] = {}
    items = data.items() if isinstance(data, dict) else ((r.get("id") or r.get("modelId"), r) for r in data)
    for key, value in items:
        if not key:
            continue
        if isinstance(value, str) or value is None:
            value = {"license": value}
        if not isinstance(key, str) or not isinstance(value, dict):
            continue
        out[key.lower()] = {"id": key, **_record_facts(value)}
    return out


def _record_facts(value: dict) -> dict:
    """License and card facts of a Hub API record (or a {license, license_name, license_link} dict)."""
    card = value.get("cardData") or value.get("card_data") or {}
    card = card if isinstance(card, dict) else {}
    lic = value.get("license", card.get("license"))
    if lic is None:
        tags = [t[8:] for t in value.get("tags") or [] if isinstance(t, str) and t.startswith("license:")]
        lic = tags[0] if tags else None
    config = value.get("config") if isinstance(value.get("config"), dict) else {}
    safetensors = value.get("safetensors") if isinstance(value.get("safetensors"), dict) else {}
    datasets = card.get("datasets")
    facts = {"task": value.get("pipeline_tag") or card.get("pipeline_tag"),
             "datasets": [datasets] if isinstance(datasets, str) else datasets,
             "architecture": (config.get("architectures") or [None])[0] if config.get("architectures") else None,
             "library": value.get("library_name") or card.get("library_name"),
             "parameters": safetensors.get("total")}
    return {"license": lic, "license_name": value.get("license_name", card.get("license_name")),
            "license_link": value.get("license_link", card.get("license_link")), "sha": value.get("sha"),
            "card": {k: v for k, v in facts.items() if v}}


def lookup_model(model: str, hub: str | None, url: str | None, hub_data: dict[str, dict],
                 library: str | None = None) -> ModelInfo:
    """The license of one reference from the database and recorded hub data only (no cache, no Hub)."""
    return Lookup(url, hub_data, offline=True, use_cache=False).one(model, hub, library)


def _from_db(model: str, library: str | None, hub: str | None, url: str) -> tuple[Identity, Normalized, dict] | None:
    from peatmoss.db import session_scope
    from peatmoss.db.models import Model

    from .modellicense import model_expression, model_licenses

    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).is_file():
        return None  # no database: do not create an empty one
    try:
        with session_scope(url) as session:
            ident = ModelResolver(session).resolve(model, library=library, hub=hub)
            if ident.model_id is None:
                return None
            row = session.get(Model, ident.model_id)
            names = model_licenses(session).get(row.id, [])
            return ident, model_expression(row, names), _db_card(session, row)
    except Exception:  # no database, or an old schema: fall back to the next source
        return None


def _db_card(session, row) -> dict:
    """Card facts of a model row: the Hub's fields, then the extracted card fields (card_field) when present."""
    from sqlalchemy import select

    from peatmoss.db.models import CardField

    card = {"task": row.pipeline_tag, "library": row.library_name, "parameters": row.parameter_count}
    wanted = {"datasets": "datasets", "architecture": "architecture", "limitations": "limitations",
              "parameters": "parameters", "task": "task"}
    for f in session.scalars(select(CardField).where(CardField.model_id == row.id, CardField.state == "value",
                                                     CardField.field.in_(list(wanted)))):
        value = f.reviewed_value if f.review_status == "corrected" else f.value
        if f.field == "datasets":
            card.setdefault("datasets", [])
            card["datasets"] = (card["datasets"] or []) + [value]
        elif not card.get(wanted[f.field]):
            card[wanted[f.field]] = value
    return {k: v for k, v in card.items() if v}


def library_facts() -> list[dict]:
    """The bundled rows of data/library_models.csv."""
    text = resources.files("peatmoss.licenses").joinpath("data/library_models.csv").read_text("utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def find_fact(facts: list[dict], model: str, library: str | None, hub: str | None) -> dict | None:
    name = model.strip().lower()
    for row in facts:
        if row["library"] in (library, hub) and fnmatch(name, row["name"]):
            return {**row, "hub_id": row["hub_id"].replace("{name}", model.strip())}
    return None


def _hub_repo(ident: str) -> bool:
    """Could this id be a Hub repository (`name` or `namespace/name`)?"""
    return "://" not in ident and ident.count("/") <= 1 and bool(ident.strip("/"))


class Lookup:
    """Looks models up through the chain; `many` runs Hub look-ups `workers` at a time."""

    def __init__(self, url: str | None = None, hub_data: dict[str, dict] | None = None, *,
                 endpoint: str | None = None, offline: bool = False, refresh: bool = False,
                 use_cache: bool = True, ttl: float = CACHE_TTL, workers: int = 8):
        self.url, self.hub_data = url, hub_data or {}
        self.endpoint = (endpoint or os.environ.get("HF_ENDPOINT") or HUB_DEFAULT).rstrip("/")
        offline = offline or os.environ.get("HF_HUB_OFFLINE", "").upper() in ("1", "ON", "YES", "TRUE")
        self.offline, self.refresh, self.use_cache, self.ttl, self.workers = offline, refresh, use_cache, ttl, workers
        self.facts = library_facts()
        self._held = ModelResolver.from_ids(self.hub_data) if self.hub_data else None

    def many(self, refs: list[tuple[str, str | None, str | None]]) -> list[ModelInfo]:
        """(model, hub, library) references -> their ModelInfo, in order."""
        if len(refs) <= 1:
            return [self.one(*r) for r in refs]
        with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(refs)))) as pool:
            return list(pool.map(lambda r: self.one(*r), refs))

    def one(self, model: str, hub: str | None = None, library: str | None = None) -> ModelInfo:
        ident = parse(model, library=library, hub=hub)
        if self.url:
            found = _from_db(model, library, hub, self.url)
            if found is not None:
                row, norm, card = found
                return ModelInfo(model, norm, "database", _hub_url(row.id, hub), row.id, card=card)
        if self._held is not None:
            held = self._held.resolve(model, library=library, hub=hub)
            if held.id.lower() in self.hub_data:
                rec = self.hub_data[held.id.lower()]
                held_id = rec.get("id") or held.id
                return ModelInfo(model, _license(rec), "hub-data", _hub_url(held_id, hub), held_id,
                                 sha=rec.get("sha"), card=rec.get("card") or {})
        fact = find_fact(self.facts, model, library, hub)
        repo = fact["hub_id"] if fact and fact["hub_id"] else (ident.id if not fact else None)
        status, answer = UNKNOWN, None
        if repo and _hub_repo(repo) and hub not in ("pytorch_hub", "github", "url", "local"):
            status, answer, source = self._hub(repo)
            if answer is not None:
                norm = _license(answer)
                if norm.expression not in (None, NONE) or not (fact and fact["license"]):
                    hub_id = answer.get("id") or repo
                    return ModelInfo(model, norm, source, f"https://huggingface.co/{hub_id}", hub_id,
                                     status=FOUND, sha=answer.get("sha"), card=answer.get("card") or {},
                                     purl=(fact or {}).get("purl") or None)
        if fact and fact["license"]:
            norm = normalize(fact["license"])
            return ModelInfo(model, norm, "bundled", fact["source_url"], repo or ident.id, status=FOUND,
                             purl=fact["purl"] or None, fact=fact)
        reason = "not on the Hub" if status == NOT_ON_HUB else \
            "model license not found (not in the database, the cache, the Hub or the bundled facts)"
        if self.offline and status != NOT_ON_HUB:
            reason += "; offline: the Hub was not asked"
        return ModelInfo(model, Normalized(None, None, "unrecognised", reason), "none",
                         _hub_url(ident.id, hub), ident.id, status=status)

    # --- cache and Hub

    def _cache_file(self, repo: str) -> Path:
        from peatmoss.core.paths import cache_dir

        digest = hashlib.sha256(f"{self.endpoint}\n{repo.lower()}".encode()).hexdigest()[:32]
        return cache_dir("hub-models") / f"{digest}.json"

    def _hub(self, repo: str) -> tuple[str, dict | None, str]:
        """(status, facts or None, source) of a Hub repository: from the cache, else the Hub."""
        if self.use_cache and not self.refresh:
            try:
                held = json.loads(self._cache_file(repo).read_text(encoding="utf-8"))
                if time.time() - held["fetched"] < self.ttl:
                    return held["status"], held.get("facts"), "cache"
            except (OSError, ValueError, KeyError, TypeError):
                pass
        if self.offline:
            return UNKNOWN, None, "none"
        status, facts = ask_hub(self.endpoint, repo)
        if self.use_cache and status != UNKNOWN:  # failures are not cached
            self._cache_file(repo).write_text(json.dumps({"fetched": time.time(), "status": status, "facts": facts}),
                                              encoding="utf-8")
        return status, facts, "hub"


def _license(rec: dict) -> Normalized:
    return normalize(rec.get("license"), rec.get("license_name"), rec.get("license_link"))


def ask_hub(endpoint: str, repo: str) -> tuple[str, dict | None]:
    """One `model_info` call: (found, facts) | (not-on-hub, None) | (unknown, None) on any other failure.
    The token comes from $HF_TOKEN through huggingface_hub; it is never logged or stored."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    from peatmoss.core import http

    api = HfApi(endpoint=endpoint, token=os.environ.get("HF_TOKEN") or False)
    try:
        info = http.call(http.Policy(retries=2, max_wait=2.0), api.model_info, repo)
    except HfHubHTTPError as exc:
        code = getattr(exc.response, "status_code", None)
        return (NOT_ON_HUB if code == 404 else UNKNOWN), None
    except Exception:  # noqa: BLE001 - network failure or an unreadable answer: the chain goes on
        return UNKNOWN, None
    card = info.card_data.to_dict() if info.card_data is not None else {}
    record = {"id": info.id, "sha": info.sha, "cardData": card, "tags": info.tags or [],
              "pipeline_tag": info.pipeline_tag, "library_name": info.library_name,
              "config": info.config if isinstance(info.config, dict) else {},
              "safetensors": {"total": info.safetensors.total} if info.safetensors else {}}
    return FOUND, {"id": info.id, **_record_facts(record)}
