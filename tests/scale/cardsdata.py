"""Models with synthetic cards in the database, for the extraction tests."""

from __future__ import annotations

from peatmoss.db import session_scope
from peatmoss.db.models import Model, ModelCard, Registry

CARD = """---
license: {lic}
base_model: org/base-{base}
datasets:
- set{i}
language:
- en
---

# model-{i}

This model is a fine-tuned version of org/base-{base} on the set{i} dataset.
It was trained with a learning rate of 2e-5 for {epochs} epochs on 4 GPUs.
It achieves an accuracy of 0.{i:03d} on the test split.

## Limitations
It may produce biased outputs.
"""


def seed(url: str, models: int) -> None:
    with session_scope(url) as s:
        reg = Registry(name="huggingface", url="https://huggingface.co")
        s.add(reg)
        s.flush()
        for i in range(models):
            m = Model(registry_id=reg.id, hub_id=f"org/model-{i}")
            s.add(m)
            s.flush()
            card = CARD.format(i=i, lic=("mit", "apache-2.0", "cc-by-4.0")[i % 3], base=i % 10, epochs=1 + i % 5)
            s.add(ModelCard(model_id=m.id, sha=f"{i:x}", text=card, length=len(card)))
