"""Reuse-mode heuristic for a file: finetune, export or inference, with the evidence line."""

from __future__ import annotations

import ast

FINETUNE_CALLS = {"Trainer", "Seq2SeqTrainer", "SFTTrainer", "DPOTrainer", "RewardTrainer", "PPOTrainer",
                  "get_peft_model", "prepare_model_for_kbit_training", "backward", "zero_grad"}
EXPORT_CALLS = {"save_pretrained", "push_to_hub", "save_model", "export", "trace", "script", "convert"}
EXPORT_QUALIFIED = ("torch.onnx.export", "torch.jit.trace", "torch.jit.script", "torch.jit.save",
                    "torch.export.export", "tf.saved_model.save", "coremltools.convert")
INFERENCE_CALLS = {"eval", "generate", "predict", "encode", "no_grad", "inference_mode", "transcribe"}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _dotted(func: ast.expr) -> str:
    parts = []
    while isinstance(func, ast.Attribute):
        parts.append(func.attr)
        func = func.value
    if isinstance(func, ast.Name):
        parts.append(func.id)
    return ".".join(reversed(parts))


def _is_optimizer_over_params(call: ast.Call) -> bool:
    return any(isinstance(n, ast.Call) and _name(n.func) == "parameters"
               for a in call.args for n in ast.walk(a)) and "optim" in _dotted(call.func).lower() or (
        _name(call.func) in ("AdamW", "Adam", "SGD") and any(
            isinstance(n, ast.Call) and _name(n.func) == "parameters" for a in call.args for n in ast.walk(a)))


def reuse_mode(tree: ast.AST, line_text) -> tuple[str, str | None]:
    """(mode, evidence) for the whole module; `line_text(node)` renders an evidence location."""
    finetune = export = inference = None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _name(node.func)
        if finetune is None:
            if name in FINETUNE_CALLS or (name in ("train", "fit") and isinstance(node.func, ast.Attribute)
                                          and not node.args) or _is_optimizer_over_params(node):
                if not (name == "train" and node.args):
                    finetune = node
        if export is None and (_dotted(node.func) in EXPORT_QUALIFIED or name in ("save_pretrained", "push_to_hub")):
            export = node
        if inference is None and name in INFERENCE_CALLS:
            inference = node
    if finetune is not None:
        return "finetune", line_text(finetune)
    if export is not None:
        return "export", line_text(export)
    return "inference", line_text(inference) if inference is not None else None
