"""A synthetic PTM-supply-chain database with realistic skew, for the speed benchmark and the tests.

Fills every table the analysis reads (models over N months, snapshots, repositories, scans, links, card
extraction, lineage, licenses, verdicts, PyTorch Hub pages, issues). Never used on a real database.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from sqlalchemy import insert

from ..db import get_engine, init_db
from ..db import models as M
from .domains import task_domains

LICENSES = ["apache-2.0", "mit", "openrail", "cc-by-4.0", "cc-by-nc-4.0", "llama2", "gpl-3.0", "bsd-3-clause",
            "creativeml-openrail-m", "other", "afl-3.0", "cc-by-sa-4.0", "agpl-3.0", "unknown"]
SPDX = {"apache-2.0": "Apache-2.0", "mit": "MIT", "cc-by-4.0": "CC-BY-4.0", "cc-by-nc-4.0": "CC-BY-NC-4.0",
        "gpl-3.0": "GPL-3.0-only", "bsd-3-clause": "BSD-3-Clause", "afl-3.0": "AFL-3.0",
        "cc-by-sa-4.0": "CC-BY-SA-4.0", "agpl-3.0": "AGPL-3.0-only"}
REPO_LICENSES = ["MIT", "Apache-2.0", "NONE", "GPL-3.0-only", "BSD-3-Clause", "AGPL-3.0-only", "CC-BY-NC-4.0"]
FIELDS = ["datasets", "license", "parameters", "evaluation", "hardware", "limitations", "language",
          "training_procedure", "base_model", "carbon_emitted"]
HUB_TAGS = [["nlp"], ["vision"], ["audio"], ["generative", "vision"], ["nlp", "vision"], ["researchers"],
            ["object_detection"], ["segmentation"]]
STRIDE = 20_000


def _put(conn, table, rows: list[dict]) -> None:
    keys = {k for row in rows for k in row}
    rows = [row if len(row) == len(keys) else {k: row.get(k) for k in keys} for row in rows]
    for i in range(0, len(rows), STRIDE):
        conn.execute(insert(table), rows[i:i + STRIDE])


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(float(ts), tz=timezone.utc)


def generate(url: str, models: int = 3000, months: int = 30, repositories: int = 300, links: int = 450,
             extractions: int = 150, snapshots: int = 3, seed: int = 0) -> dict:
    """Create and fill the database at `url` (which should be new); returns the sizes written."""
    rng = np.random.default_rng(seed)
    engine = init_db(url)
    with engine.begin() as conn:  # every index the schema declares, also those newer than the migrations
        for table in M.Base.metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)
    start = datetime(2021, 1, 1, tzinfo=timezone.utc).timestamp()
    span = months * 30.44 * 86400
    end = start + span
    tasks = sorted(task_domains())
    task_w = rng.zipf(1.6, len(tasks)).astype(float)
    task_w /= task_w.sum()
    n_pt = max(1, models // 800)
    with engine.begin() as conn:
        _put(conn, M.Registry.__table__, [{"id": 1, "name": "huggingface"}, {"id": 2, "name": "pytorch_hub"}])
        runs, rid = [], 0
        snap_times = [end - (snapshots - 1 - i) * 30.44 * 86400 for i in range(snapshots)]
        for reg in (1, 2):
            for i, t in enumerate(snap_times):
                rid += 1
                runs.append({"id": rid, "stage": "collect", "source": "synthetic", "registry_id": reg,
                             "key": f"snap-{reg}-{i}", "snapshot_date": _dt(t), "started_at": _dt(t),
                             "finished_at": _dt(t), "status": "complete"})
        mine_run, extract_run = rid + 1, rid + 2
        for i, stage in ((mine_run, "mine"), (extract_run, "extract")):
            runs.append({"id": i, "stage": stage, "source": "synthetic", "key": stage, "started_at": _dt(end),
                         "status": "complete"})
        _put(conn, M.CollectionRun.__table__, runs)

        # models: growth over time, heavy-tailed downloads, missing dates/sizes/tags
        created = start + span * rng.beta(2.2, 1.0, models)
        downloads = np.minimum(rng.pareto(0.9, models) * 5, 5e8).astype(np.int64)
        task_idx = rng.choice(len(tasks), models, p=task_w)
        has_task = rng.random(models) > 0.3
        has_date = rng.random(models) > 0.02
        params = np.exp(rng.normal(19, 2.2, models) + (created - start) / span * 1.5).astype(np.int64)
        has_params = rng.random(models) > 0.4
        suffix = np.array(["", "", "", "-gguf", "-7b", "-finetuned-squad", "-v2", "-base", "-large", "-lora",
                           "-awq", "-int8", "-en"])
        suf = rng.choice(len(suffix), models)
        rows = []
        for i in range(models):
            pt = i < n_pt
            rows.append({
                "id": i + 1, "registry_id": 2 if pt else 1,
                "hub_id": f"pytorch/vision/model{i}" if pt else f"user{i % 9973}/model-{i}{suffix[suf[i]]}",
                "created_at": _dt(created[i]) if has_date[i] else None,
                "pipeline_tag": tasks[task_idx[i]] if has_task[i] and not pt else None,
                "parameter_count": int(params[i]) if has_params[i] else None,
                "downloads": int(downloads[i]), "likes": int(downloads[i] // 200),
                "has_snapshot": bool(downloads[i] > 50), "first_seen_run_id": 1, "last_seen_run_id": snapshots,
            })
        _put(conn, M.Model.__table__, rows)

        n_stats = 0
        for i, t in enumerate(snap_times):  # one snapshot at a time, so 30 snapshots fit in memory
            factor = 0.6 + 0.6 * i / max(snapshots - 1, 1)
            for reg in (1, 2):
                run = (reg - 1) * snapshots + i + 1
                alive = np.nonzero((created <= t) & ((np.arange(models) < n_pt) == (reg == 2)))[0]
                stats = [{"run_id": run, "model_id": int(m) + 1, "downloads": int(downloads[m] * factor)}
                         for m in alive]
                _put(conn, M.ModelStats.__table__, stats)
                n_stats += len(stats)

        _put(conn, M.License.__table__, [{"id": i + 1, "name": n, "spdx_expression": SPDX.get(n)}
                                         for i, n in enumerate(LICENSES)])
        lic_w = 1 / np.arange(1, len(LICENSES) + 1) ** 1.3
        model_lic = rng.choice(len(LICENSES), models, p=lic_w / lic_w.sum())
        licensed = rng.random(models) > 0.3
        _put(conn, M.model_to_license, [{"model_id": i + 1, "license_id": int(model_lic[i]) + 1, "source": "tag"}
                                        for i in range(models) if licensed[i]])

        # lineage: a tenth of the models derive from a more popular, older one
        popular = np.argsort(-downloads)[: max(1, models // 50)]
        children = rng.choice(models, models // 10, replace=False)
        relations = ["finetune", "adapter", "quantized", "merge"]
        _put(conn, M.ModelEdge.__table__, [
            {"child_id": int(c) + 1, "parent_id": int(p) + 1, "parent_raw_id": rows[p]["hub_id"],
             "relation": relations[int(c) % 4], "source": "tag", "confidence": 1.0}
            for c, p in zip(children, rng.choice(popular, len(children))) if c != p])

        # repositories, scans (some repeated, changing models), links skewed to popular models
        repo_lic = rng.choice(REPO_LICENSES, repositories)
        _put(conn, M.ReuseRepository.__table__, [
            {"id": r + 1, "host": "github", "full_name": f"org{r % 997}/app-{r}", "stars": int(rng.pareto(1.2) * 10),
             "license_spdx": str(repo_lic[r])} for r in range(repositories)])
        rescanned = rng.random(repositories) < 0.2
        scans, sid = [], 0
        current_scan = {}
        old_scan = {}
        for r in range(repositories):
            if rescanned[r]:
                sid += 1
                old_scan[r] = sid
                scans.append({"id": sid, "repository_id": r + 1, "run_id": mine_run, "commit_sha": f"old{r}",
                              "scanned_at": _dt(end - 86400 * 90), "is_current": False})
            sid += 1
            current_scan[r] = sid
            scans.append({"id": sid, "repository_id": r + 1, "run_id": mine_run, "commit_sha": f"head{r}",
                          "scanned_at": _dt(end), "is_current": True})
        _put(conn, M.RepoScan.__table__, scans)
        weights = np.sqrt(downloads.astype(float) + 1)
        weights /= weights.sum()
        link_models = rng.choice(models, links, p=weights)
        link_repos = rng.choice(repositories, links)
        matched = rng.random(links) > 0.15
        libs = ["transformers", "diffusers", "sentence-transformers", "timm", "torch.hub"]
        reuse = []
        for k in range(links):
            m, r = int(link_models[k]), int(link_repos[k])
            base = {"repository_id": r + 1, "library": libs[k % len(libs)], "api": "from_pretrained",
                    "resolution": "literal", "confidence": 1.0, "reuse_mode": ["inference", "finetune"][k % 2],
                    "hub": "pytorch_hub" if m < n_pt else "huggingface"}
            mid = m + 1 if matched[k] else None
            reuse.append({**base, "scan_id": current_scan[r], "model_id": mid, "raw_model_id": rows[m]["hub_id"],
                          "canonical_model_id": rows[m]["hub_id"], "is_current": True,
                          "link_status": "matched" if mid else "unknown_model"})
            if r in old_scan:
                old = int(rng.choice(models, p=weights)) if k % 3 == 0 else m
                reuse.append({**base, "scan_id": old_scan[r], "model_id": old + 1, "raw_model_id": rows[old]["hub_id"],
                              "canonical_model_id": rows[old]["hub_id"], "is_current": False, "link_status": "matched"})
        _put(conn, M.ModelReuse.__table__, reuse)

        # license verdicts for current matched links
        verdicts = []
        for row in reuse:
            if not row["is_current"] or row["model_id"] is None:
                continue
            m = row["model_id"] - 1
            up = LICENSES[model_lic[m]] if licensed[m] else None
            down = str(repo_lic[row["repository_id"] - 1])
            if up is None or down == "NONE" or up in ("other", "unknown"):
                verdict = "unknown"
            elif up in ("cc-by-nc-4.0", "llama2", "gpl-3.0", "agpl-3.0") and down in ("MIT", "Apache-2.0"):
                verdict = "incompatible"
            else:
                verdict = "compatible"
            verdicts.append({"kind": "dependency", "rules": "paper", "model_id": m + 1,
                             "repository_id": row["repository_id"], "upstream_license": SPDX.get(up, up),
                             "downstream_license": down, "verdict": verdict, "reason": "synthetic"})
        _put(conn, M.LicenseVerdict.__table__, verdicts)

        # card extraction: rules for all extracted models, LLM for a part
        extracted = rng.choice(models, min(extractions, models), replace=False)
        stated_p = rng.uniform(0.05, 0.9, len(FIELDS))
        cards = []
        for n, m in enumerate(extracted):
            for pipeline, every, lift in (("rules", 1, 0.0), ("cheap", 3, 0.1), ("accurate", 10, 0.15)):
                if n % every:
                    continue
                for f, p in zip(FIELDS, stated_p):
                    state = "value" if rng.random() < min(p + lift, 1) else "not_stated"
                    cards.append({"model_id": int(m) + 1, "run_id": extract_run, "pipeline": pipeline, "field": f,
                                  "state": state, "value_text": "x" if state == "value" else None,
                                  "source": "yaml" if pipeline == "rules" else "llm", "confidence": 0.9})
        _put(conn, M.CardField.__table__, cards)

        pages = [{"id": i + 1, "slug": f"page{i}", "title": f"page {i}", "tags": HUB_TAGS[i % len(HUB_TAGS)]}
                 for i in range(n_pt)]
        _put(conn, M.PytorchHubPage.__table__, pages)
        tag_names = sorted({t for tags in HUB_TAGS for t in tags})  # as collection writes them: model_to_tag
        _put(conn, M.Tag.__table__, [{"id": i + 1, "name": t, "kind": "other", "value": t}
                                     for i, t in enumerate(tag_names)])
        _put(conn, M.model_to_tag, [{"model_id": i + 1, "tag_id": tag_names.index(t) + 1}
                                    for i in range(n_pt) for t in dict.fromkeys(HUB_TAGS[i % len(HUB_TAGS)])])
        _put(conn, M.PytorchHubEntry.__table__, [{"page_id": i + 1, "model_id": i + 1, "repo": "pytorch/vision",
                                                  "entrypoint": f"model{i}", "source": "page"} for i in range(n_pt)])
        issues = [{"repository_id": int(r) + 1, "number": k + 1, "is_pull_request": bool(k % 3 == 0),
                   "title": ["Update model to v2", "Crash when loading the model", "Add docs", "bump deps"][k % 4],
                   "state": ["OPEN", "CLOSED"][k % 2], "created_at": _dt(end - k * 3600)}
                  for k, r in enumerate(rng.choice(repositories, repositories))]
        _put(conn, M.GithubIssue.__table__, issues)
    return {"models": models, "model_stats": n_stats, "repositories": repositories, "links": len(reuse),
            "card_field": len(cards), "model_edge": len(children), "license_verdict": len(verdicts)}


def main() -> None:  # pragma: no cover - convenience
    import sys
    print(generate(sys.argv[1]))


if __name__ == "__main__":  # pragma: no cover
    main()
