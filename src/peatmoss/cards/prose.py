"""Facts stated in free prose: base model, training datasets, and the task when no tag names it.

Each family of patterns runs only when a cheap keyword check finds its wording in the card; every quantifier is
bounded. Values carry their evidence span and a confidence below the YAML / Trainer-template ones.
"""

from __future__ import annotations

import re
from collections import Counter

from . import normalize as nz

# --------------------------------------------------------------------------- base model

_HF_LINK = re.compile(r"\[`?([^\]\n`]{1,120})`?\]\((https?://huggingface\.co/(?!datasets/|spaces/|docs/|blog/|papers/)"
                      r"([\w.\-]{1,96}(?:/[\w.\-]{1,96})?))/?\)")
_BASE_BEFORE = re.compile(r"(?:fine-?tun\w{0,4}|initiali[sz]ed|resumed|base model|checkpoint (?:of|for)|pre-?trained|"
                          r"distilled|continued|further (?:pre-?)?trained|starting from|adapted from|on top of|built on|"
                          r"version of|based on|trained from|weights of|derived from|quantized|merged?)"
                          r"[^.\n]{0,40}$", re.I)
_BASE_AFTER = re.compile(r"^[`*]{0,2}(?: model)?,?(?: and| which)? (?:was |is |has been )?(?:then )?"
                         r"(?:fine-?tuned|further|after being trained|trained further)", re.I)
_NOT_BASE = re.compile(r"if you|larger|smaller|\balso\b|other|\bsee\b|check out|similar|compare|instead|"
                       r"tokeni[sz]er|recommend|try|demo|\bspace\b|model card|\bcard\b", re.I)
_EMPH_BASE = re.compile(r"(?:initiali[sz]ed|resumed|started|fine-?tuned|distilled) (?:with|from|on top of) (?:the )?"
                        r"(?:weights of )?(?:the )?(?:pre-?trained )?(?:[*_`]{1,2}([\w][\w.\-/ ]{1,60}?)[*_`]{1,2}|"
                        r"\[`?([\w][\w.\-/ ]{1,60}?)`?\]\()", re.I)  # emphasised or a link (to any site)
_CHECKPOINT_ITEM = re.compile(r"[ \t]{0,8}[-*][ \t]{1,4}[\[`]")  # "- [`v2`](…): Resumed from `v1`": another model
_IS_A_MODEL = re.compile(r"\b(?:is|was) (?:an? |the )?[*_`]{0,2}([A-Za-z][\w.]{0,30}-[\w.\-]{1,60}(?:/[\w.\-]{1,60})?)"
                         r"[*_`]{0,2} model (?:that |which )?(?:was |has been )?(?:fine-?tuned|further (?:pre-?)?trained|"
                         r"trained on)", re.I)
_BASE_LINE = re.compile(r"^[ \t]{0,8}[-*]?[ \t]{0,4}\**(?:base[ _]model|language model)\**[ \t]{0,4}:\**[ \t]{0,4}\[?`?"
                        r"([\w][\w.\-]{0,96}(?:/[\w.\-]{1,96})?)", re.I | re.M)
_BASE_GATE = ("language model:", "fine-tun", "finetun", "fine tun", "initiali", "based on", "distill", "resumed", "base model",
              "base_model", "checkpoint of", "checkpoint for", "version of", "further pre", "further train",
              "continued pre", "derived from", "adapted from", "on top of", "pretrained", "pre-trained", "weights of")
# cards that name no derivation at all: the base model is "not stated"
_DERIVED_WORDS = ("language model:", "fine-tuned version", "finetuned version", "fine-tuned from", "finetuned from", "fine-tune checkpoint",
                  "fine-tuned checkpoint", "initialized", "initialised", "based on", "distilled", "resumed from",
                  "base model", "base_model", "adapter", "lora", "quantiz", "merge", "converted from", "derived from",
                  "version of", "further pre", "further train", "continued pre", "checkpoint of", "checkpoint for",
                  "on top of", "weights of", "starting from", "adapted from", "fine-tuned on", "finetuned on",
                  "fine-tuned", "finetuned", "fine tuned")


def _ok_id(raw: str) -> bool:
    low = raw.lower()
    return (("-" in raw or "/" in raw or any(ch.isdigit() for ch in raw)) and len(raw) >= 3
            and low not in ("state-of-the-art", "pre-trained", "fine-tuned") and not low.startswith(("http", "www")))


def base_model(c) -> None:
    b, p = c.b, c.prose
    if not c.has(*_BASE_GATE):
        if not b.fields["base_model"] and not c.has(*_DERIVED_WORDS) and len(c.text) >= 20:
            b.not_stated("base_model", "prose-rule", None, 0.5)
        return
    found = 0
    if "huggingface.co/" in c.low:
        for m in c.finditer(_HF_LINK, p, c.windows(("](https://huggingface.co/", "](http://huggingface.co/"), 130, 200)):
            lo = max(c.body, p.rfind("\n", 0, m.start()) + 1, m.start() - 120)
            before = p[lo:m.start()]
            cut = before.rfind(". ")
            before = before[cut + 2:] if cut >= 0 else before
            after = p[m.end():m.end() + 60]
            if _NOT_BASE.search(before) or _NOT_BASE.search(m.group(1)) or before.lstrip().startswith("|"):
                continue
            if _BASE_BEFORE.search(before) or _BASE_AFTER.search(after):
                mid = m.group(3)
                if mid.split("/")[0] in ("models", "transformers", "course", "settings", "join", "pricing"):
                    continue
                b.add("base_model", {"id": mid, "url": m.group(2), "relation": "finetune"}, "prose-rule",
                      (m.start(), m.end()), 0.8)
                found += 1
    for rx, words, before in ((_EMPH_BASE, ("initiali", "resumed", "started", "tuned with", "tuned from", "tuned on top",
                                            "distilled"), 10),
                              (_IS_A_MODEL, ("model that", "model which", "model fine", "model further",
                                             "model trained"), 100),
                              (_BASE_LINE, ("base model", "base_model", "language model"), 30)):
        if found:
            break
        for m in c.finditer(rx, p, c.windows(words, before, 120)):
            g = m.lastindex or 1
            raw = m.group(g).strip()
            if rx is _EMPH_BASE and _CHECKPOINT_ITEM.match(p, p.rfind("\n", 0, m.start()) + 1):
                continue  # a list of checkpoints, each line naming its own parent
            if _ok_id(raw) or rx is _EMPH_BASE and len(raw.split()) <= 4:
                b.add("base_model", {"id": raw, "relation": "finetune"}, "prose-rule", (m.start(g), m.end(g)), 0.75)
                found += 1
                break
    if not found and not b.fields["base_model"] and not c.has(*_DERIVED_WORDS):
        b.not_stated("base_model", "prose-rule", None, 0.5)


# --------------------------------------------------------------------------- datasets

_DS_LINK = re.compile(r"(?:fine-?tuned|trained|pre-?trained)(?: it)? on (?:an? |the )?(?:[\w\-]{1,20} ){0,5}?"
                      r"\[([^\]\n]{2,80})\]\((https?://[^)\s]{3,300})\)", re.I)
_DS_NAMED = re.compile(r"(?i:fine-?tuned|trained|pre-?trained) on (?i:an? |the )?(?:English )?[*_`]{0,2}"
                       r"([A-Z][\w\-.]{0,40}(?: [A-Z0-9][\w\-.]{0,30}){0,3})[*_`]{0,2} "
                       r"(?i:dataset|corpus|data ?set|benchmark|task)")
_DS_CODE = re.compile(r"(?:fine-?tuned|trained) on (?:the )?[*_`]{0,2}([A-Z][A-Za-z]{1,20}[\-\d][\w\-.]{0,20})\b")
_NOT_DS = re.compile(r"^(?:GPU|TPU|[A-Z]\d{2,4}|V100|A100|English|this|these|our|the|a|an|custom|private|internal|"
                     r"large|small|none|unknown|null|n/a)$", re.I)


_LINK_NAME = re.compile(r"\[([^\]\n]{1,80})\]\([^)\s]{1,300}\)")
_DS_LINE = re.compile(r"^[ \t]{0,8}[-*][ \t]{1,4}\**(?:training )?(?:datasets?|training data)\**[ \t]{0,3}:\**[ \t]{0,4}"
                      r"([^\n]{1,160})$", re.I | re.M)


# "used the following dataset(s) for training:" then list items naming them ("- LAION-5B and subsets (…)")
_DS_FOLLOWING = re.compile(r"following (?:datasets?|data) (?:for|to) train[^\n]{0,40}\n(?:[ \t]{0,8}\n)?"
                           r"((?:[ \t]{0,8}[-*][ \t][^\n]{1,400}\n?){1,8})", re.I)
_DS_ITEM = re.compile(r"^[ \t]{0,8}[-*][ \t]{1,3}\[?([A-Z][\w\-]{1,30}(?: ?\([a-z]{2}\))?)\]?(?:\([^)\s]{1,300}\))?"
                      r"(?= and | \(|[.,:;]|$)", re.M)
_NOT_TRAINING_HEAD = re.compile(r"bias|limitation|risk|misuse|out-of-scope", re.I)
_BASE_CLAUSE = re.compile(r"\]\(https?://huggingface\.co/(?!datasets/)[^)\s]{1,200}\),? which\b[^.\n]{0,120}$", re.I)


def _following_list(c) -> bool:
    """Datasets listed after "the following dataset for training the model:" (a name with a digit, hyphen or
    capitals, like LAION-5B or COCO; not "Approximately 100 million images")."""
    found = False
    for lo, _ in c.windows(("following data",), 0, 0):  # the list runs past the window: matched from its start
        if not (m := _DS_FOLLOWING.match(c.prose, lo)):
            continue
        for im in _DS_ITEM.finditer(m.group(1)):
            name = im.group(1)
            if re.search(r"\d|-|[A-Z]{2}", name[1:]) and not _NOT_DS.match(name):
                lo = m.start(1) + im.start(1)
                c.b.add("datasets", {"name": name}, "prose-rule", (lo, lo + len(name)), 0.75)
                found = True
    return found


def _in_sections(c, pos: int, head: re.Pattern) -> bool:
    return any(s.start <= pos < s.end and head.search(s.title) for s in c.sections)


def datasets(c) -> None:
    b, p = c.b, c.prose
    if not b.has("datasets") and c.has("following data") and _following_list(c):
        return
    if not b.has("datasets") and c.has("dataset:", "datasets:", "training data:", "dataset**:", "datasets**:"):
        for m in c.finditer(_DS_LINE, p, c.windows(("dataset", "training data"), 20, 160)):
            pos = m.start(1)
            for part in re.split(r"(,\s{0,3}|\s{1,3}and\s{1,3}|\s{0,3}\+\s{0,3})", m.group(1)):
                lm = _LINK_NAME.fullmatch(part.strip())
                name = (lm.group(1) if lm else part).strip().strip("*_`[]. ")
                if (1 < len(name) < 60 and re.search(r"[A-Za-z]{2}", name) and not _NOT_DS.match(name)
                        and not re.search(r"https?:|\(|\bsee\b|^v?\d", name, re.I)):  # not "Datasets: 4.5.0"
                    b.add("datasets", {"name": name}, "prose-rule", (pos, pos + len(part)), 0.75)
                pos += len(part)
    if b.has("datasets") or not c.has("trained on", "tuned on", "trained it on"):
        return
    n = 0
    spans = c.windows(("trained on", "tuned on", "trained it on"), 30, 200)
    for rx in (_DS_LINK, _DS_NAMED, _DS_CODE):
        for m in c.finditer(rx, p, spans):
            name = re.sub(r"\s(?:dataset|corpus|data ?set)$", "", m.group(1).strip().strip("*_`"), flags=re.I)
            if _NOT_DS.match(name) or len(name) < 2:
                continue
            if re.search(r"\bmodels?\W{0,3}$", p[max(c.body, m.start(1) - 30):m.start(1)], re.I):
                continue  # "fine-tuned on Multilingual Pretrained Model [X]": a model, not a dataset
            if _BASE_CLAUSE.search(p, max(c.body, m.start() - 200), m.start()):
                continue  # "… is [base](hub link), which is a model trained on X": the base model's data
            if _in_sections(c, m.start(), _NOT_TRAINING_HEAD):
                continue  # a bias / limitations section speaks of the model family's data, often pasted
            if rx is _DS_LINK:
                url = m.group(2)
                if "huggingface.co/datasets/" in url:
                    name = url.split("huggingface.co/datasets/", 1)[1].rstrip("/")
                elif "huggingface.co/" in url and "/datasets/" not in url:
                    continue  # a model link
                b.add("datasets", {"name": name, "url": url}, "prose-rule", (m.start(1), m.end(2)), 0.75)
            else:
                b.add("datasets", {"name": name}, "prose-rule", (m.start(1), m.end(1)), 0.7)
            n += 1
            if n >= 3:
                return
        if n:
            return


# --------------------------------------------------------------------------- task and domain fallbacks

_ARCH = re.compile(r"For(SequenceClassification|TokenClassification|QuestionAnswering|MaskedLM|CausalLM|Seq2SeqLM|"
                   r"ImageClassification|CTC|SpeechSeq2Seq|ObjectDetection|AudioClassification|MultipleChoice|"
                   r"SemanticSegmentation|DepthEstimation|ZeroShotImageClassification|AudioFrameClassification|"
                   r"UniversalSegmentation|VisionText\w{0,20}|Pretraining)\b|(?<=[a-z0-9])(LMHeadModel)\b")
_ARCH_TASK = {
    "SequenceClassification": "text-classification", "TokenClassification": "token-classification",
    "QuestionAnswering": "question-answering", "MaskedLM": "fill-mask", "CausalLM": "text-generation",
    "LMHeadModel": "text-generation",
    "Seq2SeqLM": "text2text-generation", "ImageClassification": "image-classification",
    "CTC": "automatic-speech-recognition", "SpeechSeq2Seq": "automatic-speech-recognition",
    "ObjectDetection": "object-detection", "AudioClassification": "audio-classification",
    "MultipleChoice": "multiple-choice", "SemanticSegmentation": "image-segmentation",
    "UniversalSegmentation": "image-segmentation", "DepthEstimation": "depth-estimation",
    "ZeroShotImageClassification": "zero-shot-image-classification", "AudioFrameClassification": "audio-classification",
}
_ARCH_WORDS = tuple(f"for{k.lower()}" for k in ("SequenceClassification", "TokenClassification", "QuestionAnswering",
                                                  "MaskedLM", "CausalLM", "Seq2SeqLM", "ImageClassification", "CTC",
                                                  "SpeechSeq2Seq", "ObjectDetection", "AudioClassification",
                                                  "MultipleChoice", "SemanticSegmentation", "DepthEstimation",
                                                  "ZeroShotImageClassification", "AudioFrameClassification",
                                                  "UniversalSegmentation")) + ("lmheadmodel",)
_PIPE_FOR = re.compile(r"pipeline for ([A-Za-z][a-z\-]{2,30}(?: [a-z\-]{2,30}){0,2})")
_PIPE = re.compile(r"pipeline\(\s{0,3}(?:task\s{0,3}=\s{0,3})?[\"']([\w\-]{3,40})[\"']")
_LIB_TASK = {"timm": "image-classification", "sentence-transformers": "sentence-similarity",
             "stable-baselines3": "reinforcement-learning", "ml-agents": "reinforcement-learning",
             "sample-factory": "reinforcement-learning"}
_LIB_DOMAIN = {"speechbrain": "audio", "espnet": "audio", "pyannote-audio": "audio", "pyannote.audio": "audio",
               "nemo": "audio", "flair": "nlp", "spacy": "nlp", "fasttext": "nlp", "diffusers": "multimodal",
               "open_clip": "multimodal", "fairseq": "nlp"}
# the card's opening: "a masked language modeling objective", "for named entity recognition"
_LEAD_TASK = re.compile(
    r"(?P<fill_mask>masked language model)|(?P<text_generation>causal language model)|"
    r"(?P<token_classification>named entity recognition|\bNER\b|part-of-speech|POS tagging)|"
    r"(?P<text_classification>sentiment (?:analysis|classification)|text classification)|"
    r"(?P<question_answering>(?<!visual )question answering|extractive QA)|"
    r"(?P<automatic_speech_recognition>speech recognition|speech-to-text|\bASR\b)|"
    r"(?P<translation>\btranslation model|machine translation)|(?P<summarization>summari[sz]ation)|"
    r"(?P<image_classification>image classification)|(?P<text_to_speech>text-to-speech|\bTTS\b)|"
    r"(?P<text_to_image>text-to-image)|(?P<object_detection>object detection)|"
    r"(?P<image_to_text>optical character recognition|\bOCR\b|image captioning)|"
    r"(?P<audio_classification>emotion recognition|audio classification|keyword spotting|sound classification|"
    r"speaker (?:identification|verification))|(?P<translation2>multilingual translation)|"
    r"(?P<text_generation2>\btext generation)", re.I)
_LEAD_TASK_LOW = re.compile(_LEAD_TASK.pattern.replace("NER", "ner").replace("POS", "pos").replace("QA", "qa")
                            .replace("ASR", "asr").replace("TTS", "tts").replace("OCR", "ocr"))
_LEAD_WORDS = ("masked language", "causal language", "ner", "named entity", "part-of-speech", "pos tagging", "sentiment",
               "text classification", "question answering", "extractive qa", "speech", "asr", "translation",
               "summari", "image classification", "tts", "text-to-image", "object detection", "ocr",
               "optical character", "captioning", "emotion recognition", "audio classification", "keyword spotting",
               "sound classification", "speaker", "text generation")
_LEAD_CHARS = 700


def task_fallback(c) -> None:
    """model_task from the architecture class, a `pipeline("task")` call or the card's opening sentences."""
    b, t = c.b, c.text
    if b.has("model_task"):
        return
    if "pipeline for " in c.low and (m := c.search(_PIPE_FOR, c.prose, c.windows(("pipeline for ",), 0, 40))):
        words = m.group(1).lower().split()
        for n in (3, 2, 1):  # "use this model directly with a pipeline for text generation"
            if (task := "-".join(words[:n])) in nz.TASKS:
                b.add("model_task", task, "prose-rule", (m.start(1), m.end(1)), 0.8)
                return
    if "pipeline(" in t:
        for m in c.finditer(_PIPE, t, c.windows(("pipeline(",), 0, 80)):
            if m.group(1) in nz.TASKS:
                b.add("model_task", m.group(1), "prose-rule", (m.start(1), m.end(1)), 0.8)
                return
    spans = c.windows(_ARCH_WORDS, 0, 60)
    if spans:
        hits = [(m, _ARCH_TASK[m.group(m.lastindex)]) for m in c.finditer(_ARCH, t, spans)
                if m.group(m.lastindex) in _ARCH_TASK]
        if hits:
            counts = Counter(task for _, task in hits)
            task, n = counts.most_common(1)[0]
            if len(counts) == 1 or n > len(hits) / 2:
                m = next(m for m, tk in hits if tk == task)
                b.add("model_task", task, "prose-rule", (m.start(), m.end()), 0.75)
                return
    libs = b.values("libraries")
    for lib in libs:
        if lib in _LIB_TASK:
            b.add("model_task", _LIB_TASK[lib], "prose-rule", None, 0.7)
            return
    lead = c.low[c.body:c.body + _LEAD_CHARS]
    if not any(w in lead for w in _LEAD_WORDS):
        return
    lead = c.prose[c.body:c.body + _LEAD_CHARS]
    low = lead.lower()  # searched without re.I (several times faster), offsets kept when lower() keeps the length
    rx, text = (_LEAD_TASK_LOW, low) if len(low) == len(lead) else (_LEAD_TASK, lead)
    hits, seen = [], set()
    for lo, hi in c.windows(_LEAD_WORDS, 10, 30):  # the long alternation runs near its words only
        if lo >= c.body + len(lead):
            break
        for m in rx.finditer(text, lo - c.body, hi - c.body):
            if m.start() not in seen:
                seen.add(m.start())
                hits.append((m.lastgroup.rstrip("2").replace("_", "-"), m))
    if len({task for task, _ in hits}) == 1:
        task, m = hits[0]
        b.add("model_task", task, "prose-rule", (c.body + m.start(), c.body + m.end()), 0.7)


_TEXT_ARCH = re.compile(r"tokeniz|\b(?:bert|gpt-?2|gpt-?neo|roberta|t5|mt5|bart|mbart|electra|xlm|m2m100|opus-mt|marian|"
                        r"albert|deberta|distilbert|distilgpt2)\b", re.I)
_TEXT_WORDS = ("tokeniz", "bert", "gpt", "t5", "bart", "electra", "xlm", "m2m100", "opus-mt", "marian")
_OTHER_MODALITY = ("image", "audio", "speech", "vision", "pixel", "processor", "feature_extractor", "clip", "sound",
                   "video", "visual", "layout", "ocr", "diffusion", "wav", "graph", "molecul", "protein", "tabular",
                   "time series", "reinforcement")


def domain_fallback(c) -> None:
    """domain from the library when no task gives it."""
    b = c.b
    if b.has("domain"):
        return
    for lib in b.values("libraries"):
        if lib in _LIB_DOMAIN:
            b.add("domain", _LIB_DOMAIN[lib], "prose-rule", None, 0.7)
            return
    # a text-only architecture or a tokenizer, on a card that mentions no other modality
    if c.has(*_TEXT_WORDS) and not c.has(*_OTHER_MODALITY):
        for m in _TEXT_ARCH.finditer(c.text, c.body):
            before = c.text[max(c.body, m.start() - 200):m.start()]
            word = before.split()[-1] if before and not before[-1].isspace() and before.split() else ""
            if "://" in word or "=" in word:
                continue  # a name inside a link or an HTML attribute (a widget's ?model=xlm-…): not a statement
            b.add("domain", "nlp", "prose-rule", (m.start(), m.end()), 0.6)
            break


# --------------------------------------------------------------------------- input / output format

# the task's input and output, in a small fixed vocabulary (scored against the gold labels)
TASK_IO = {
    "text-classification": ("text", "label"), "zero-shot-classification": ("text", "label"),
    "multiple-choice": ("text", "label"), "token-classification": ("text", "token-labels"),
    "question-answering": ("text", "span"), "fill-mask": ("text", "tokens"), "text-generation": ("text", "text"),
    "text2text-generation": ("text", "text"), "summarization": ("text", "text"), "translation": ("text", "text"),
    "conversational": ("text", "text"), "sentence-similarity": ("text", "embedding"),
    "image-classification": ("image", "label"), "object-detection": ("image", "boxes"),
    "image-segmentation": ("image", "mask"), "depth-estimation": ("image", "depth"), "image-to-text": ("image", "text"),
    "text-to-image": ("text", "image"), "image-to-image": ("image", "image"),
    "zero-shot-image-classification": ("image+text", "label"), "visual-question-answering": ("image+text", "text"),
    "automatic-speech-recognition": ("audio", "text"), "audio-classification": ("audio", "label"),
    "text-to-speech": ("text", "audio"), "audio-to-audio": ("audio", "audio"),
    "voice-activity-detection": ("audio", "label"), "tabular-classification": ("tabular", "label"),
    "tabular-regression": ("tabular", "number"), "reinforcement-learning": ("observation", "action"),
}


_DOMAIN_INPUT = {"nlp": "text", "computer-vision": "image", "audio": "audio"}


def io_format(c) -> None:
    """input_format / output_format from the task (evidence: where the task is stated)."""
    b = c.b
    tasks = [e for e in b.fields["model_task"] if e.state == "value"]
    if not tasks and not b.has("input_format"):
        domains = [e for e in b.fields["domain"] if e.state == "value"]
        if domains and domains[0].value in _DOMAIN_INPUT:  # a text model whose task is not stated still reads text
            e = domains[0]
            span = (e.evidence_start, e.evidence_end) if e.evidence_start is not None else None
            b.add("input_format", _DOMAIN_INPUT[e.value], e.source, span, 0.55)
        return
    if b.has("input_format"):
        return
    best = max(tasks, key=lambda e: e.confidence)
    if best.value not in TASK_IO:
        return
    span = (best.evidence_start, best.evidence_end) if best.evidence_start is not None else None
    inp, out = TASK_IO[best.value]
    b.add("input_format", inp, best.source, span, max(0.5, best.confidence - 0.1))
    b.add("output_format", out, best.source, span, max(0.5, best.confidence - 0.1))


# --------------------------------------------------------------------------- frameworks

_FW = r"(PyTorch|Pytorch|TensorFlow|Tensorflow|Keras|JAX|Flax|FLAX)"
_FW_PROSE = re.compile(
    # "how to use the model in PyTorch:" (a code block follows), "the model supports PyTorch",
    # "a PyTorch (pre-trained) model", "Keras implementation of", "relies on the Flax/JAX infrastructure",
    # "TensorFlow and PyTorch checkpoints", "with the Transformers library and PyTorch"
    rf"\bin {_FW}[ \t]{{0,3}}:|\bsupports? (?:only )?{_FW}\b|\b(?:is|as) an? {_FW} (?:pre-?trained )?(?:model|port|version)|"
    rf"\b{_FW} (?i:implementation) of|\b(?:relies|built|written|implemented|runs?) (?:on|in|with|using) (?:the )?"
    rf"{_FW}(?:[ /]{{1,3}}(?:and )?{_FW})?\b|\b{_FW} and {_FW} (?:checkpoints|weights)|"
    rf"\b(?:library|libraries) and {_FW}\b|\bwith [⚡ ]{{0,3}}{_FW} Lightning")
_FW_CLASS = re.compile(r"\b(TF|Flax)[A-Z]\w{2,60}\.from_pretrained\(")
_FW_WORDS = ("pytorch", "tensorflow", "keras", "jax", "flax")


def frameworks(c) -> None:
    """Frameworks the card states in prose, and TensorFlow / Flax model classes loaded in its code."""
    b, p = c.b, c.prose
    for m in c.finditer(_FW_PROSE, p, c.windows(_FW_WORDS, 80, 40) if c.has(*_FW_WORDS) else []):
        if re.search(r"convert", p[max(c.body, m.start() - 40):m.start()], re.I):
            continue  # the framework of the checkpoint it was converted from
        for i in range(1, (m.lastindex or 0) + 1):
            if m.group(i) and (fw := nz.framework(m.group(i)) or ("keras" if m.group(i).lower() == "keras" else None)):
                if fw not in b.values("frameworks"):
                    b.add("frameworks", fw, "prose-rule", (m.start(i), m.end(i)), 0.8)
    for blk in (c.blocks if "from_pretrained" in c.low and ("TF" in c.text or "Flax" in c.text) else ()):
        if m := _FW_CLASS.search(c.text, blk.code_start, blk.code_end):
            fw = "tensorflow" if m.group(1) == "TF" else "jax"
            if fw not in b.values("frameworks"):
                b.add("frameworks", fw, "prose-rule", (m.start(), m.end()), 0.8)


def said_in_prose(c, words: tuple[str, ...]) -> bool:
    """Whether one of the (lower-case) words occurs in the card's prose: not in code, not inside a URL."""
    low, p, t = c.low, c.prose, c.text
    if len(low) != len(t):
        return c.has(*words)
    for w in words:
        for pos in c.occurrences(w):
            if p[pos] != " ":  # code is blanked in the prose
                start = max(t.rfind(ch, max(0, pos - 300), pos) for ch in " \n(<\"'[")
                token = low[start + 1:pos]
                if "://" not in token and "www." not in token and "/" not in token and "." not in token[-1:]:
                    return True
    return False


# --------------------------------------------------------------------------- language

_LANG_LINE = re.compile(r"^[ \t]{0,8}[-*]?[ \t]{0,4}\**(?:source |target )?languages?(?:\(s\))?\**[ \t]{0,3}:\**[ \t]{0,4}"
                        r"([^\n]{1,160})$", re.I | re.M)
_NAME = re.compile(r"\b(" + "|".join(sorted(nz.LANGUAGE_NAMES, key=len, reverse=True)) + r")\b")  # on lower-case text
_NAME_BEFORE = re.compile(r"\b(?:corpus|corpora|data|dataset|texts?|written) (?:of|in) (?:the )?$", re.I)
_NAME_AFTER = re.compile(r" (?:corpus|corpora|texts|data)\b", re.I)
_NAME_CONTEXT = ("corpus", "corpora", "data", "text", "written", "language")  # the words around a language's name
_SCRIPTS = (("ja", re.compile(r"[\u3040-\u30ff]")), ("ko", re.compile(r"[\uac00-\ud7af]")),
            ("zh", re.compile(r"[\u4e00-\u9fff]")))
_LETTERS = re.compile(r"[^\W\d_]")


def languages(c) -> None:
    """Languages from a "Language(s): …" line, named in prose ("a corpus of Tamil text"), or, for a card written
    in Japanese, Korean or Chinese, its script; only when the front matter names none."""
    b, p = c.b, c.prose
    if b.fields["language"]:
        return
    for m in c.finditer(_LANG_LINE, p, c.windows(("language",), 60, 200)):
        pos, codes_ok = m.start(1), re.search(r"source|target", m.group(0), re.I)  # "source languages: gaa"
        for part in re.split(r"([,/;]| and )", m.group(1)):
            word = part.strip().strip("*[]`'\" ").lower()
            code = nz.LANGUAGE_NAMES.get(word) or (
                word if word in nz.ISO_639_1 or codes_ok and re.fullmatch(r"[a-z]{3}", word) else None)
            if code and code not in b.values("language"):
                b.add("language", code, "prose-rule", (pos, pos + len(part)), 0.8)
            pos += len(part)
    if b.fields["language"]:
        return
    names: Counter = Counter()
    first = {}
    low = c.low if len(c.low) == len(p) else p  # lower() kept the offsets (else: names in lower case only)
    for n, m in enumerate(c.finditer(_NAME, low, c.windows(_NAME_CONTEXT, 40, 30))):
        if n >= 50:
            break
        lo, hi = m.start(), m.end()
        if (_NAME_BEFORE.search(p, max(c.body, lo - 30), lo) or _NAME_AFTER.match(p, hi, hi + 20)
                or p[max(0, lo - 4):lo].lower() == "the " and p[hi:hi + 9].lower() == " language"):
            code = nz.LANGUAGE_NAMES[m.group(1)]
            names[code] += 1
            first.setdefault(code, (lo, hi))
    top = names.most_common(2)
    if top and (len(top) == 1 or top[0][1] > top[1][1]):  # one language named more often than any other
        b.add("language", top[0][0], "prose-rule", first[top[0][0]], 0.7)
        return
    body = p[c.body:c.body + 20_000]
    if body.isascii():
        return
    letters = len(_LETTERS.findall(body))
    for code, rx in _SCRIPTS:  # a card written in Japanese, Korean or Chinese
        if letters and len(rx.findall(body)) >= 0.3 * letters:
            b.add("language", code, "prose-rule", None, 0.7)
            return


# --------------------------------------------------------------------------- evaluation results in prose

_RESULT = re.compile(r"\b((?:top-?[15][ -]?)?accuracy|f1(?:[ -]score)?|auc|bleu|wer|cer|exact match|perplexity)"
                     r"(?: score)? (?:of|is|was|=|:) ?(\d{1,3}(?:\.\d{1,4})?) ?%?(?![\d.]\d)")  # on lower-case text
_RESULT_WORDS = ("accuracy", "f1", "auc", "bleu", "wer", "cer", "exact match", "perplexity")
_RESULT_SUBJECT = re.compile(r"\b(?:this|the|our) (?:model|checkpoint|evaluation)|\bit (?:reaches|achieves|has|gets)|"
                             r"\bmodel (?:reaches|achieves|has|obtains|gets)", re.I)
_NOT_OURS = re.compile(r"compar|baseline|\bvs\.?\b|versus|original|previous|other|random|human|than", re.I)


def results(c) -> None:
    """Results stated in a sentence about the model ("This model reaches an accuracy of 91.3 on the dev set"), not
    those of baselines or other models; only when no table or front matter gave any."""
    b, p = c.b, c.prose
    if b.has("evaluation") or not c.has(*_RESULT_WORDS) or len(c.low) != len(p):
        return
    for m in c.finditer(_RESULT, c.low, c.windows(_RESULT_WORDS, 8, 40)):
        if p[m.start()] == " ":
            continue  # in code (blanked in the prose)
        lo = max(c.body, p.rfind(". ", 0, m.start()) + 2, p.rfind("\n", 0, m.start()) + 1, m.start() - 200)
        before = p[lo:m.start()]
        if not _RESULT_SUBJECT.search(before) or _NOT_OURS.search(before):
            continue
        b.add("evaluation", {"metric": p[m.start(1):m.end(1)], "value": float(m.group(2))}, "prose-rule",
              (m.start(), m.end()), 0.75)
