"""`peatmoss extract` over cards in the database: rows with evidence, error rows, edges."""

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from peatmoss.cli import app
from peatmoss.db import session_scope
from peatmoss.db.models import CardField, CollectionError, Model, ModelCard, ModelEdge, Registry

from .cards_fixtures import PROSE_CARD, TRAINER_CARD


def add_models(url: str, cards: dict[str, str], card_data: dict[str, dict] | None = None) -> None:
    with session_scope(url) as s:
        reg = s.scalar(select(Registry).where(Registry.name == "huggingface"))
        if reg is None:
            reg = Registry(name="huggingface", url="https://huggingface.co")
            s.add(reg)
            s.flush()
        for hub_id, text in cards.items():
            m = Model(registry_id=reg.id, hub_id=hub_id, card_data=(card_data or {}).get(hub_id))
            s.add(m)
            s.flush()
            if text is not None:
                s.add(ModelCard(model_id=m.id, sha="abc", text=text, length=len(text)))
        for hub_id, data in (card_data or {}).items():
            if hub_id not in cards:
                s.add(Model(registry_id=reg.id, hub_id=hub_id, card_data=data))


def test_extract_command_writes_fields_with_evidence(db_url):
    add_models(db_url, {"distilbert-base-uncased": "# base\n", "org/tiny": TRAINER_CARD, "org/widget": PROSE_CARD,
                        "org/junk": "\ufffd\x01binary\x02" * 20},  # as stored: NUL becomes U+FFFD
               card_data={"org/nocard": {"license": "mit", "base_model": "org/tiny"}})
    res = CliRunner().invoke(app, ["--db", db_url, "extract"])
    assert res.exit_code == 0, res.output
    with session_scope(db_url) as s:
        rows = s.scalars(select(CardField)).all()
        assert rows
        by = {(r.model_id, r.field, r.item_index): r for r in rows}
        tiny = s.scalar(select(Model).where(Model.hub_id == "org/tiny"))
        lic = by[(tiny.id, "license", 0)]
        assert lic.value == "apache-2.0" and lic.source == "yaml" and lic.state == "value"
        card = s.scalar(select(ModelCard).where(ModelCard.model_id == tiny.id))
        for r in rows:
            if r.model_id == tiny.id and r.evidence_start is not None:
                assert card.text[r.evidence_start:r.evidence_end] == r.evidence_text
        assert by[(tiny.id, "limitation_and_bias", 0)].state == "not_stated"
        widget = s.scalar(select(Model).where(Model.hub_id == "org/widget"))
        flagged = [r for r in rows if r.model_id == widget.id and r.field == "license"]
        assert len(flagged) == 2 and all(r.flagged and r.review_status == "pending" for r in flagged)
        # the model with only card_data still gets YAML facts
        nocard = s.scalar(select(Model).where(Model.hub_id == "org/nocard"))
        assert any(r.model_id == nocard.id and r.field == "license" and r.value == "mit" for r in rows)
        # base-model edges, resolved when the parent is known
        edges = s.scalars(select(ModelEdge)).all()
        base = s.scalar(select(Model).where(Model.hub_id == "distilbert-base-uncased"))
        assert any(e.child_id == tiny.id and e.parent_id == base.id and e.source == "card_yaml" for e in edges)
        assert any(e.child_id == nocard.id and e.parent_id == tiny.id for e in edges)
        errors = s.scalars(select(CollectionError)).all()
        assert any(e.error_kind == "binary_card" and e.item == "org/junk" for e in errors)
    # a re-run replaces the rows instead of duplicating them
    n = len(rows)
    assert CliRunner().invoke(app, ["--db", db_url, "extract"]).exit_code == 0
    with session_scope(db_url) as s:
        assert len(s.scalars(select(CardField)).all()) == n
        assert len(s.scalars(select(ModelEdge)).all()) == len(edges)


@pytest.mark.shared
def test_extract_shared_cards(sqlite_url, shared_data: Path):
    cards = {}
    for path in sorted((shared_data / "model_cards").glob("*.md")):
        if path.name != "INDEX.md":
            cards[path.stem.replace("__", "/")] = path.read_text(encoding="utf-8", errors="replace")
    add_models(sqlite_url, cards)
    from peatmoss.cards.run import extract_models

    stats = extract_models(sqlite_url)
    assert stats["cards"] == len(cards)
    with session_scope(sqlite_url) as s:
        rows = s.scalars(select(CardField)).all()
        models_with = {r.model_id for r in rows}
        assert len(models_with) >= 0.95 * len(cards)
        assert all(r.evidence_text for r in rows if r.evidence_start is not None)


def test_bad_input_goes_on_with_error_rows(sqlite_url):
    from .cards_fixtures import BROKEN_YAML_CARD

    big = "---\nlicense: mit\n---\n# Big\n\n" + ("Some filler text with 12 numbers and a GPU word. " * 12_500)
    cards = {"org/nofm": "# Title\n\nJust prose, licensed under the MIT license.\n",
             "org/badyaml": BROKEN_YAML_CARD, "org/big": big,
             "org/html": "<html><body><h1>Model</h1><p>Trained on 8 V100 GPUs.</p></body></html>",
             "org/binary": "\x00\x01\x02\x03PK\x03\x04" * 100,
             "org/undecodable": b"\xff\xfe\xfa\xfb\xfc".decode("utf-8", errors="replace") * 500,
             "org/empty": ""}
    add_models(sqlite_url, cards)
    from peatmoss.cards.run import extract_models

    stats = extract_models(sqlite_url)
    assert stats["cards"] == 4  # big, html, nofm, badyaml; binary/undecodable are error rows, empty skipped
    with session_scope(sqlite_url) as s:
        kinds = {(e.item, e.error_kind) for e in s.scalars(select(CollectionError))}
        assert ("org/binary", "binary_card") in kinds and ("org/undecodable", "binary_card") in kinds
        assert ("org/badyaml", "yaml_salvaged") in kinds
        rows = s.scalars(select(CardField)).all()
        by_model = {}
        for r in rows:
            by_model.setdefault(r.model_id, []).append(r)
        assert len(by_model) == 4
        assert all(r.value is not None or r.state == "not_stated" for r in rows)
