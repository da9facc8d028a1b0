"""The ML rules data file and the verdict engine."""

import pytest

from peatmoss.licenses import mlrules
from peatmoss.licenses.engine import Context, verdict
from peatmoss.licenses.families import FAMILIES
from peatmoss.licenses.normalize import licenserefs


def test_rules_file_is_well_formed():
    ids = set()
    for rule in mlrules.rules():
        assert rule.id not in ids
        ids.add(rule.id)
        assert rule.verdict in mlrules.VERDICTS
        assert rule.reason and rule.source, rule.id
        assert "§" in rule.source or "Art." in rule.source or "category" in rule.source or "clause" in rule.source.lower() \
            or "grant" in rule.source, rule.id
        if rule.verdict == "conditional":
            assert rule.condition, rule.id
        for value in rule.upstream + rule.downstream:
            assert value == "*" or value in FAMILIES or value in licenserefs(), (rule.id, value)
        for use in rule.use:
            assert use == "*" or use in mlrules.USES


@pytest.mark.parametrize("up, down, ctx, expected, needle", [
    ("LicenseRef-OpenRAIL", "MIT", Context(), "conditional", "use restrictions passed on"),
    ("LicenseRef-BigScience-BLOOM-RAIL-1.0", "Apache-2.0", Context(), "conditional", "use restrictions passed on"),
    ("LicenseRef-Llama-2", "MIT", Context(), "conditional", "Acceptable Use Policy"),
    ("LicenseRef-Llama-3.1", "NONE", Context(), "conditional", "Built with Llama"),
    ("LicenseRef-Gemma", "Apache-2.0", Context(), "conditional", "Prohibited Use Policy"),
    ("CC-BY-NC-4.0", "MIT", Context(), "conditional", "non-commercial"),
    ("CC-BY-NC-4.0", "MIT", Context("finetune-publish"), "incompatible", None),
    ("CC-BY-SA-4.0", "Apache-2.0", Context("finetune-publish"), "incompatible", None),
    ("CC-BY-SA-4.0", "Apache-2.0", Context(), "conditional", "share-alike"),
    ("CC-BY-4.0", "MIT", Context(), "conditional", "attribution kept"),
    ("CC-BY-NC-ND-4.0", "CC-BY-NC-ND-4.0", Context(), "compatible", None),
    ("CC-BY-ND-4.0", "MIT", Context("finetune-publish"), "incompatible", None),
    ("LicenseRef-Llama-2", "GPL-3.0-only", Context("finetune-publish"), "incompatible", None),
    ("MIT", "NONE", Context(), "compatible", None),
    ("GPL-3.0-only", "NONE", Context(), "incompatible", None),
    ("GPL-3.0-only", "NONE", Context(distribution="internal"), "compatible", None),
    ("NONE", "MIT", Context(), "conditional", "permission"),
    ("NONE", "MIT", Context("redistribute"), "incompatible", None),
])
def test_ml_rules(up, down, ctx, expected, needle):
    v = verdict(up, down, ctx)
    assert v.verdict == expected, v.as_dict()
    assert v.reason and v.rule_source
    if needle:
        assert needle in (v.condition or "")


def test_osadl_orientation():
    assert verdict("MIT", "GPL-3.0-only").verdict == "compatible"
    v = verdict("GPL-3.0-only", "MIT")
    assert v.verdict == "incompatible" and "OSADL" in v.rule_source


def test_expressions():
    assert verdict("Apache-2.0", "MIT AND GPL-2.0-only").verdict == "incompatible"  # every repo license must accept it
    assert verdict("Apache-2.0", "GPL-2.0-only OR MIT").verdict == "compatible"  # the repo may pick MIT
    assert verdict("GPL-3.0-only OR MIT", "Apache-2.0").verdict == "compatible"  # the reuser may pick MIT
    v = verdict("CC-BY-4.0 AND LicenseRef-OpenRAIL", "MIT")
    assert v.verdict == "conditional" and "attribution" in v.condition and "use restrictions" in v.condition


def test_unknown_always_explained():
    for up, down in [(None, "MIT"), ("LicenseRef-CC-family", "MIT"), ("not an expression ((", "MIT"),
                     ("LicenseRef-scancode-proprietary-license", "MIT"), ("GPL-3.0-only", None)]:
        v = verdict(up, down)
        assert v.verdict == "unknown" and v.reason, (up, down)


def test_paper_ruleset_is_separate():
    with pytest.raises(ValueError):
        verdict("MIT", "MIT", ruleset="bogus")
    assert verdict("LicenseRef-OpenRAIL", "MIT", ruleset="osadl").verdict == "unknown"


def test_identity_needs_a_real_license():
    assert verdict("MIT", "MIT").rule_id == "identical"
    assert verdict("NONE", "NONE").verdict != "compatible"  # two unlicensed works are not "identical licenses"
    assert verdict("LicenseRef-scancode-proprietary-license", "LicenseRef-scancode-proprietary-license").verdict == "unknown"
    assert verdict("LicenseRef-GPL-family", "LicenseRef-GPL-family").verdict == "conditional"  # versions unknown


def test_explained_verdict_says_why_and_reports_conflicts():
    from peatmoss.licenses.engine import explained_verdict

    v = explained_verdict(None, "MIT", upstream_reason="license 'my-terms' not recognised")
    assert v.verdict == "unknown" and v.reason.startswith("license 'my-terms' not recognised; ")
    v = explained_verdict("MIT", None, downstream_reason="LICENSE: text not recognised")
    assert v.reason.endswith("(repository license: LICENSE: text not recognised)")
    v = explained_verdict("MIT", "GPL-3.0-only", conflict="the license file says GPL-3.0-only, but MIT is declared")
    assert v.verdict == "conflict" and v.rule_id == "conflict" and "MIT is declared" in v.reason
    assert explained_verdict("MIT", "Apache-2.0").reason == verdict("MIT", "Apache-2.0").reason
