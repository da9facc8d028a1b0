"""Bad input never crashes: any string normalises (or is refused with a reason), any pair gets a verdict."""

from hypothesis import given, settings
from hypothesis import strategies as st

from peatmoss.licenses.engine import Context, verdict
from peatmoss.licenses.normalize import normalize
from peatmoss.licenses.textmatch import match_text

KNOWN = ["MIT", "Apache-2.0", "GPL-3.0-only", "CC-BY-NC-4.0", "LicenseRef-OpenRAIL", "NONE", "LicenseRef-Llama-2",
         "mit or apache-2.0", "gpl-2.0+ WITH classpath-exception-2.0", "(", "AND", "OR OR", "other"]
text = st.one_of(st.text(max_size=200), st.sampled_from(KNOWN),
                 st.builds(lambda a, op, b: f"{a} {op} {b}", st.sampled_from(KNOWN), st.sampled_from(["AND", "OR", "WITH", "and"]),
                           st.sampled_from(KNOWN)))


@settings(max_examples=300, deadline=None)
@given(raw=text, name=st.one_of(st.none(), st.text(max_size=50)))
def test_normalize_never_crashes(raw, name):
    n = normalize(raw, license_name=name)
    assert n.expression is not None or n.reason


@settings(max_examples=300, deadline=None)
@given(up=text, down=text, use=st.sampled_from(["runtime", "redistribute", "finetune-publish"]),
       dist=st.sampled_from(["public", "internal"]))
def test_verdict_never_crashes(up, down, use, dist):
    v = verdict(normalize(up).expression, normalize(down).expression, Context(use, dist))
    assert v.verdict in ("compatible", "conditional", "incompatible", "unknown") and v.reason
    if v.verdict == "conditional":
        assert v.condition


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=2000))
def test_match_text_never_crashes(t):
    match_text(t)
