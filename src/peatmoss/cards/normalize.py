"""Canonical forms of ids, URLs, licenses and names (used by the rules, the LLM checks and the evaluation)."""

from __future__ import annotations

import re

from peatmoss.core.identity import split_ref

KNOWN_LICENSES = {
    "apache-2.0", "mit", "bsd-3-clause", "bsd-2-clause", "bsd", "gpl", "gpl-2.0", "gpl-3.0", "lgpl-3.0", "agpl-3.0",
    "afl-3.0", "cc0-1.0", "cc-by-2.0", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "cc-by-nc-2.0",
    "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cc-by-nc-nd-4.0", "cc-by-nd-4.0",
    "openrail", "openrail++", "creativeml-openrail-m", "bigscience-bloom-rail-1.0", "bigscience-openrail-m",
    "llama2", "llama3", "llama3.1", "gemma", "mpl-2.0", "epl-2.0", "wtfpl", "unlicense", "artistic-2.0",
    "ecl-2.0", "bsl-1.0", "isc", "zlib", "odc-by", "odbl", "c-uda", "other", "unknown", "cdla-permissive-2.0",
}


def license_id(raw: object) -> str | None:
    """A license as the Hub spells it ("apache-2.0") through the licenses stage's normaliser, or the cleaned
    raw string (lower case) when it names no license the Hub has an id for."""
    if raw is None:
        return None
    s = re.sub(r"\s+", " ", str(raw)).strip().strip("\"'`*[]().,;:").strip()
    if not s:
        return None
    from peatmoss.licenses import hub_license_id

    low = s.lower()
    hub = hub_license_id(s) or hub_license_id(re.sub(r"\s+licen[sc]e$", "", low).strip())
    if hub:
        return hub
    dashed = low.replace(" ", "-")
    return dashed if dashed in KNOWN_LICENSES else low


def is_known_license(value: str | None) -> bool:
    return value in KNOWN_LICENSES and value not in ("other", "unknown")


def hub_id(raw: object) -> str:
    """Comparison form of a model/dataset id in a card: hub prefix, URL and revision removed (the model
    identity's rules, peatmoss.core.identity), `datasets/` dropped, lower case. Legacy ids are not moved here;
    edges resolve their parent through the identity."""
    s, _ = split_ref(str(raw).strip().strip("`'\"<>[]()"))
    s = re.sub(r"^(?:datasets/)", "", s)
    return s.strip("/").lower()


def url(raw: object) -> str:
    """Canonical URL: scheme, www, trailing slash, .git and fragments dropped; arXiv pdf/abs/version unified."""
    s = str(raw).strip().strip("<>()[]`'\"")
    s = re.sub(r"^https?://", "", s, flags=re.I)
    s = re.sub(r"^www\.", "", s, flags=re.I)
    s = s.split("#")[0].rstrip("/")
    s = re.sub(r"\.git$", "", s)
    m = re.match(r"arxiv\.org/(?:abs|pdf)/([\w.\-/]+?)(?:v\d+)?(?:\.pdf)?$", s, re.I)
    if m:
        return f"arxiv.org/abs/{m.group(1)}"
    s = re.sub(r"^aclweb\.org/anthology/", "aclanthology.org/", s, flags=re.I)
    if s.lower().startswith("aclanthology.org/"):
        s = re.sub(r"\.pdf$", "", s, flags=re.I)
    m = re.match(r"(?:dx\.)?doi\.org/(.+)$", s, re.I)
    if m:
        return f"doi.org/{m.group(1).lower()}"
    return s.lower()


def github_repo(raw: object) -> str | None:
    m = re.search(r"github\.com/([\w.\-]+)/([\w.\-]+)", str(raw), re.I)
    if not m:
        return None
    repo = re.sub(r"\.git$", "", m.group(2))
    return f"github.com/{m.group(1)}/{repo}".lower()


def paper_key(url_value: object) -> str:
    return url(url_value)


_HW = re.compile(r"(A100|V100|P100|H100|A6000|A40|A10G?|T4|K80|P40|TITAN\s?\w+|RTX\s?\d{4}(?:\s?Ti)?|GTX\s?\d{3,4}"
                 r"(?:\s?Ti)?|TPU\s?v\d(?:-\d+)?|TPU|IPU|CPU|Apple\s?M\d)", re.I)


def hardware_key(name: object) -> str:
    m = _HW.search(str(name))
    core = m.group(1) if m else str(name)
    return re.sub(r"[\s\-]", "", core).lower()


def name_key(raw: object) -> str:
    return re.sub(r"[^a-z0-9]+", "", str(raw).lower())


FRAMEWORKS = {"pytorch": "pytorch", "torch": "pytorch", "tf": "tensorflow", "tensorflow": "tensorflow",
              "jax": "jax", "flax": "jax", "paddlepaddle": "paddlepaddle", "mxnet": "mxnet"}

LIBRARIES = {
    "transformers", "tensorboard", "diffusers", "stable-baselines3", "safetensors", "peft", "onnx", "ml-agents",
    "sentence-transformers", "timm", "sample-factory", "keras", "adapter-transformers", "flair", "spacy", "espnet",
    "transformers.js", "fastai", "coreml", "nemo", "joblib", "scikit-learn", "sklearn", "fasttext", "speechbrain",
    "openclip", "open_clip", "bertopic", "fairseq", "openvino", "stanza", "tf-lite", "asteroid", "paddlenlp",
    "allennlp", "span-marker", "pythae", "pyannote.audio", "pyannote-audio", "trl", "yolov5", "ultralytics",
    "gguf", "mlx", "setfit",
}
_LIB_ALIASES = {"sklearn": "scikit-learn", "open_clip": "openclip", "pyannote-audio": "pyannote.audio",
                "sentence_transformers": "sentence-transformers", "sentence transformers": "sentence-transformers",
                "pyannote": "pyannote.audio"}


def library(raw: object) -> str | None:
    s = str(raw).strip().lower()
    s = _LIB_ALIASES.get(s, s)
    return s if s in LIBRARIES else None


def framework(raw: object) -> str | None:
    return FRAMEWORKS.get(str(raw).strip().lower())


TASK_DOMAIN = {}
for _domain, _tasks in {
    "multimodal": ["feature-extraction", "text-to-image", "image-to-text", "text-to-video", "visual-question-answering",
                   "document-question-answering", "graph-machine-learning", "image-text-to-text",
                   "zero-shot-image-classification", "image-feature-extraction", "any-to-any"],
    "computer-vision": ["depth-estimation", "image-classification", "object-detection", "image-segmentation",
                        "image-to-image", "unconditional-image-generation", "video-classification",
                        "mask-generation", "zero-shot-object-detection", "keypoint-detection"],
    "nlp": ["text-classification", "token-classification", "table-question-answering", "question-answering",
            "zero-shot-classification", "translation", "summarization", "conversational", "text-generation",
            "text2text-generation", "fill-mask", "sentence-similarity", "table-to-text", "multiple-choice",
            "text-retrieval"],
    "audio": ["text-to-speech", "text-to-audio", "automatic-speech-recognition", "audio-to-audio",
              "audio-classification", "voice-activity-detection"],
    "tabular": ["tabular-classification", "tabular-regression", "structured-data-classification"],
    "reinforcement-learning": ["reinforcement-learning", "robotics"],
    "other": ["time-series-forecasting"],
}.items():
    for _t in _tasks:
        TASK_DOMAIN[_t] = _domain
TASKS = set(TASK_DOMAIN)
# older or library-specific names of Hub tasks
TASK_ALIASES = {"structured-data-classification": "tabular-classification",
                "structured-data-regression": "tabular-regression"}


def task(raw: object) -> str:
    low = str(raw).strip().lower()
    return TASK_ALIASES.get(low, low)

# ISO 639-1 codes (for telling language tags from other tags)
ISO_639_1 = set(
    "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el "
    "en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu "
    "ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na "
    "nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so "
    "sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu".split()
)

# English names of common languages (a name stated in prose or a "Language(s):" line)
LANGUAGE_NAMES = {
    "english": "en", "german": "de", "french": "fr", "spanish": "es", "portuguese": "pt", "italian": "it",
    "dutch": "nl", "russian": "ru", "chinese": "zh", "mandarin": "zh", "japanese": "ja", "korean": "ko",
    "arabic": "ar", "hindi": "hi", "bengali": "bn", "bangla": "bn", "tamil": "ta", "telugu": "te", "urdu": "ur",
    "marathi": "mr", "persian": "fa", "farsi": "fa", "turkish": "tr", "polish": "pl", "czech": "cs",
    "swedish": "sv", "danish": "da", "norwegian": "no", "finnish": "fi", "greek": "el", "hebrew": "he",
    "indonesian": "id", "vietnamese": "vi", "thai": "th", "ukrainian": "uk", "romanian": "ro", "hungarian": "hu",
    "catalan": "ca", "basque": "eu", "swahili": "sw", "malay": "ms", "filipino": "tl", "tagalog": "tl",
    "icelandic": "is", "irish": "ga", "welsh": "cy", "bulgarian": "bg", "croatian": "hr", "serbian": "sr",
    "slovak": "sk", "slovenian": "sl", "estonian": "et", "latvian": "lv", "lithuanian": "lt", "gujarati": "gu",
    "kannada": "kn", "malayalam": "ml", "punjabi": "pa", "nepali": "ne", "sinhala": "si", "amharic": "am",
    "yoruba": "yo", "hausa": "ha", "zulu": "zu", "afrikaans": "af", "galician": "gl", "kazakh": "kk",
}


def language(raw: object) -> str:
    return str(raw).strip().lower().replace("_", "-")
