"""Reuse-mode heuristic: is a loaded model fine-tuned, exported, or used for inference? With evidence.

Evidence calls are looked for first among those that mention the variable the model is assigned to
(`model.train()`, `Trainer(model=model)`, `torch.onnx.export(model, ...)`), then in the whole file."""

from __future__ import annotations

import ast

from .resolve import dotted

FINETUNE_CALLS = {"Trainer", "Seq2SeqTrainer", "SFTTrainer", "DPOTrainer", "RewardTrainer", "PPOTrainer",
                  "ORPOTrainer", "get_peft_model", "prepare_model_for_kbit_training", "backward", "zero_grad"}
OPTIMIZERS = {"AdamW", "Adam", "SGD", "Adafactor", "RMSprop", "Adagrad", "Lion"}
EXPORT_QUALIFIED = ("torch.onnx.export", "torch.jit.trace", "torch.jit.script", "torch.jit.save",
                    "torch.export.export", "tf.saved_model.save", "coremltools.convert")
EXPORT_CALLS = {"save_pretrained", "push_to_hub"}
INFERENCE_CALLS = {"eval", "generate", "predict", "encode", "no_grad", "inference_mode", "transcribe"}
RANK = {"finetune": 0, "export": 1, "inference": 2}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _over_parameters(call: ast.Call) -> bool:
    """An optimizer built over a model's parameters: AdamW(model.parameters())."""
    values = list(call.args) + [k.value for k in call.keywords]
    if not any(isinstance(n, ast.Call) and _name(n.func) == "parameters" for v in values for n in ast.walk(v)):
        return False
    return "optim" in (dotted(call.func) or "").lower() or _name(call.func) in OPTIMIZERS


def call_mode(call: ast.Call) -> str | None:
    name = _name(call.func)
    if name in FINETUNE_CALLS or _over_parameters(call):
        return "finetune"
    if name in ("train", "fit") and isinstance(call.func, ast.Attribute) and not (name == "train" and call.args):
        return "finetune"
    if name in EXPORT_CALLS or dotted(call.func) in EXPORT_QUALIFIED:
        return "export"
    if name in INFERENCE_CALLS:
        return "inference"
    return None


def _mentions(call: ast.Call) -> set[str]:
    """Every dotted name in the call and its prefixes: `model.lm_head.train` -> model, model.lm_head, ..."""
    out = set()
    for node in ast.walk(call):
        name = (dotted(node) or "") if isinstance(node, (ast.Name, ast.Attribute)) else ""
        while name:
            out.add(name)
            name = name.rpartition(".")[0]
    return out


def evidence(tree: ast.AST) -> list[tuple[str, ast.Call, set[str]]]:
    """(mode, call, names it mentions) for every evidence call, in source order."""
    found = [(mode, node, _mentions(node)) for node in ast.walk(tree)
             if isinstance(node, ast.Call) and (mode := call_mode(node))]
    return sorted(found, key=lambda e: (e[1].lineno, e[1].col_offset))


def choose(items: list[tuple[str, ast.Call, set[str]]], names: set[str] | None = None) -> tuple[str, ast.Call] | None:
    """The strongest evidence (finetune > export > inference), among calls mentioning `names` if given."""
    pool = [(m, c) for m, c, said in items if names is None or names & said]
    return min(pool, key=lambda e: RANK[e[0]]) if pool else None
