"""Stage 1: rules ($0, no model). Front matter, Hub tags, Trainer sections, tables and prose patterns.

It rather abstains than guesses: every pattern is anchored on wording that states the field.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from itertools import chain
from typing import Any

from peatmoss.core.frontmatter import FrontMatter, split_front_matter

from . import normalize as nz
from .builder import Builder
from .keywords import Keywords
from .markdown import code_blocks, injection_spans, is_placeholder, sections, tables
from .papers import extract_papers
from .prose import (base_model, datasets, domain_fallback, frameworks, io_format, languages, results,
                    said_in_prose, task_fallback)

MAX_EVAL = 300
MAX_WINDOWS = 50  # occurrences of a keyword looked at per card
_NO_LANGUAGE = {"unk", "und", "none", "other", "code", "n/a", "-"}  # model-index results kept per card (some MTEB cards list thousands)

# --------------------------------------------------------------------------- helpers


class Ctx:
    def __init__(self, text: str, hub_id: str | None = None):
        self.text = text
        self.hub_id = hub_id  # the model's Hub id when known: finds its row in a table of models
        self.b = Builder(text)
        self.fm: FrontMatter = split_front_matter(text)
        self.body = self.fm.body_start
        self.blocks = code_blocks(text, self.body)
        self.sections = sections(text, self.body, self.blocks)
        # same offsets; code blocks and instruction-like paragraphs ("ignore previous instructions") blanked
        self.low = text.lower()  # for the cheap keyword gates in front of each family of patterns
        self.prose = _blank(text, [(b.start, b.end) for b in self.blocks] + injection_spans(text, self.body, self.low))
        self.papers_seen = False  # a paper link was found but not read as the model's own paper
        self.words = Keywords(self.low)
        self._in_body: dict[str, list[int]] = {}

    def has(self, *words: str) -> bool:
        """Whether any of the (lower-case) words occurs in the card: the gate before a family of patterns."""
        at, scanned = self.words.at, self.words.scanned
        for w in words:
            if w in at:
                if at[w]:
                    return True
            elif w not in scanned and self.words.positions(w):
                return True
        return False

    def occurrences(self, word: str) -> list[int]:
        """Offsets of the word in the body, as successive str.find calls give them (not overlapping), at most
        MAX_WINDOWS of them."""
        found = self._in_body.get(word)
        if found is None:
            found, nxt = [], self.body
            every = self.words.positions(word)
            for pos in every[bisect_left(every, nxt):] if every else ():
                if pos >= nxt:
                    found.append(pos)
                    if len(found) >= MAX_WINDOWS:
                        break
                    nxt = pos + len(word)
            self._in_body[word] = found
        return found

    def windows(self, words: tuple[str, ...], before: int = 80, after: int = 80) -> list[tuple[int, int]]:
        """Merged spans around the body's occurrences of the words (to the end of their line): a pattern that
        needs one of the words runs on these spans only, never on the whole card."""
        low, text = self.low, self.text
        if len(low) != len(text):  # lower() changed the length (rare Unicode): no windows, the whole body
            return [(self.body, len(text))] if self.has(*words) else []
        spans, in_body, body = [], self._in_body, self.body
        at, scanned = self.words.at, self.words.scanned
        for w in words:
            found = in_body.get(w)
            if found is None:
                if w not in at and w in scanned:
                    continue  # not in the card
                found = self.occurrences(w)
            n = len(w)
            for pos in found:
                eol = text.find("\n", pos + n, pos + n + after + 200)
                spans.append((max(body, pos - before), eol if eol >= 0 else min(len(text), pos + n + after)))
        if len(spans) < 2:
            return spans
        spans.sort()
        merged: list[tuple[int, int]] = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
            else:
                merged.append((lo, hi))
        return merged

    def search(self, rx: re.Pattern, text: str, spans: list[tuple[int, int]]) -> re.Match | None:
        """The first match of `rx` in `text` inside the spans."""
        for lo, hi in spans:
            if m := rx.search(text, lo, hi):
                return m
        return None

    def finditer(self, rx: re.Pattern, text: str, spans: list[tuple[int, int]]):
        """The matches of `rx` in `text` inside the spans, span by span (lazily, as a generator would give them)."""
        if not spans:
            return ()
        if len(spans) == 1:
            return rx.finditer(text, *spans[0])
        return chain.from_iterable(rx.finditer(text, lo, hi) for lo, hi in spans)

    def yaml_span(self, key: str, value: Any = None) -> tuple[int, int] | None:
        """Offsets of `value` (or of the `key:` line) inside the front matter."""
        fm = self.fm
        m = _key_line(key).search(self.text[fm.start:fm.end])
        if not m:
            return None
        lo = fm.start + m.start()
        if value is not None:
            sval = str(value)
            pos = self.text.find(sval, lo, fm.end)
            if pos < 0:
                pos = self.text.lower().find(sval.lower(), lo, fm.end) if len(self.text) < 200_000 else -1
            if pos >= 0:
                return pos, pos + len(sval)
        eol = self.text.find("\n", lo, fm.end)
        return lo, (eol if eol > 0 else fm.end)


@functools.lru_cache(maxsize=1024)
def _key_line(key: str) -> re.Pattern:
    """The pattern of a `key:` line in YAML (compiled once per key)."""
    return re.compile(rf"^[ \t]*-?[ \t]*['\"]?{re.escape(key)}['\"]?[ \t]*:", re.M)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    if not spans:
        return text
    parts, pos = [], 0
    for lo, hi in sorted(spans):
        if lo < pos:
            lo = pos
        if hi <= lo:
            continue
        parts.append(text[pos:lo])
        parts.append("\n".join(" " * len(line) for line in text[lo:hi].split("\n")))  # all but newlines blanked
        pos = hi
    parts.append(text[pos:])
    return "".join(parts)


def _as_list(value: Any) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in value if v not in (None, "")]
    return [value]


def _number(raw: str, unit: str | None = None) -> float | None:
    try:
        n = float(raw.replace(",", "").replace("_", ""))
    except ValueError:
        return None
    mult = {"b": 1e9, "billion": 1e9, "m": 1e6, "million": 1e6, "k": 1e3, "thousand": 1e3,
            "t": 1e12, "trillion": 1e12}.get((unit or "").lower(), 1)
    return n * mult


# --------------------------------------------------------------------------- front matter


def _yaml(c: Ctx) -> None:
    d, b = c.fm.data, c.b
    if c.fm.error:
        b.errors.append(("yaml_salvaged" if d else "yaml_invalid", c.fm.error))
    conf = 0.9 if c.fm.error else 0.98

    # license (misspellings, lists, "other" + license_name)
    for key in ("license", "licence", "liscence", "licenses", "license_name"):
        for raw in _as_list(d.get(key)):
            if key == "license_name" and b.has("license") and not any(v == "other" for v in b.values("license")):
                continue
            lic = nz.license_id(raw)
            if not lic or not re.search(r"[a-z]{2}", lic):
                b.errors.append(("license_unreadable", f"{key}: {str(raw)[:100]!r}"))
                continue
            if lic and lic not in ("other", "license") or (lic == "other" and not d.get("license_name")):
                if key == "license_name" and "other" in b.values("license"):
                    b.fields["license"] = [e for e in b.fields["license"] if e.value != "other"]
                b.add("license", lic, "yaml", c.yaml_span(key, raw), conf if key == "license" else conf - 0.08,
                      flag=None if key in ("license", "license_name") else f"license under misspelt key '{key}'")
    for key in ("datasets", "dataset"):
        for raw in _as_list(d.get(key)):
            if isinstance(raw, str):
                b.add("datasets", {"name": raw}, "yaml", c.yaml_span(key, raw), conf)
    for key in ("language", "languages", "lang"):
        for raw in _as_list(d.get(key)):
            if isinstance(raw, str) and 1 < len(raw) < 40 and raw.strip().lower() not in _NO_LANGUAGE:
                b.add("language", nz.language(raw), "yaml", c.yaml_span(key, raw), conf)
    task = d.get("pipeline_tag")
    if isinstance(task, str) and task:
        b.add("model_task", nz.task(task), "yaml", c.yaml_span("pipeline_tag", task), conf)
    for item in _as_list(d.get("train-eval-index")) if not b.has("model_task") else ():
        task = item.get("task") if isinstance(item, dict) else None  # an evaluation config's task
        if isinstance(task, str) and nz.task(task) in nz.TASKS:
            b.add("model_task", nz.task(task), "yaml", c.yaml_span("task", task), conf - 0.08)
            break
    lib = d.get("library_name")
    if isinstance(lib, str):
        if nz.library(lib):
            b.add("libraries", nz.library(lib), "yaml", c.yaml_span("library_name", lib), conf)
        elif nz.framework(lib):
            b.add("frameworks", nz.framework(lib), "yaml", c.yaml_span("library_name", lib), conf)
    for raw in _as_list(d.get("base_model")):
        if isinstance(raw, str) and raw.strip():
            b.add("base_model", {"id": raw.strip(), "relation": _relation_from_yaml(d)}, "yaml",
                  c.yaml_span("base_model", raw), conf)
    for raw in _as_list(d.get("tags")):
        if isinstance(raw, str):
            _tag(c, raw, "yaml", c.yaml_span("tags", raw), conf - 0.03)
    _co2(c, d.get("co2_eq_emissions"), conf)
    for key in ("model-index", "model_index"):
        if isinstance(d.get(key), list):
            _model_index(c, d[key], key, conf)


def _relation_from_yaml(d: dict) -> str:
    tags = {str(t).lower() for t in _as_list(d.get("tags")) if isinstance(t, str)}
    lib = str(d.get("library_name") or "").lower()
    if lib == "peft" or "lora" in tags or "peft" in tags:
        return "adapter"
    if tags & {"gguf", "gptq", "awq", "quantized"}:
        return "quantized"
    if "merge" in tags or "mergekit" in tags:
        return "merge"
    return "finetune"


def _co2(c: Ctx, co2: Any, conf: float) -> None:
    if co2 is None:
        return
    b = c.b
    if isinstance(co2, (int, float)) and not isinstance(co2, bool):
        b.add("carbon_emitted", float(co2), "yaml", c.yaml_span("co2_eq_emissions", co2), conf)
    elif isinstance(co2, dict):
        em = co2.get("emissions")
        if isinstance(em, (int, float)) and not isinstance(em, bool):
            b.add("carbon_emitted", float(em), "yaml", c.yaml_span("emissions", em), conf)
        hw = co2.get("hardware_used")
        if isinstance(hw, str) and hw.strip():
            b.add("hardware", {"name": hw.strip(), "cloud_provider": _s(co2.get("cloud_provider")),
                               "region": _s(co2.get("cloud_region") or co2.get("geographical_location")),
                               "hours": _f(co2.get("training_time"))},
                  "yaml", c.yaml_span("hardware_used", hw), conf)


def _s(v: Any) -> str | None:
    return str(v) if isinstance(v, (str, int, float)) and str(v).strip() else None


def _f(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _model_index(c: Ctx, entries: list, key: str, conf: float) -> None:
    b = c.b
    n = 0
    span0 = c.yaml_span(key)
    cursor = span0[0] if span0 else c.fm.start
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        for res in _as_list(entry.get("results")):
            if not isinstance(res, dict):
                continue
            task = res.get("task") if isinstance(res.get("task"), dict) else {}
            ttype = task.get("type")
            if isinstance(ttype, str) and ttype.lower() in nz.TASKS and not b.has("model_task"):
                b.add("model_task", ttype.lower(), "yaml", c.yaml_span("type", ttype), conf - 0.05)
            ds = res.get("dataset") if isinstance(res.get("dataset"), dict) else {}
            dname = _s(ds.get("name")) or _s(ds.get("type"))
            split = _s(ds.get("split"))
            if dname and dname.lower().startswith("mteb"):
                split = split or None
            for met in _as_list(res.get("metrics")):
                if not isinstance(met, dict) or n >= MAX_EVAL:
                    continue
                value = met.get("value")
                if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
                    continue
                metric = _s(met.get("type")) or _s(met.get("name"))
                if not metric:
                    continue
                pos = c.text.find(str(value), cursor, c.fm.end)
                span = (pos, pos + len(str(value))) if pos >= 0 else span0
                if pos >= 0:
                    cursor = pos
                b.add("evaluation", {"metric": metric, "value": value if isinstance(value, (int, float)) else str(value),
                                     "dataset": dname, "split": split}, "yaml", span, conf)
                n += 1
                if n >= MAX_EVAL:
                    b.notes["evaluation_truncated"] = True
            if (rl := _s(ds.get("name"))) and "reinforcement" in str(ttype).lower() and not b.has("rl_environment"):
                b.add("rl_environment", rl, "yaml", c.yaml_span("name", rl), conf - 0.05)


# --------------------------------------------------------------------------- Hub tags


def _tag(c: Ctx, raw: str, source: str, span, conf: float) -> None:
    b = c.b
    tag = raw.strip()
    low = tag.lower()
    prefix, _, rest = low.partition(":")
    if rest:
        value = tag.split(":", 1)[1]
        if prefix == "license":
            b.add("license", nz.license_id(value), source, span, conf)
        elif prefix == "dataset":
            b.add("datasets", {"name": value}, source, span, conf)
        elif prefix == "arxiv":
            b.add("papers", {"url": f"https://arxiv.org/abs/{value}"}, source, span, conf)
        elif prefix == "doi":
            b.add("papers", {"url": f"https://doi.org/{value}"}, source, span, conf)
        elif prefix == "base_model":
            parts = value.split(":")
            rel = parts[0] if len(parts) > 1 else "finetune"
            rel = {"finetune": "finetune", "adapter": "adapter", "quantized": "quantized", "merge": "merge"}.get(
                rel, "unknown")
            b.add("base_model", {"id": parts[-1], "relation": rel}, source, span, conf)
        return
    if nz.task(low) in nz.TASKS:
        if not b.has("model_task"):
            b.add("model_task", nz.task(low), source, span, conf - 0.03)
    elif nz.framework(low):
        b.add("frameworks", nz.framework(low), source, span, conf)
    elif nz.library(low):
        b.add("libraries", nz.library(low), source, span, conf)
    elif source == "tags" and low in nz.ISO_639_1:
        b.add("language", low, source, span, conf - 0.05)


# --------------------------------------------------------------------------- Trainer-written sections

_FINETUNED = re.compile(
    r"(?:is a |model is a |This is a |^)\s{0,3}fine-?tuned (?:version|checkpoint) of \[?`?([\w./\-]+)`?\]?"
    r"(?:\((https?://huggingface\.co/[^)\s]+)\))?(?: on (?:the )?(.+?) dataset)?", re.I | re.M)
_FROM_LINK = re.compile(
    r"(?:fine-?tuned|trained|initiali[sz]ed|adapted|distilled|derived|converted|quantized) "
    r"(?:version |checkpoint )?(?:from|of|on top of|based on) (?:the )?(?:\*\*)?\[([^\]\n]{2,120})\]"
    r"\((https?://huggingface\.co/(?!datasets/|spaces/|docs/|blog/)[\w.\-]+(?:/[\w.\-]+)?)/?\)", re.I)
_LORA = re.compile(r"(?:LoRA|adapter|adaption) weights for \[?`?([\w.\-]+/[\w.\-]+)", re.I)
_HP_HEAD = re.compile(r"hyper-?parameters", re.I)
_ITEM = re.compile(r"^[ \t]{0,8}[-*][ \t]{1,4}([\w .()/\-]{1,60}?)[ \t]{0,4}:[ \t]{0,4}(\S[^\n]{0,300}?)[ \t]{0,8}$", re.M)
_FRAMEWORK_LINE = re.compile(r"^[ \t]{0,8}[-*][ \t]{1,4}([A-Za-z][\w .\-]{0,40}?)(?:[ \t]{0,4}:)?[ \t]{1,4}v?(\d[\w.+\-]{0,30})[ \t]{0,8}$",
                             re.M)
# a list of "Name: value" training settings outside a hyper-parameters section ("- **Optimizer:** AdamW")
_HP_ITEM = re.compile(r"^[ \t]{0,8}[-*][ \t]{1,4}\**([A-Za-z][\w .()/'\-]{0,60}?)\**[ \t]{0,4}:\**[ \t]{0,4}"
                      r"(\S[^\n]{0,200}?)[ \t]{0,8}$", re.M)
_HP_NAME = re.compile(r"learning[ _]rate|^lr$|batch|epoch|steps?$|^steps|warm-?up|optimi[sz]er|dropout|weight[ _]decay|"
                      r"gradient[ _]accum|sequence[ _]length|block[ _]size|adam|momentum|label[ _]smoothing|"
                      r"schedul|mask(?:ing)?[ _]prob", re.I)
_HP_WORDS = ("learning rate", "learning_rate", "batch", "optimizer", "optimiser", "epoch", "warmup")
_RESULTS = re.compile(r"achieves the following results on the evaluation set:?[ \t]{0,8}\n", re.I)


_UNKNOWN_DS = re.compile(r"\bunknown\b|^none$|^null$", re.I)
_DS_SEP_ONLY = re.compile(r"\s{0,3}(?:,\s{0,3}(?:and\s{1,3})?(?:the\s{1,3})?|\s{1,3}and\s{1,3}(?:the\s{1,3})?)")
_DS_SEP = re.compile(f"({_DS_SEP_ONLY.pattern})")
_DS_CONFIG = re.compile(r"\s{1,3}-\s{1,3}[A-Z]{2,3}(?:-[A-Z]{2,4})?$")
_FW_VERSIONS = re.compile(r"framework versions", re.I)


def _trainer(c: Ctx) -> None:
    b, t = c.b, c.text
    for m in c.finditer(_FINETUNED, c.prose, c.windows(("tuned version", "tuned checkpoint"), 40, 300)):
        mid = nz.hub_id(m.group(2)) if m.group(2) else m.group(1)
        if mid and mid.lower() not in ("none", "unknown", "the"):
            if not m.group(2):
                mid = m.group(1)
            else:
                mid = m.group(2).split("huggingface.co/", 1)[1].rstrip("/")
            b.add("base_model", {"id": mid, "relation": "finetune", **({"url": m.group(2)} if m.group(2) else {})},
                  "prose-rule", (m.start(1), m.end(2) if m.group(2) else m.end(1)), 0.93)
        ds = m.group(3)
        if ds and _UNKNOWN_DS.search(ds):  # "… on an unknown dataset", "the None dataset"
            b.not_stated("datasets", "prose-rule", (m.start(3), m.end(3)), 0.6)
        elif ds and len(ds) < 120:
            pos = m.start(3)
            for part in _DS_SEP.split(ds):
                name = _DS_CONFIG.sub("", part.strip().strip("`*[]"))  # "X - AB": a config
                if name and not _DS_SEP_ONLY.fullmatch(part):
                    b.add("datasets", {"name": name}, "prose-rule", (pos, pos + len(part)), 0.9)
                pos += len(part)
        break
    for m in c.finditer(_FROM_LINK, c.prose, c.windows(("](https://huggingface.co/", "](http://huggingface.co/"), 200, 200)):
        url = m.group(2)
        mid = url.split("huggingface.co/", 1)[1].rstrip("/")
        b.add("base_model", {"id": mid, "url": url, "relation": "finetune"}, "prose-rule", (m.start(), m.end()), 0.85)
    for m in c.finditer(_LORA, c.prose, c.windows(("weights for",), 20, 120)):
        b.add("base_model", {"id": m.group(1), "relation": "adapter"}, "prose-rule", (m.start(1), m.end(1)), 0.85)

    for sec in c.sections:
        title = sec.title
        if _HP_HEAD.search(title):
            for m in _ITEM.finditer(t, sec.body_start, sec.end):
                name, value = m.group(1).strip(), m.group(2).strip()
                if len(name) < 60 and len(value) < 300:
                    b.add("hyper_parameters", {"name": name, "value": value}, "prose-rule", (m.start(1), m.end(2)), 0.92)
        elif _FW_VERSIONS.search(title):
            for m in _FRAMEWORK_LINE.finditer(t, sec.body_start, sec.end):
                name = m.group(1).strip().lower()
                span = (m.start(1), m.end(1))
                if nz.framework(name):
                    b.add("frameworks", nz.framework(name), "prose-rule", span, 0.95)
                elif nz.library(name.replace(" ", "-")) or nz.library(name):
                    b.add("libraries", nz.library(name.replace(" ", "-")) or nz.library(name), "prose-rule",
                          span, 0.95)
    if not b.has("hyper_parameters") and c.has(*_HP_WORDS):
        _hp_list(c)
    m = _RESULTS.search(t, c.body) if "achieves the following" in c.low else None
    if m:
        dsets = [v.name for v in b.values("datasets")]
        pos = m.end()
        for im in _ITEM.finditer(t, pos):
            if t[pos:im.start()].strip():
                break
            value = im.group(2).strip()
            num = _number(value)
            b.add("evaluation", {"metric": im.group(1).strip(), "value": num if num is not None else value,
                                 "dataset": dsets[0] if len(dsets) == 1 else None, "split": "evaluation"},
                  "prose-rule", (im.start(1), im.end(2)), 0.9)
            pos = im.end() + 1


def _hp_list(c: Ctx) -> None:
    """Hyper-parameters from a list of training settings: a run of "Name: value" items, two of them named like
    hyper-parameters (optimizer, learning rate, batch size …); only those items are kept."""
    p, spans = c.prose, []
    for lo, hi in c.windows(_HP_WORDS, 600, 0):  # from 600 characters before a keyword to the end of its list
        end = p.find("\n\n", hi, hi + 3000)
        hi = end if end >= 0 else min(len(p), hi + 3000)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    runs: list[list[re.Match]] = []
    for m in c.finditer(_HP_ITEM, p, spans):
        if runs and c.prose[runs[-1][-1].end():m.start()].strip() == "":
            runs[-1].append(m)
        else:
            runs.append([m])
    for run in runs:
        items = [m for m in run if _HP_NAME.search(m.group(1).strip())]
        if len(items) < 2:
            continue
        for m in items:
            value = m.group(2).strip().strip("*").strip()
            if num := re.fullmatch(r"(\d{1,3}(?:['’,]\d{3})+|\d+(?:\.\d+)?(?:e-?\d+)?)"
                                   r"(?: (?:sequences|examples|samples|tokens|images))?", value):
                value = re.sub(r"['’,]", "", num.group(1))  # "1'024 sequences": the number
            b_value = {"name": m.group(1).strip(), "value": value}
            c.b.add("hyper_parameters", b_value, "prose-rule", (m.start(1), m.end(2)), 0.85)
        return


# --------------------------------------------------------------------------- prose patterns

_PARAMS = [
    re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s{0,3}(billion|million|thousand|[BMK])\b[\s\-]{0,3}"
               r"(?:(?:trainable|backbone|total)[\s\-]{1,3})?param", re.I),
    re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3}){2,}|\d{7,})\s{1,3}(?:trainable\s{1,3})?param", re.I),
    re.compile(r"(?:number of parameters|n_parameters|# ?params|parameters|param(?:eter)?s? count)\s{0,3}(?:\*\*)?\s{0,3}"
               r"[|:=]\s{0,3}(?:\*\*)?\s{0,3}(\d+(?:[.,]\d+)*)\s{0,3}(billion|million|[BMK])?\b", re.I),
    re.compile(r"params \(m\)(?:\*\*)?\s{0,3}:?(?:\*\*)?\s{0,3}(\d+(?:\.\d+)?)()", re.I),
]
# a count of one part of the model ("98M parameters in the embedding layer"), not the model's
_PART_COUNT = re.compile(r"[^.\n]{0,30}?\b(?:in|of|for) (?:the|its|each) (?:\w+ )?(?:embeddings?|encoder|decoder|head|"
                         r"adapters?|lora|layers?|block)\b", re.I)
_ABSTRACT = re.compile(r"^[ \t]{0,3}(?:#{1,6}[ \t]{1,4})?[*_]{0,2}abstract[*_]{0,2}[ \t]{0,2}:?[*_]{0,2}", re.I | re.M)


def _abstract_spans(c: Ctx) -> list[tuple[int, int]]:
    """A pasted paper abstract (after an "Abstract" line or heading, to the end of its paragraph): its counts are
    of the paper's models ("using a 1B parameter model"), not necessarily of this checkpoint."""
    out = []
    for lo, hi in c.windows(("abstract",), 8, 0):
        if m := _ABSTRACT.search(c.text, lo, hi):
            para = c.text.find("\n\n", m.end() + 2)
            out.append((m.start(), para if para >= 0 else len(c.text)))
    return out


# "Model size: 1.32B" (a script's output in a code block, or a list item)
_MODEL_SIZE = re.compile(r"^[ \t]{0,8}[-*]?[ \t]{0,4}\**model size\**[ \t]{0,3}:\**[ \t]{0,3}(\d+(?:\.\d+)?)[ \t]{0,2}([BM])\b",
                         re.I | re.M)
_GPU = (r"(?:(?:(?<![\d.])\d{1,4}|eight|four|two|sixteen)\s{0,3}[x×]?\s{0,3})?(?:NVIDIA\s{1,3})?(?:Tesla\s{1,3})?"
        r"(?:GeForce\s{1,3})?(?:A100|V100|P100|H100|A6000|A40|A10G|T4|K80|P40|TITAN\s?(?:RTX|V|Xp?)|RTX\s?\d{4}(?:\s?Ti)?|"
        r"GTX\s?\d{3,4}(?:\s?Ti)?)(?:[ \-]{0,3}(?:SXM\d?|PCIe|\d{1,3}\s?GB)){0,3}\b(?:\s{0,3}GPUs?)?")
_TPU = (r"(?:(?:(?<![\d.])\d{1,4}|a)\s{0,3}[x×]?\s{0,3})?(?:Google\s{1,3})?(?:Cloud\s{1,3})?TPU(?:\s?v\d(?:[\s\-]\d{1,4})?)?"
        r"(?:\s{1,3}(?:pod|Pod|slice))?s?")
_HARDWARE = re.compile(rf"\b(?:{_GPU}|{_TPU})", re.I)
_HARDWARE_WORDS = ("gpu", "tpu", "a100", "v100", "p100", "h100", "a6000", "a40", "a10g", "t4", "k80", "p40", "titan",
                   "rtx", "gtx")
_TRAIN_CONTEXT = re.compile(r"\btrain|fine-?tun|pre-?train|hardware|compute|took\b|GPU hours", re.I)
_HOURS = re.compile(r"(\d+(?:\.\d+)?)\s{0,3}(?:GPU[\s\-]|TPU[\s\-])?hours", re.I)
_DAYS = re.compile(r"(\d+(?:\.\d+)?)\s{0,3}days", re.I)
_CLOUD = re.compile(r"\b(Google Cloud(?: Platform)?|GCP|AWS|Amazon Web Services|Azure|Lambda Labs|JarvisLabs)\b")
_CO2 = [
    re.compile(r"CO2 Emissions \(in grams\)\s{0,3}:?\s{0,3}(\d+(?:\.\d+)?)", re.I),
    re.compile(r"(\d+(?:[.,]\d+)?)\s{0,3}(kg|kilograms?|tons?|tonnes?|t|g|grams?|lbs?)\s{0,3}(?:of\s{0,3})?"
               r"(?:CO2|CO₂|carbon(?: dioxide)?)(?:[\s\-]?eq(?:uivalent)?)?", re.I),
]
_GITHUB = re.compile(r"https?://(?:www\.)?github\.com/([\w.\-]+)/([\w.\-]+)", re.I)
_GENERIC_REPOS = {
    "huggingface/transformers", "huggingface/datasets", "huggingface/peft", "huggingface/trl",
    "huggingface/diffusers", "huggingface/accelerate", "huggingface/tokenizers", "huggingface/huggingface_hub",
    "huggingface/notebooks", "huggingface/blog", "huggingface/autotrain-advanced", "pytorch/pytorch",
    "tensorflow/tensorflow", "google/jax", "ukplab/sentence-transformers", "mlco2/impact", "facebookresearch/fairseq",
    "unslothai/unsloth", "hiyouga/llama-factory", "huggingface/huggingface-llama-recipes", "keras-team/keras",
    "dlr-rm/rl-baselines3-zoo", "dlr-rm/stable-baselines3", "unity-technologies/ml-agents", "openai/gpt-2",
    "explosion/spacy", "flairnlp/flair", "speechbrain/speechbrain", "espnet/espnet", "nvidia/nemo",
    "huggingface/pytorch-image-models", "rwightman/pytorch-image-models", "git-lfs/git-lfs", "ultralytics/yolov5",
    "huggingface/optimum", "fastai/fastai", "huggingface/setfit", "huggingface/text-generation-inference",
    "pyannote/pyannote-audio", "k2-fsa/icefall", "huggingface/ml-agents", "scikit-learn/scikit-learn",
}
_REPO_CONTEXT = re.compile(r"\b(?:readme|resources|more information|code|codes|repositor(?:y|ies)|repo|github|official|implementation|first released|"
                           r"originally released|source|training scripts?|scripts? used|fine-tuning scripts?)\b[^.\n]*$",
                           re.I)
_ORIGINAL = re.compile(r"\boriginal (?:model|implementation|code|checkpoints?)\b[^.\n]{0,40}$|\boriginal:?\**:?\s{0,3}$", re.I)
_LINK_TEXT = re.compile(r"\[([^\]\n]{2,60})\]\($")


def _names_model(c: Ctx, before: str) -> bool:
    """Whether the link's text names this model ("[`stablediffusion`](…)" on stable-diffusion-2's card)."""
    m = _LINK_TEXT.search(before) if c.hub_id else None
    if not m or not m.group(1).split():
        return False
    key, own = _name_key(m.group(1).split()[-1]), _name_key(c.hub_id.split("/")[-1])
    # not just a family name, nor a longer name that starts with it (another project: "KoGPT2-subtasks")
    return len(key) >= 0.6 * len(own) and (own.startswith(key) or key.startswith(own) and len(key) - len(own) <= 2)


_UPSTREAM = re.compile(r"convert|code from|buil[dt] (?:up)?on|src=[\"']?$|based on|adapted from|forked from|borrow", re.I)
# a dataset's repository ("trained on data of [X](…)"), or an entry of a numbered reference list
_NOT_OWN_REPO = re.compile(r"(?:\b(?:trained|fine-?tuned) on\b|\bdata(?:sets?)?\b)[^.\n]{0,40}$|^\s{0,3}\[\d{1,3}\]", re.I)
# the repository given as the url of the card's BibTeX entry (often in a code block)
_CITED_URL = re.compile(r"(?:howpublished|url)\s{0,12}=\s{0,3}[{\"](?:\\url\{)?https?://(?:www\.)?github\.com/"
                        r"([\w.\-]+)/([\w\-]+(?:\.(?!git\b)[\w\-]+)*)", re.I)


def _repo_rank(c: Ctx, owner: str, name: str, before: str) -> int | None:
    """How surely a GitHub link is the model's own repository: 0 named in the citation or named like the model,
    1 introduced as the official / original code, 2 introduced as code, None not the model's."""
    if c.hub_id and _name_key(name) == _name_key(c.hub_id.split("/")[-1]) and not _UPSTREAM.search(before):
        return 0
    if before.lstrip().startswith("|") or _UPSTREAM.search(before) or _NOT_OWN_REPO.search(before):
        return None  # a link in a table, the code it was built from, a dataset's code or a cited reference
    if _ORIGINAL.search(before) or re.search(r"\bofficial\b[^.\n]{0,40}$", before, re.I):
        return 1
    return 2 if _REPO_CONTEXT.search(before) or _names_model(c, before) else None
_LICENSE_PROSE = [
    re.compile(r"(?:licen[sc]ed|released|distributed|available) under (?:the |an? )?(?:terms of the )?\[?"
               r"([A-Za-z][\w.+\- ]{1,40}?)\]?(?:\([^)\n]{0,300}\))?(?: [Ll]icen[sc]e)?(?=[\s.,;)]|$)", re.M),
    re.compile(r"^[ \t]*(?:\*\*)?[Ll]icen[sc]e(?:\*\*)?\s{0,3}:\s{0,3}(?:\*\*)?\[?([A-Za-z][\w.+\- ]{1,40}?)\]?(?:\(|\s{0,3}$|\*\*)",
               re.M),
]
_USE_HEAD = re.compile(r"intended use|how to use|usage", re.I)
_LIMIT_HEAD = re.compile(r"limitation|bias|risks?\b|out-of-scope|misuse|caveat|ethic", re.I)
_DEMO_HINT = re.compile(r"from_pretrained|load_from_hub|api-inference\.huggingface|pipeline\(|import |\.load\(|hf_hub_download|SentenceTransformer|"
                        r"AutoModel|model\.predict|\.encode\(|pip install", re.I)
_GRANT = re.compile(r"\b(?:grants?(?! access)|funded by|funding from|supported by|sponsored by)\b", re.I)
_SAMPLE_RATE = [
    re.compile(r"sampl\w{0,12}[^.\n]{0,40}?(\d{1,3}(?:\.\d+)?)\s{0,3}k[Hh]z", re.I),
    re.compile(r"(\d{1,3}(?:\.\d+)?)\s{0,3}k[Hh]z[^.\n]{0,30}?sampl", re.I),
    re.compile(r"(?:sampling[_ ]rate|sample[_ ]rate)\s{0,3}(?:of|=|:)\s{0,3}(\d{4,6})\b", re.I),
]
_SEQ_STAGES = re.compile(r"sequence length of (\d{2,6})\b", re.I)
# the model's stated limit first; a training setting (max_seq_length: 128) only when no limit is stated
_SEQ = [
    re.compile(r"max(?:imum)? (?:input )?(?:sequence|context) length (?:of |is |: ?)(?:up to )?(\d{2,6})\b", re.I),
    re.compile(r"context (?:length|window|size) of (\d[\d,]{1,7})\b", re.I),
    re.compile(r"(?:sequences?|inputs?|texts?|contexts?|pieces|chunks|blocks) (?:of|up to|longer than|with) "
               r"(?:a maximum of |up to )?(\d{2,6}) (?:consecutive |contiguous )?(?:tokens?|word ?pieces|subwords)", re.I),
    re.compile(r"(?:less than|at most|up to|maximum of) (\d{2,6}) tokens", re.I),
    re.compile(r"\b(?:supports?|handles?|process(?:es)?|accepts?) (?:input )?(?:sequences|texts|inputs|documents) "
               r"(?:of (?:a )?length )?up to (\d{1,2},\d{3}|\d{3,6})\b(?![ \-]?(?:characters|words|sentences|pages|seconds))",
               re.I),
    # a configured limit (a sentence-transformers module print: 'max_seq_length': 128), not a script's --option
    re.compile(r"(?<!--)max(?:imum)?[ _](?:input[ _])?seq(?:uence)?[ _](?:length|len)['\"]?\)?\s{0,3}(?:of|:|=|is|was|\|)?\s{0,3}"
               r"(\d{2,6})\b", re.I),
    _SEQ_STAGES,
    re.compile(r"\b(?:input sequence length|SEQ_LEN|SEQ_LENGTH|MAX_SEQ_LEN)\**[ \t]{0,3}[:=][ \t]{0,3}\**(\d{2,6})\b", re.I),
]
_VOCAB = [
    re.compile(r"vocab(?:ulary)?(?:[ _]size)?\s{0,3}(?:of|:|=|is|\|)\s{0,3}(?:size )?(\d{1,3}(?:,\d{3})+|\d{3,7}|\d+(?:\.\d+)?[kK])\b"),
    re.compile(r"(\d{1,3}(?:,\d{3})+|\d{4,7}|\d+[kK])[ \-](?:token |word ?piece |subword |wordpiece |BPE |sentencepiece )?"
               r"vocab", re.I),
    re.compile(r"\bVOCAB_SIZE[ \t]{0,3}=[ \t]{0,3}(\d{3,7})\b"),
]
_INPUT_SIZE = [
    re.compile(r"(?:resolution|image size|input size|images? of size)\s{0,3}(?:\*\*)?\s{0,3}(?:of|:|=)?\s{0,3}(?:\*\*)?\s{0,3}"
               r"(?:train\s{0,3}=\s{0,3})?(\d{2,4})\s{0,3}[x×]\s{0,3}(\d{2,4})", re.I),
    re.compile(r"(\d{2,4})\s{0,3}[x×]\s{0,3}(\d{2,4})\s{0,3}(?:pixels|px|resolution)", re.I),
]
_RL = re.compile(r"\*\*([\w\- ]{1,40}?)\*\*\s{1,3}agent playing\s{1,3}\*\*([\w\-./ ]{1,80}?)\*\*", re.I)


_DIGIT = re.compile(r"\d")


def _numeric(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The spans with a digit in them: the only ones where a pattern of a number can match."""
    return [(lo, hi) for lo, hi in spans if _DIGIT.search(text, lo, hi)]


def _prose(c: Ctx) -> None:
    b, t, p = c.b, c.text, c.prose
    body = c.body
    # parameter counts
    spans = _numeric(p, c.windows(("param",), 60, 60)) if not b.has("parameter_count") else []
    abstract = _abstract_spans(c) if spans else []
    for rx in (_PARAMS if spans else ()):
        m = next((m for m in c.finditer(rx, p, spans) if not _PART_COUNT.match(p, m.end(), m.end() + 60)
                  and not any(lo <= m.start() < hi for lo, hi in abstract)), None)
        if m:
            unit = m.group(2) if m.lastindex and m.lastindex >= 2 else None
            n = _number(m.group(1), unit)
            if rx is _PARAMS[3]:
                n = _number(m.group(1), "m")
            if n and 1e3 <= n < 1e13:
                b.add("parameter_count", int(round(n)), "prose-rule", (m.start(), m.end()), 0.85)
                break
    if not b.has("parameter_count") and (m := c.search(_MODEL_SIZE, t, c.windows(("model size",), 20, 30))):
        b.add("parameter_count", int(round(_number(m.group(1), m.group(2)))), "prose-rule", (m.start(1), m.end(2)),
              0.8)
    # hardware
    for m in c.finditer(_HARDWARE, p, c.windows(_HARDWARE_WORDS, 40, 40)):
        lo = max(body, p.rfind("\n\n", max(0, m.start() - 1500), m.start()), m.start() - 1500)
        hi = p.find("\n\n", m.end(), m.end() + 1500)
        hi = min(len(p), m.end() + 1500) if hi < 0 else hi
        para = p[lo:hi]
        if not _TRAIN_CONTEXT.search(para) or re.search(r"inference|deploy", p[max(lo, m.start() - 60):m.start()], re.I):
            continue
        name = m.group(0).strip()
        near = p[m.start():min(hi, m.end() + 120)]
        hours = None
        if hm := _HOURS.search(near):
            hours = float(hm.group(1))
        elif dm := _DAYS.search(near):
            hours = float(dm.group(1)) * 24
        cloud = _CLOUD.search(para)
        b.add("hardware", {"name": name, "hours": hours, "cloud_provider": cloud.group(1) if cloud else None},
              "prose-rule", (m.start(), m.end()), 0.8)
        if len(b.fields["hardware"]) >= 3:
            break
    # CO2
    spans = _numeric(p, c.windows(("co2", "co₂", "carbon"), 60, 60)) if not b.has("carbon_emitted") else []
    for rx in (_CO2 if spans else ()):
        m = c.search(rx, p, spans)
        if m:
            n = _number(m.group(1))
            unit = (m.group(2) if m.lastindex and m.lastindex >= 2 else "g").lower()
            factor = 1000 if unit.startswith("k") else 1e6 if unit.startswith("t") else 453.6 if unit.startswith(
                "lb") else 1
            if n is not None:
                b.add("carbon_emitted", n * factor, "prose-rule", (m.start(), m.end()), 0.85)
            break
    extract_papers(c)
    # GitHub repository
    repos: dict[str, tuple[int, int, str]] = {}
    for m in (_GITHUB.finditer(p, body) if "github.com" in c.low else ()):
        owner, name = m.group(1), re.sub(r"\.git$", "", m.group(2).rstrip("."))
        key = f"{owner}/{name}".lower()
        line_start = p.rfind("\n", 0, m.start()) + 1
        before = p[max(line_start, m.start() - 120):m.start()]
        if key in _GENERIC_REPOS and not _ORIGINAL.search(before) or owner.lower() in ("sponsors", "orgs", "topics"):
            continue  # a toolkit's repository, unless named as where the original model is
        rank = _repo_rank(c, owner, name, before)
        if rank is not None and (key not in repos or rank < repos[key][0]):
            repos[key] = (rank, m.start(), m.end(), f"https://github.com/{owner}/{name}")
    for m in c.finditer(_CITED_URL, c.text, c.windows(("howpublished", "url"), 0, 40) if repos else []):
        key = f"{m.group(1)}/{m.group(2)}".lower()
        if key not in _GENERIC_REPOS:
            repos[key] = (0, m.start(1), m.end(2), f"https://github.com/{m.group(1)}/{m.group(2)}")
    if repos:
        rank, start, end, url = min(repos.values())
        sure = rank == 0 or len(repos) == 1 or sum(1 for r in repos.values() if r[0] == rank) == 1
        b.add("github_repo", url, "prose-rule", (start, end), 0.85 if sure else 0.6)
    # license named in the text (kept alongside the YAML one; a disagreement is flagged by the builder)
    for rx, words in zip(_LICENSE_PROSE, (("licensed under", "released under", "distributed under", "available under"),
                                          ("licen",))):
        for m in c.finditer(rx, p, c.windows(words, 10, 120)):
            lic = nz.license_id(m.group(1))
            if nz.is_known_license(lic):
                ctx = p[max(body, m.start() - 150):m.end()].lower()
                if re.search(r"dataset|data is|corpus|code is|images|wikipedia", ctx):
                    continue  # the license of something else
                if lic not in b.values("license"):
                    b.add("license", lic, "prose-rule", (m.start(1), m.end(1)), 0.75)
                break
    # RL agent / environment
    if "agent playing" in c.low and (m := _RL.search(p, body)):
        b.add("rl_agent", m.group(1).strip(), "prose-rule", (m.start(1), m.end(1)), 0.92)
        if not b.has("rl_environment"):
            b.add("rl_environment", m.group(2).strip(), "prose-rule", (m.start(2), m.end(2)), 0.92)
    # domain-specific numbers
    for field, rxs, conv, words in (("sample_rate", _SAMPLE_RATE, _hz, ("khz", "sampl")),
                                    ("max_sequence_length", _SEQ, _int, ("seq", "token", "context", "piece", "up to")),
                                    ("vocabulary_size", _VOCAB, _int, ("vocab",))):
        spans = _numeric(t, c.windows(words, 60, 60))
        for rx in (rxs if spans else ()):
            m = c.search(rx, t, spans)
            if m and rx is _SEQ_STAGES:  # "a sequence length of 128, then … of 1024": the last stage's, the longest
                m = max(c.finditer(rx, t, spans), key=lambda x: conv(x.group(1)) or 0)
            if m and (v := conv(m.group(1))):
                b.add(field, v, "prose-rule", (m.start(), m.end()), 0.8)
                break
    spans = _numeric(t, c.windows(("resolution", "image size", "input size", "of size", "pixel", "px"), 30, 60))
    for rx in (_INPUT_SIZE if spans else ()):
        m = c.search(rx, t, spans)
        if m:
            b.add("input_size", f"{m.group(1)}x{m.group(2)}", "prose-rule", (m.start(), m.end()), 0.8)
            break
    # grant / funding
    if m := c.search(_GRANT, p, c.windows(("grant", "fund", "supported by", "sponsored by"), 10, 20)):
        lo = max(p.rfind(".", max(body, m.start() - 300), m.start()), p.rfind("\n", max(body, m.start() - 300),
                                                                             m.start())) + 1
        hi_dot, hi_nl = p.find(".", m.end(), m.end() + 300), p.find("\n", m.end(), m.end() + 300)
        hi = min(x for x in (hi_dot + 1 if hi_dot >= 0 else None, hi_nl if hi_nl >= 0 else None, m.end() + 300)
                 if x is not None)
        lo = max(lo, body, m.start() - 300)
        sentence = p[lo:hi].strip()
        if sentence:
            start = p.index(sentence, lo)
            b.add("grant", sentence, "prose-rule", (start, start + len(sentence)), 0.6)


def _hz(raw: str) -> int | None:
    n = _number(raw)
    if n is None:
        return None
    return int(n * 1000) if n < 1000 else int(n)


def _int(raw: str) -> int | None:
    raw = raw.strip()
    n = _number(raw[:-1], "k") if raw[-1:] in "kK" else _number(raw)
    return int(n) if n and n >= 2 else None


# --------------------------------------------------------------------------- markdown tables

_KEY_HEAD = re.compile(r"hyper-?param|^param|setting|^name$|^key$|^property$", re.I)
_VALUE_HEAD = re.compile(r"^value|^setting", re.I)
_ROW_FIELD = [
    ("parameter_count", re.compile(r"n_?\{?param|^#? ?params?$|^(?:number of |total )?parameters$|^param(?:eter)? count", re.I)),
    ("vocabulary_size", re.compile(r"n_?\{?vocab|^vocab(?:ulary)?(?:[ _]size)?$", re.I)),
    ("max_sequence_length", re.compile(r"n_?\{?ctx|^max(?:imum)?[ _]seq(?:uence)?[ _]len(?:gth)?$|^context length$", re.I)),
]
_LEAD_NUMBER = re.compile(r"^\s{0,3}(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s{0,3}([BMK]|billion|million)?\b", re.I)


_METRIC_HEAD = re.compile(r"^\W{0,3}(?:metrics?|measure)\W{0,3}$", re.I)
_SCORE_HEAD = re.compile(r"^\W{0,3}(?:values?|scores?|results?)\W{0,3}$", re.I)


def _metric_rows(c: Ctx, tab) -> None:
    """A | metric | value | table: evaluation results (dataset when the card names exactly one)."""
    dsets = [v.name for v in c.b.values("datasets")]
    for row in tab.rows[:MAX_EVAL]:
        if len(row) < 2 or not row[0][0] or not row[1][0]:
            continue
        name, raw = _clean_cell(row[0][0]), _clean_cell(row[1][0])
        num = _LEAD_NUMBER.match(raw)
        if not name or not num or len(name) > 60:
            continue
        value = _number(num.group(1))
        c.b.add("evaluation", {"metric": name, "value": value if value is not None else raw,
                               "dataset": dsets[0] if len(dsets) == 1 else None},
                "prose-rule", (row[0][1], row[1][2]), 0.85)


_CELL_JUNK = re.compile(r"[\\$(){}*`]|&\w+;")
_SPACE = re.compile(r"\s")
_NOT_ALNUM = re.compile(r"[^a-z0-9]")


def _clean_cell(cell: str) -> str:
    return _CELL_JUNK.sub("", cell).strip()


_PAIR = re.compile(r"^(\d+(?:\.\d+)?|-)/(\d+(?:\.\d+)?|-)$")


def _result_value(cell: str, num: re.Match) -> float | str | None:
    """A result cell's value; a pair of two metrics ("88.4/85.4" under "F1/EM") stays a pair, not its first half."""
    pair = _PAIR.match(_SPACE.sub("", _clean_cell(cell)))
    return pair.group(0) if pair else _number(num.group(1))


_MODEL_HEAD = re.compile(r"^\W{0,3}(?:models?(?: names?)?|names?|checkpoints?|variants?)\W{0,3}$", re.I)
_PARAMS_HEAD = re.compile(r"^\W{0,3}(?:(?P<mm>MM|M) )?(?:#|n_|number of |num\.? |total )?\s?param(?:eter)?s?\W{0,3}"
                          r"(?:\(([MB])\))?\W{0,3}$", re.I)
_RESULT_HEAD = re.compile(r"acc|\bf1\b|\(f1\)|bleu|\bwer\b|\bcer\b|rouge|exact|\bem\b|top-?[15]|precision|recall|"
                          r"\bauc\b|\bmap\b|perplexity|\bppl\b|\bbpb\b|mrr|ndcg|\bfid\b|spearman|pearson|matthews|"
                          r"\bmcc\b|lpips|\bclip\b|chr-?f|score", re.I)
_SET_HEAD = re.compile(r"^\W{0,3}(?:test ?sets?|eval(?:uation)? sets?|benchmarks?|datasets?)\W{0,3}$", re.I)
_LINK_CELL = re.compile(r"\[([^\]\n]{1,200})\]\(([^)\s]{1,300})\)")


def _name_key(raw: str) -> str:
    return _NOT_ALNUM.sub("", raw.lower())


def _model_row(c: Ctx, tab) -> None:
    """A table of models (a model / name column): the parameter count and results of the card's own model, from
    the row that names it (its Hub id, or a name its id starts with, e.g. "DeiT-base" for deit-base-patch16-224)."""
    b = c.b
    col = next(i for i, h in enumerate(tab.header[:2]) if _MODEL_HEAD.search(h))
    own, full = _name_key(c.hub_id.split("/")[-1]), _name_key(c.hub_id)
    parts = sorted(re.split(r"[^a-z0-9]+", c.hub_id.split("/")[-1].lower()))  # its words in another order
    best, best_len = None, 0
    for row in tab.rows[:MAX_EVAL]:
        if len(row) != len(tab.header):
            continue
        cell = row[col][0]
        names = [cell]
        if lm := _LINK_CELL.search(cell):
            names = [lm.group(1), lm.group(2).split("huggingface.co/", 1)[-1]]
        for name in names:
            key = _name_key(name)
            if (key in (own, full) or len(key) >= 6 and own.startswith(key)
                    or len(parts) > 1 and sorted(re.split(r"[^a-z0-9]+", name.strip().lower())) == parts):
                if len(key) > best_len:
                    best, best_len = row, len(key)
    if best is None:
        return
    results = []
    for i, head in enumerate(tab.header):
        if i == col or not best[i][0]:
            continue
        num = _LEAD_NUMBER.match(_clean_cell(best[i][0]))
        if not num:
            continue
        if (pm := _PARAMS_HEAD.search(head)) and not b.has("parameter_count"):
            n = _number(num.group(1), num.group(2) or pm.group(2) or (pm.group("mm") and "M"))
            if n and n >= 1e3:
                b.add("parameter_count", int(n), "prose-rule", (best[i][1], best[i][2]), 0.85)
        elif _RESULT_HEAD.search(head) and not pm:
            results.append((_clean_cell(head), _result_value(best[i][0], num), best[i]))
    if results and not b.has("evaluation"):
        for metric, value, (_, lo, hi) in results:
            b.add("evaluation", {"metric": metric, "value": value}, "prose-rule", (lo, hi), 0.8)


def _set_rows(c: Ctx, tab) -> None:
    """A | test set | BLEU | chr-F | table: one result per test set and metric column (when the card states no
    results elsewhere)."""
    if c.b.has("evaluation"):
        return
    cols = [i for i, h in enumerate(tab.header) if i and _RESULT_HEAD.search(h)]
    n = 0
    for row in tab.rows:
        if len(row) != len(tab.header) or not row[0][0]:
            continue
        if n >= MAX_EVAL:
            c.b.notes["evaluation_truncated"] = True
            break
        for i in cols:
            num = _LEAD_NUMBER.match(_clean_cell(row[i][0]))
            if num and n < MAX_EVAL:
                c.b.add("evaluation", {"metric": _clean_cell(tab.header[i]), "value": _result_value(row[i][0], num),
                                       "dataset": _clean_cell(row[0][0])}, "prose-rule", (row[i][1], row[i][2]), 0.8)
                n += 1


def _tables(c: Ctx) -> None:
    """Two-column key/value tables: hyper-parameters, parameter count / vocabulary / context rows, metric/value;
    and the card's own row in a table of models."""
    b = c.b

    def want(head):
        return len(head) >= 2 and bool(_KEY_HEAD.search(head[0]) or _METRIC_HEAD.search(head[0]) or
                                       _SET_HEAD.search(head[0]) and any(_RESULT_HEAD.search(h) for h in head[1:]) or
                                       c.hub_id and (
            _MODEL_HEAD.search(head[0]) or _MODEL_HEAD.search(head[1])))

    for tab in tables(c.prose, c.body, want=want, max_rows=MAX_EVAL):
        if len(tab.header) < 2 or not tab.rows:
            continue
        if c.hub_id and (_MODEL_HEAD.search(tab.header[0]) or _MODEL_HEAD.search(tab.header[1])):
            _model_row(c, tab)
            continue
        if _SET_HEAD.search(tab.header[0]):
            _set_rows(c, tab)
            continue
        if _METRIC_HEAD.search(tab.header[0]) and _SCORE_HEAD.search(tab.header[1]):
            _metric_rows(c, tab)
            continue
        key_value = _KEY_HEAD.search(tab.header[0]) and (_VALUE_HEAD.search(tab.header[1]) or
                                                          re.search(r"hyper", tab.header[0], re.I))
        if not key_value:
            continue
        hyper = re.search(r"hyper", tab.header[0], re.I)
        for row in tab.rows:
            if len(row) < 2 or not row[0][0] or not row[1][0]:
                continue
            name, value = _clean_cell(row[0][0]), row[1][0]
            (_, ks, _), (_, vs, ve) = row[0], row[1]
            matched = False
            for field, rx in _ROW_FIELD:
                m = _LEAD_NUMBER.match(_clean_cell(value))
                if rx.search(name) and m and not b.has(field):
                    n = _number(m.group(1), m.group(2))
                    if n and n >= 2:
                        b.add(field, int(n), "prose-rule", (ks, ve), 0.85)
                        matched = True
            if hyper and not matched and len(name) < 60 and len(value) < 200:
                value = _LINK_CELL.sub(r"\1", value).strip()  # a value's text, not its Markdown link
                b.add("hyper_parameters", {"name": name, "value": value}, "prose-rule", (ks, ve), 0.85)


# --------------------------------------------------------------------------- sections and code blocks


_LIMIT_WORD = re.compile(r"limitation|bias", re.I)
# a library used by a code block: its pattern, and a word every match contains (looked for first)
_LIB_CODE = tuple((re.compile(rx), lib, word) for rx, lib, word in (
    (r"from transformers |import transformers|transformers\.", "transformers", "transformers"),
    (r"sentence_transformers", "sentence-transformers", "sentence_transformers"),
    (r"from diffusers|import diffusers", "diffusers", "diffusers"),
    (r"\bimport timm|timm\.create_model", "timm", "timm"),
    (r"from peft |import peft", "peft", "peft"),
    (r"from flair", "flair", "flair"),
    (r"speechbrain", "speechbrain", "speechbrain"),
    (r"spacy\.load", "spacy", "spacy.load")))
_DEMO_WORDS = tuple(_DEMO_HINT.pattern.replace("\\", "").lower().split("|"))  # its alternatives are plain words


def _demo_hint(code: str) -> bool:
    """Whether _DEMO_HINT matches: on ASCII code, the same as one of its words in the lower-case code."""
    if code.isascii():
        low = code.lower()
        return any(w in low for w in _DEMO_WORDS)
    return bool(_DEMO_HINT.search(code))


def _sections(c: Ctx) -> None:
    b, t = c.b, c.text
    limit_secs, placeholder_uses = [], []
    for s in c.sections:
        if _LIMIT_HEAD.search(s.title):
            if not _USE_HEAD.search(s.title):
                limit_secs.append(s)
            elif is_placeholder(t[s.body_start:s.end]):
                placeholder_uses.append(s)
    real = []
    for s in limit_secs:
        body = t[s.body_start:s.end]
        if not is_placeholder(body):
            real.append(s)
    for s in real[:1]:
        body = t[s.body_start:s.end]
        lead = len(body) - len(body.lstrip())
        start, end = s.body_start + lead, s.body_start + len(body.rstrip())
        if end > start:
            conf = 0.85 if _LIMIT_WORD.search(s.title) else 0.7
            b.add("limitation_and_bias", t[start:end][:3000], "prose-rule", (start, end), conf)
    if not real and (limit_secs or placeholder_uses):
        s = (limit_secs or placeholder_uses)[0]
        b.not_stated("limitation_and_bias", "prose-rule", (s.start, s.end), 0.9)
    # demo: the first code block that uses the model; libraries imported by any code block
    for blk in c.blocks:
        code = t[blk.code_start:blk.code_end]
        if blk.lang in ("bibtex", "bib", "latex", "tex", "json", "yaml", "text") or not _demo_hint(code):
            continue
        if not b.has("demo"):
            b.add("demo", code.strip()[:4000], "prose-rule", (blk.code_start, blk.code_end), 0.9)
        for rx, lib, word in _LIB_CODE:
            if word in code and (m := rx.search(code)) and lib not in b.values("libraries"):
                pos = blk.code_start + m.start()
                b.add("libraries", lib, "prose-rule", (pos, pos + len(m.group(0))), 0.8)


# --------------------------------------------------------------------------- entry point


def _domain(c: Ctx) -> None:
    b = c.b
    task_fallback(c)
    # feature extraction is done on any modality: another task, the library or the architecture says which
    tasks = sorted((e for e in b.fields["model_task"] if e.state == "value" and e.value in nz.TASK_DOMAIN),
                   key=lambda e: e.value == "feature-extraction")
    for e in tasks:
        if e.value == "feature-extraction":
            domain_fallback(c)
            if b.has("domain"):
                return
        span = (e.evidence_start, e.evidence_end) if e.evidence_start is not None else None
        b.add("domain", nz.TASK_DOMAIN[e.value], e.source, span, max(0.5, e.confidence - 0.05))
        return
    if b.has("rl_agent") or any(v in ("stable-baselines3", "ml-agents", "sample-factory") for v in b.values("libraries")):
        b.add("domain", "reinforcement-learning", "prose-rule", None, 0.85)
    domain_fallback(c)


QUIET_FIELDS = ("github_repo", "frameworks", "hyper_parameters", "evaluation", "datasets", "libraries")
# Fields stated in formulaic ways (YAML keys, links, numbers with units, headed sections, code fences) that the
# rules read everywhere: when nothing matched, record "not stated" at low confidence (the LLM pipelines re-check
# low-confidence fields). Fields stated in free prose (QUIET_FIELDS) are "not stated" only on a card without any of
# their QUIET_WORDS; domain and task are left empty.
ABSENT_FIELDS = ("license", "parameter_count", "papers", "hardware", "carbon_emitted", "language", "demo",
                 "limitation_and_bias", "vocabulary_size", "max_sequence_length", "sample_rate", "rl_agent",
                 "rl_environment", *QUIET_FIELDS)
ABSENT_CONFIDENCE = 0.5
QUIET_MAX_CHARS = 100_000  # a longer card is not searched for them (and states most fields anyway)
# Fields stated in free prose are "not stated" only when the card has none of the words any statement of them
# would use (lower-case substrings; a broad list, so a card that might state the field is left to a reader).
QUIET_WORDS = {
    "github_repo": ("github",),
    "frameworks": ("pytorch", "torch", "tensorflow", "tf", "keras", "jax", "flax", "paddle", "onnx", "mxnet",
                   "framework", "caffe", "safetensors", "gguf", "ggml"),
    "hyper_parameters": ("learning rate", "learning_rate", "batch size", "batch_size", "epoch", "optimi", "warmup",
                         "warm-up", "warm up", "hyperparam", "hyper-param", "weight decay", "weight_decay", "step",
                         "dropout", "lr", "mask", "schedul", "temperature", "iteration"),
    "evaluation": ("accuracy", "f1", "bleu", "wer", "cer", "eval", "result", "score", "precision", "recall",
                   "perplexity", "ppl", "metric", "benchmark", "top-1", "top1", "rouge", "acc", "mse", "loss", "map",
                   "auc", "test", "performance", "%"),
    "datasets": ("dataset", "data", "corpus", "corpora", "trained on", "tuned on", "wiki", "crawl", "books",
                 "source", "trained with"),
    "libraries": ("transformers", "diffusers", "timm", "spacy", "flair", "speechbrain", "sentence-transformers",
                  "sentence_transformers", "sentencetransformer", "sentence transformers", "keras", "nemo",
                  "espnet", "fairseq", "pyannote", "baselines", "sb3", "ml-agents", "sample-factory", "peft",
                  "adapter", "librar", "stanza", "sklearn", "scikit", "fastai", "asteroid", "allennlp", "paddle",
                  "open_clip", "ultralytics", "yolo", "tts", "import ", "pip install", "gguf", "onnx",
                  "joblib", "pickle", "skops", "setfit", "span_marker", "gliner", "mlx", "llama.cpp"),
}


_RESULT_NUMBER = re.compile(r"(?<![\w.])\d{1,3}\.\d{1,4}(?![\w.])|(?<![\w.])\d{1,3}\s?%")
_HP_VALUE = re.compile(r"(?:learning[ _]rate|\blr\b|batch[ _]?size|epochs?|warm-?up|optimi[sz]er|weight[ _]decay|"
                       r"dropout|\bsteps\b|\bseed\b|momentum|\badam|mask\w{0,6}(?: probability| rate| ratio)?)"
                       r"[^\n]{0,40}?\d|\d[\d,.]{0,9}\s{0,2}k?\s{0,2}(?:training |update |optimi[sz]ation )?steps\b|"
                       r"\d{1,2}\s?% of (?:the )?(?:input )?tokens")  # on lower-case text
_HP_VALUE_WORDS = ("learning rate", "learning_rate", "lr", "batch size", "batch_size", "batchsize", "epoch", "warmup",
                   "warm-up", "warm up", "optimi", "weight decay", "weight_decay", "dropout", "steps", "seed", "momentum",
                   "adam", "masking", "mask prob", "mask rate", "mask ratio", "% of")
_CODE_RESULT_WORDS = ("accuracy", "f1", "wer", "bleu", "rouge", "eval_", "score", "precision", "recall", "loss")


_DIGIT_MARK = re.compile(r"\d\.\d|\d ?%")  # the cheap scan; candidates are checked with _RESULT_NUMBER


def _result_number(c: Ctx) -> bool:
    p = c.prose
    return any(_RESULT_NUMBER.search(p, max(c.body, m.start() - 4), m.end() + 6) for m in _DIGIT_MARK.finditer(p, c.body))


def _results_in_code(c: Ctx) -> bool:
    for b in c.blocks:
        code = c.low[b.code_start:b.code_end]
        if any(w in code for w in _CODE_RESULT_WORDS):
            return True
    return False


def _absent(c: Ctx, fields) -> None:
    if len(c.text) < 20:
        return
    for field in fields:
        if field in QUIET_WORDS:
            continue
        if field == "papers" and c.papers_seen:
            continue  # paper links that are not the model's own: left to a reader
        c.b.not_stated(field, "prose-rule", None, ABSENT_CONFIDENCE)
    for field, words in (QUIET_WORDS.items() if len(c.text) < QUIET_MAX_CHARS else ()):
        if field not in fields:
            continue
        if c.has(*words):
            if field == "frameworks" and said_in_prose(c, words):  # not only in code or links (github.com/pytorch/…)
                continue
            if field == "evaluation" and (_result_number(c) or _results_in_code(c)):
                continue  # results are numbers with decimals or percentages
            if field == "hyper_parameters" and c.search(_HP_VALUE, c.low,
                                                        _numeric(c.low, c.windows(_HP_VALUE_WORDS, 20, 60))):
                continue  # a setting is a name with a number near it ("batch size of 32", "362,000 steps")
            if field not in ("frameworks", "evaluation", "hyper_parameters"):
                continue
        c.b.not_stated(field, "prose-rule", None, ABSENT_CONFIDENCE)


def extract_rules(text: str, tags: list[str] | None = None, absent=ABSENT_FIELDS, hub_id: str | None = None) -> Builder:
    c = Ctx(text, hub_id)
    if not text.strip():
        c.b.errors.append(("empty_card", "the card is empty"))
        return c.b
    _yaml(c)
    for tag in tags or []:
        if isinstance(tag, str) and tag:
            _tag(c, tag, "tags", None, 0.95)
    _trainer(c)
    base_model(c)
    datasets(c)
    frameworks(c)
    languages(c)
    _tables(c)
    results(c)
    _prose(c)
    _sections(c)
    _domain(c)
    io_format(c)
    _absent(c, absent)
    return c.b
