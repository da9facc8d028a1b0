"""The Sankey renders to offline HTML and to a static image (kaleido, or matplotlib)."""

from pathlib import Path

import pytest

from peatmoss.licenses.engine import verdict
from peatmoss.licenses.sankey import COLORS, draw, figure, flows, fold, render_sankey
from peatmoss.licenses.summary import PairRow


def rows():
    pairs = [("Apache-2.0", "MIT")] * 5 + [("GPL-3.0-only", "MIT")] * 2 + [("LicenseRef-OpenRAIL", "NONE")] * 3 \
        + [(None, "MIT")] + [("CC-BY-4.0", "Apache-2.0")]
    return [PairRow("r", "m", u, d, verdict(u, d)) for u, d in pairs]


def test_flows_fold_rare_licenses():
    data = flows(rows(), other_threshold=2)
    ups = {u for u, *_ in data}
    assert "other" in ups and "CC-BY-4.0" not in ups
    colours = {(u, v) for u, _, v, _ in data}
    assert ("GPL-3.0-only", "incompatible") in colours and ("other", "unknown") in colours  # the single unknown folded


def test_matplotlib_static(tmp_path):
    path = tmp_path / "s.png"
    fig = draw(flows(rows()))
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bands = [p for p in fig.axes[0].patches if p.get_facecolor()[:3] != (0.2, 0.2, 0.2)]
    assert len(bands) == len(flows(rows()))


def test_fold_keeps_the_top_labels_of_each_side():
    data = [("A", "x", "compatible", 5), ("B", "x", "unknown", 3), ("C", "y", "unknown", 1), ("D", "y", "unknown", 1)]
    folded = fold(data, top=2)
    assert ("other", "y", "unknown", 2) in folded and {u for u, *_ in folded} == {"A", "B", "other"}


def test_one_colour_per_verdict_in_both_renderings():
    data = flows(rows())
    links = figure(data).data[0].link
    assert list(links.color) == [COLORS[v] for _, _, v, _ in data]


@pytest.mark.browser
def test_html_and_png(tmp_path):
    files = render_sankey(rows(), tmp_path / "sankey", other_threshold=0, static_format="png")
    html = Path(files["html"]).read_text()
    assert "plotly" in html and "cdn.plot.ly" not in html.split("<body>")[0][:2000]
    assert Path(files["static"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert files["static_renderer"] in ("kaleido", "matplotlib")


def test_both_renderings_have_a_colour_legend_of_the_verdicts_shown():
    data = flows(rows())
    shown = list(dict.fromkeys(v for _, _, v, _ in data))
    assert {"compatible", "incompatible", "unknown"} <= set(shown)
    fig = figure(data)
    legend = [(t.name, t.marker.color) for t in fig.data[1:] if t.showlegend]
    assert legend == [(v, COLORS[v]) for v in shown] and fig.layout.legend.title.text == "verdict"
    drawn = draw(data).axes[0].get_legend()
    assert [t.get_text() for t in drawn.get_texts()] == shown and drawn.get_title().get_text() == "verdict"
    # the paper's rules give only compatible / incompatible / unknown: their Sankey lists just those
    paper = [(u, d, v, n) for u, d, v, n in data if v in ("compatible", "incompatible")]
    assert [t.name for t in figure(paper).data[1:]] == ["compatible", "incompatible"]


@pytest.mark.shared
def test_paper_data_bands_under_the_papers_rules_draw_with_a_legend(shared_data):
    from peatmoss.licenses.paper import LinuxFoundationMatrix, analyse_paper, load_relations, paper_flows

    paper = shared_data / "licenses" / "paper"
    relations = load_relations(paper / "hf_model_to_gh_repo_license_mapping.csv",
                               paper / "gh_repo_licenses_scancode.json")
    matrix = LinuxFoundationMatrix.load(paper / "linux_foundation_compatibility_matrix.csv")
    bands = paper_flows(relations, matrix)
    summary = analyse_paper(relations, matrix)
    assert sum(n for *_, n in bands) == summary.analysed == 22474
    assert sum(n for _, _, v, n in bands if v == "incompatible") == 54
    folded = fold(bands, top=12)
    assert sum(n for *_, n in folded) == 22474 and len({u for u, *_ in folded}) <= 13
    shown = list(dict.fromkeys(v for _, _, v, _ in folded))
    assert set(shown) == {"compatible", "incompatible", "unknown"}
    fig = figure(folded)
    assert [t.name for t in fig.data[1:] if t.showlegend] == shown
    legend = draw(folded).axes[0].get_legend()
    assert [t.get_text() for t in legend.get_texts()] == shown
