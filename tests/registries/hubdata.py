"""Hand-made Hub model records for the registry tests."""

from __future__ import annotations


def make_records(n: int, prefix: str = "org") -> list[dict]:
    """Small model records in the 2024-25 list shape."""
    out = []
    for i in range(n):
        out.append({
            "id": f"{prefix}{i % 7}/model-{i}", "author": f"{prefix}{i % 7}", "sha": f"{i:040x}",
            "createdAt": f"2023-{1 + i % 12:02d}-01T00:00:00.000Z", "lastModified": "2024-01-01T00:00:00.000Z",
            "downloads": 1000 - i, "likes": i % 5, "pipeline_tag": "text-classification",
            "library_name": "transformers",
            "tags": ["transformers", "pytorch", "en", f"dataset:set{i % 3}", "license:mit", f"arxiv:2101.{i:05d}",
                     "region:us"] + ([f"base_model:finetune:{prefix}0/model-0"] if i % 4 == 1 else []),
            "config": {"architectures": ["BertForSequenceClassification"], "model_type": "bert"},
            "siblings": [{"rfilename": "config.json"}, {"rfilename": "model.safetensors"}],
            "safetensors": {"total": 1000 * (i + 1)},
        })
    return out
