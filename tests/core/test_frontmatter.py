"""One front-matter reader for model cards and PyTorch Hub pages."""

from peatmoss.core.frontmatter import split_front_matter


def test_front_matter_data_and_body_offset():
    text = "---\ntitle: AlexNet\ntags: [vision, scriptable]\n---\n\nbody line\n"
    fm = split_front_matter(text)
    assert fm.present and fm.error is None
    assert fm.data == {"title": "AlexNet", "tags": ["vision", "scriptable"]}
    assert text[fm.body_start:] == "\nbody line\n"


def test_curly_quotes_are_dropped_on_request():
    text = "---\naccelerator: “cuda-optional”\n---\n"
    assert split_front_matter(text).data["accelerator"] == "“cuda-optional”"
    assert split_front_matter(text, curly_quotes=True).data["accelerator"] == "cuda-optional"


def test_broken_yaml_is_salvaged_with_an_error():
    fm = split_front_matter("---\nlicense: mit\ntags: [a\n---\nbody\n")
    assert fm.error.startswith("invalid YAML") and fm.data["license"] == "mit"


def test_no_front_matter():
    fm = split_front_matter("# Title\n")
    assert not fm.present and fm.data == {} and fm.body_start == 0
