"""The default rules on the paper's own relations: every relation analysed, <= 10 % unknown, all explained."""

import pytest

from peatmoss.licenses.paper import load_relations
from peatmoss.licenses.reanalysis import analyse_relations


@pytest.mark.shared
def test_default_rules_on_paper_relations(shared_data):
    paper = shared_data / "licenses" / "paper"
    relations = load_relations(paper / "hf_model_to_gh_repo_license_mapping.csv", paper / "gh_repo_licenses_scancode.json")
    summary, rows = analyse_relations(relations)
    s = summary.as_dict()
    assert s["relations"] == 22861  # multi-license repositories included, none skipped
    assert sum(s[k] for k in ("compatible", "conditional", "incompatible", "unknown")) == 22861
    assert s["unknown_pct"] <= 10.0
    for row in rows:
        v = row.verdict
        if v.verdict in ("incompatible", "unknown"):
            assert v.reason and v.rule_source
        if v.verdict == "conditional":
            assert v.condition
    # "no license" repositories are assessed, not unknown
    none_rows = [r for r in rows if r.downstream_raw is None]
    assert none_rows and all(r.verdict.verdict != "unknown" or r.verdict.rule_id == "unknown-upstream" for r in none_rows)
