"""Model-id normalisation per signature family, and the local-path test."""

from __future__ import annotations

import re

_HF_ID = re.compile(r"^[A-Za-z0-9][\w.\-]*(/[\w.\-]+)?$")
_WEIGHT_EXT = (".pt", ".pth", ".bin", ".ckpt", ".safetensors", ".onnx", ".h5", ".gguf", ".pkl", ".tar", ".zip",
               ".model", ".pb", ".tflite", ".npz", ".keras", ".msgpack", ".json", ".yaml")
FASTER_WHISPER_SIZES = {"tiny", "tiny.en", "base", "base.en", "small", "small.en", "medium", "medium.en",
                        "large-v1", "large-v2", "large-v3", "large", "distil-large-v2", "distil-medium.en",
                        "distil-small.en", "distil-large-v3", "large-v3-turbo", "turbo"}


FLAT_HUBS = ("ultralytics", "openai_whisper")  # hubs whose model names never contain a `/`


def is_local_path(value: str, hub: str | None = "huggingface") -> bool:
    """True for filesystem paths (./x, /x, ~/x, C:\\x; for Hugging Face also a/b/c and weights.pt)."""
    if "://" in value:
        return value.startswith("file://")
    if value.startswith(("/", "./", "../", "~", ".\\")) or "\\" in value or re.match(r"^[A-Za-z]:[\\/]", value):
        return True
    if re.search(r"\s", value.strip()):  # `path to the weight file`: a placeholder for a file, no hub names one so
        return True
    if hub in FLAT_HUBS:  # their model names have no folders: `runs/train/weights/best.pt` is a file here
        return "/" in value
    if hub != "huggingface":  # other hubs name models their own way (tts_models/en/x, yolov8n.pt)
        return False
    value = re.sub(r"@[^/@]+$", "", value)  # an `@revision` (peatmoss.core.identity) is not part of the path
    if value.lower().endswith(_WEIGHT_EXT):
        return True
    return value.count("/") > 1 or not _HF_ID.match(value)


HF_FILE_URL = re.compile(r"https?://(?:huggingface\.co|hf\.co)/([\w.-]+/[\w.-]+)/(?:resolve|blob)/")


def normalize(kind: str | None, value: str, hub: str | None) -> tuple[str, str | None]:
    """(model id, hub) after the family's rules."""
    if kind in ("timm", "hf_hub_prefix"):
        for prefix in ("hf-hub:", "hf_hub:"):
            if value.startswith(prefix):
                return value[len(prefix):], "huggingface"
        return value, hub
    url = HF_FILE_URL.match(value) if kind == "hf_url" else None
    if url:  # https://huggingface.co/org/repo/resolve/main/file.gguf -> org/repo
        return url.group(1), "huggingface"
    if kind == "hf_uri" and value.startswith("hf://"):
        return value[5:], "huggingface"
    if kind == "stanza" and re.fullmatch(r"[a-z]{2,3}(_[a-z]+)?", value):
        return f"stanfordnlp/stanza-{value}", hub
    if kind == "faster_whisper" and value in FASTER_WHISPER_SIZES:
        return f"Systran/faster-whisper-{value}", hub
    if kind and kind.startswith("prefix:") and "/" not in value:  # audiocraft: MusicGen 'small'
        return kind[len("prefix:"):] + value, hub
    if kind == "spacy":
        return value.rstrip("/").replace("-", "_") if "/" not in value else value, hub
    return value, hub


def torch_hub(repo: str, entry: str) -> tuple[str, str | None]:
    """torch.hub.load('owner/repo:ref', 'entry') -> ('owner/repo/entry', 'ref')."""
    ref = None
    if ":" in repo and "://" not in repo:
        repo, ref = repo.split(":", 1)
    return f"{repo}/{entry}", ref
