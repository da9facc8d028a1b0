"""The paper's Figure 12 numbers, reproduced from its own relations."""

import pytest

from peatmoss.licenses.paper import LinuxFoundationMatrix, analyse_paper, load_relations, paper_key, paper_verdict

@pytest.mark.shared
def test_paper_numbers_reproduced(shared_data):
    paper = shared_data / "licenses" / "paper"
    matrix = LinuxFoundationMatrix.load(paper / "linux_foundation_compatibility_matrix.csv")
    relations = load_relations(paper / "hf_model_to_gh_repo_license_mapping.csv",
                               paper / "gh_repo_licenses_scancode.json")
    s = analyse_paper(relations, matrix).as_dict()
    assert s["relations"] == 22861
    assert s["skipped"] == 387
    assert s["analysed"] == 22474
    assert s["compatible"] == 11782
    assert s["incompatible"] == 54 and s["incompatible_pct"] == 0.24
    assert s["unknown"] == 10638 and s["unknown_pct"] == 47.33
    assert s["identical"] == 5756 and s["identical_pct"] == 25.61

@pytest.mark.shared
def test_paper_rules_single_pairs(shared_data):
    matrix = LinuxFoundationMatrix.load(shared_data / "licenses" / "paper" / "linux_foundation_compatibility_matrix.csv")
    assert paper_verdict(matrix, "mit", ["gpl-3.0"])[0] == "compatible"
    assert paper_verdict(matrix, "gpl-3.0", ["mit"])[0] == "incompatible"
    assert paper_verdict(matrix, "apache-2.0", ["apache-2.0"])[0] == "compatible"
    assert paper_verdict(matrix, "other", ["other"])[0] == "unknown"  # identical but the catch-all
    assert paper_verdict(matrix, "openrail", ["mit"])[0] == "unknown"  # ML license missing from the table
    assert paper_verdict(matrix, "mit", None)[0] == "unknown"  # "no license" is not in the table
    assert paper_verdict(matrix, "mit", ["mit", "apache-2.0"])[0] == "skipped"

def test_paper_key_aliases():
    assert paper_key("bsd-new") == "bsd-3-clause"
    assert paper_key("GPL-3.0") == "gpl-3.0-only"
    assert paper_key(None) == "no license"
    assert paper_key("unlicense") == "no license"
    assert paper_key("warranty-disclaimer") == "other"
