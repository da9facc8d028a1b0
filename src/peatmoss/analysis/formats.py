"""Serialization formats of model weight files, told from file names alone (nothing is opened or unpickled).

Used by PTM-4 (models shipping only pickle-based weights) and PTM-5 (formats in use)."""

from __future__ import annotations

import json

import pandas as pd

# file-name ending -> format; "pickle" formats run code when loaded with pickle (torch.load, joblib)
ENDINGS = {
    ".safetensors": "safetensors",
    ".bin": "pickle", ".pt": "pickle", ".pth": "pickle", ".pkl": "pickle", ".pickle": "pickle",
    ".ckpt": "pickle", ".joblib": "pickle",
    ".h5": "keras/hdf5", ".hdf5": "keras/hdf5", ".keras": "keras/hdf5",
    ".pb": "tensorflow", ".tflite": "tflite",
    ".onnx": "onnx", ".gguf": "gguf", ".ggml": "ggml", ".msgpack": "flax/msgpack",
    ".mlmodel": "coreml", ".npz": "numpy", ".nemo": "nemo",
}
PICKLE = "pickle"


def file_format(path: str) -> str | None:
    """The weight format a file name stands for, or None for a file that holds no weights."""
    name = path.rsplit("/", 1)[-1].lower()
    if name.startswith("training_args"):  # a pickled TrainingArguments, not weights, yet still a pickle
        return PICKLE
    for ending, fmt in ENDINGS.items():
        if name.endswith(ending):
            return fmt
    return None


def _names(value) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return []
    if isinstance(value, str):
        value = json.loads(value)
    return [str(v) for v in value or []]


def model_formats(rows: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, format) with the number of files, from rows of (model_id, hub, model, downloads,
    file_names, path): `file_names` is the listing's JSON list, `path` one `model_file` row."""
    out: dict[tuple, dict] = {}
    for r in rows.itertuples(index=False):
        paths = set(_names(r.file_names)) | ({r.path} if isinstance(r.path, str) else set())
        for path in paths:
            fmt = file_format(path)
            if fmt is None:
                continue
            key = (r.model_id, fmt)
            entry = out.setdefault(key, {"model_id": r.model_id, "hub": r.hub, "model": r.model,
                                         "downloads": r.downloads, "format": fmt, "files": set()})
            entry["files"].add(path)
    records = [{**e, "files": len(e["files"]), "examples": ", ".join(sorted(e["files"])[:3])} for e in out.values()]
    return pd.DataFrame(records, columns=["model_id", "hub", "model", "downloads", "format", "files", "examples"])


def formats_in_use(rows: pd.DataFrame) -> pd.DataFrame:
    """PTM-5: per hub and format, the models shipping it and their files."""
    per = model_formats(rows)
    models = rows.drop_duplicates("model_id").groupby("hub").size()
    if per.empty:
        return pd.DataFrame(columns=["hub", "format", "models", "files", "pct_of_models"])
    out = per.groupby(["hub", "format"]).agg(models=("model_id", "nunique"), files=("files", "sum")).reset_index()
    out["pct_of_models"] = (100.0 * out["models"] / out["hub"].map(models)).round(1)
    return out.sort_values(["hub", "models", "format"], ascending=[True, False, True], ignore_index=True)


def pickle_only(rows: pd.DataFrame) -> pd.DataFrame:
    """PTM-4: models whose weight files are all pickle-based, most downloaded first."""
    per = model_formats(rows)
    cols = ["hub", "model", "downloads", "pickle_files", "examples"]
    if per.empty:
        return pd.DataFrame(columns=cols)
    kinds = per.groupby("model_id")["format"].agg(set)
    only = kinds[kinds.map(lambda f: f == {PICKLE})].index
    out = per[per["model_id"].isin(only)].rename(columns={"files": "pickle_files"})
    out = out.sort_values(["downloads", "model"], ascending=[False, True], na_position="last")
    out = out[cols].reset_index(drop=True)
    out["downloads"] = out["downloads"].astype("Int64")  # gaps stay gaps, counts stay integers
    return out


def weights_summary(rows: pd.DataFrame) -> dict:
    """Counts behind PTM-4 and PTM-5: models listed, with weight files, with safetensors, pickle only."""
    per = model_formats(rows)
    kinds = per.groupby("model_id")["format"].agg(set) if len(per) else pd.Series(dtype=object)
    with_weights = len(kinds)
    only = int(kinds.map(lambda f: f == {PICKLE}).sum()) if with_weights else 0
    return {"models": int(rows["model_id"].nunique()) if len(rows) else 0,
            "models_with_weight_files": with_weights,
            "models_with_safetensors": int(kinds.map(lambda f: "safetensors" in f).sum()) if with_weights else 0,
            "models_pickle_only": only,
            "share_pickle_only": round(only / with_weights, 4) if with_weights else 0.0}
