"""The model's own paper(s): the card's citation block, "introduced in / proposed in" links, arXiv tags.

A card cites many papers (benchmarks, datasets, related work); only these count as the model's papers:
- a paper in the citation block (a BibTeX code block, or a section headed citation / cite / paper);
- a paper link whose sentence says it introduces, proposes or describes the model ("introduced in [this
  paper](...)", "**Paper:** ...");
- `arxiv:` / `doi:` Hub tags (read in rules._tag).
Links elsewhere (tables, related work, dataset papers) are left out; when such links exist but none is the
model's own, the field is left empty rather than "not stated".
"""

from __future__ import annotations

import re

_GATE = ("arxiv", "doi.org", "aclweb", "aclanthology", "eprint", "@", "paper", "openreview", "proceedings")
_ARXIV = re.compile(r"(?:\[([^\]\n]{3,200})\]\()?(https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}|[a-z\-]{2,20}/\d{7})"
                    r"(?:v\d{1,2})?(?:\.pdf)?)", re.I)
_DOI = re.compile(r"(?:\[([^\]\n]{3,200})\]\()?(https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/[^\s)\]>\"'}]{1,200}))", re.I)
_ANTHOLOGY = re.compile(r"(?:\[([^\]\n]{3,200})\]\()?(https?://(?:www\.)?(?:aclweb\.org/anthology|aclanthology\.org)"
                        r"/[\w.\-/]{1,80}?)/?(?=[\s)\]}\"',]|$)", re.I)
_PDF = re.compile(r"\[([^\]\n]{3,200})\]\((https?://[^)\s]{5,300}?(?:\.pdf|openreview\.net/[^)\s]{1,100}|"
                  r"proceedings\.[^)\s]{1,200}|papers\.nips\.cc/[^)\s]{1,200}))\)", re.I)
# the link patterns with the (lower-case) words each needs
_LINKS = ((_ARXIV, ("arxiv.org/",)), (_DOI, ("doi.org/",)), (_ANTHOLOGY, ("aclweb.org/anthology", "aclanthology.org")))
_ARXIV_ID = re.compile(r"(?:arxiv[:\s]{1,3}|eprint\s{0,3}=\s{0,3}[{\"]?\s{0,3}|abs/)(\d{4}\.\d{4,5})", re.I)
_BIB_ENTRY = re.compile(r"@(\w{2,20})\s{0,3}\{", re.I)
_BIB_TITLE = re.compile(r"^[ \t]{0,20}title[ \t]{0,12}=[ \t]{0,12}(.{5,300}?)\s{0,3}(?=^[ \t]{0,20}\w{2,20}[ \t]{0,12}=|"
                        r"\}\s{0,3}\Z|\Z)",
                        re.I | re.M | re.S)
_BIB_LINE = re.compile(r"^[ \t]{0,12}@\w{2,20}[ \t]{0,3}\{[^\n]{0,200}\n(?=[^\n]{0,300}=)", re.M)
_NOT_PAPER = ("misc", "software", "online", "manual", "electronic")  # a @misc without a link: the model or a toolkit
_CITE_HEAD = re.compile(r"citation|\bcit(?:e|ing)\b|bibtex|\bpapers?\b|publication|how to cite", re.I)
_OWN_CUE = re.compile(r"introduc|propos|presented|describ|published|\bpaper\b|preprint|technical report|"
                      r"released (?:with|in|alongside)|accompan|more (?:details|information)|for details|"
                      r"details (?:can be found|are in|in)|our (?:work|article|publication)|this (?:model|work) is from|about (?:this|the) model", re.I)
_OTHER_CUE = re.compile(r"dataset|corpus|benchmark|baseline|compared? (?:to|with)|related|also see|leaderboard|"
                        r"tokeni[sz]er|optimi[sz]er|\bloss\b|scheduler|\bdata\b|evaluat|method(?:s)? (?:of|from|in)|"
                        r"\bsee also|inspired|following|similar|such as|e\.g\.|suggested|as in\b", re.I)


# the link names the paper of a model this one starts from ("initialized from [BioBERT](arXiv)")
_BASE_CUE = re.compile(r"(?:initiali[sz]ed|fine-?tuned|distilled|derived|started|continued|trained) (?:from|with|on top of)"
                       r"(?: the| a)?\W{0,3}$|\bbased on(?: the| a)?\W{0,3}$|\bbuilt (?:on|upon)(?: the)?\W{0,3}$", re.I)


def _placeholder_arxiv(ident: str) -> bool:
    """An arXiv id no paper has (0000.00000, a month 13-99): a template left unfilled."""
    head = ident.split(".")[0]
    return head.isdigit() and not 1 <= int(head[2:]) <= 12


_OTHER_HEAD = re.compile(r"limitation|bias|risk|evaluat|result|benchmark|\bdata|acknowledg|related|environment|carbon|"
                         r"co2|preprocess|misuse|out-of-scope|reference", re.I)
_PAPER_ANCHOR = re.compile(r"\W{0,3}(?:(?:this|the|our|[\w\-]{1,30}) )?(?:paper|pdf)\W{0,3}$", re.I)


def _context(c, pos: int) -> str:
    """The text of the same sentence before `pos` (up to 200 characters, not across a line); for a list item,
    the line that introduces the list as well."""
    line_start = c.text.rfind("\n", 0, pos) + 1
    lo = max(c.body, pos - 200)
    before = c.prose[lo:pos]
    cut = max(before.rfind(". "), before.rfind(".\n"), before.rfind("; "), before.rfind("\n\n"))
    return before[cut + 2:] if cut >= 0 else before


def _citation_spans(c) -> list[tuple[int, int]]:
    """Citation blocks: BibTeX code blocks, indented BibTeX entries, and sections headed citation / paper."""
    spans = [(blk.code_start, blk.code_end) for blk in c.blocks
             if blk.lang in ("bibtex", "bib", "latex", "tex") or _BIB_ENTRY.search(c.text, blk.code_start, blk.code_end)]
    if "@" in c.text:
        for m in _BIB_LINE.finditer(c.prose, c.body):
            end = c.text.find("\n\n", m.end(), m.end() + 3000)
            if spans and spans[-1][0] <= m.start() < spans[-1][1]:
                continue
            spans.append((m.start(), end if end > 0 else min(len(c.text), m.end() + 3000)))
    spans += [(s.body_start, s.end) for s in c.sections if _CITE_HEAD.search(s.title)]
    return spans


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    return any(lo <= pos < hi for lo, hi in spans)


def _bib_title(raw: str) -> str:
    return re.sub(r"\s{1,40}", " ", re.sub(r"[{}\"]", "", raw)).strip().rstrip(",").strip()


def _title(raw: str | None) -> str | None:
    if not raw or re.match(r"https?://|arxiv|link|here|pdf|\d|this|our", raw.strip(), re.I) or re.search(
            r"\bpaper\b|\barxiv\b", raw, re.I):
        return None
    return raw.strip("*_ ")


def extract_papers(c) -> None:
    b, t = c.b, c.text
    if not c.has(*_GATE):
        return
    cite = _citation_spans(c)
    other = [(s.body_start, s.end) for s in c.sections if _OTHER_HEAD.search(s.title)]
    found: list[tuple[dict, tuple[int, int], float]] = []
    titled: dict[str, str] = {}
    for rx, words, before in (*((rx, words, 220) for rx, words in _LINKS),
                              (_PDF, (".pdf", "openreview.net/", "proceedings.", "papers.nips.cc/"), 520)):
        for m in c.finditer(rx, t, c.windows(words, before, 320)):
            url = f"https://arxiv.org/abs/{m.group(3)}" if rx is _ARXIV else m.group(2)
            if rx is _ARXIV and _placeholder_arxiv(m.group(3)):
                continue
            in_cite = _inside(cite, m.start(2))
            if not in_cite and _BASE_CUE.search(_context(c, m.start())):
                c.papers_seen = True  # the paper of the model this one starts from
                continue
            if not in_cite:
                line = t[t.rfind("\n", 0, m.start()) + 1:m.start()]
                ctx = _context(c, m.start())
                if line.lstrip().startswith("|") or c.prose[m.start(2)] == " ":
                    c.papers_seen = True  # a table cell or inside a code block that is not a citation
                    continue
                if _inside(other, m.start()):
                    c.papers_seen = True  # limitations, results, data, acknowledgements: other people's papers
                    continue
                own = _OWN_CUE.search(ctx) or (m.group(1) and _PAPER_ANCHOR.match(m.group(1))
                                               and not _OTHER_CUE.search(ctx + " " + m.group(1)))
                if not own or _OTHER_CUE.search(ctx) and not re.search(r"introduc|propos|\bpaper\b", ctx, re.I):
                    c.papers_seen = True
                    continue
            title = _title(m.group(1))
            found.append(({"url": url, **({"title": title} if title else {})}, (m.start(2), m.end(2)),
                          0.9 if in_cite else 0.8))
    # BibTeX entries that give an arXiv id without a URL, or only a title
    for lo, hi in cite:
        block = t[lo:hi]
        entries = list(_BIB_ENTRY.finditer(block))
        for i, e in enumerate(entries):
            entry_lo, entry_hi = lo + e.start(), lo + (entries[i + 1].start() if i + 1 < len(entries) else len(block))
            tm = _BIB_TITLE.search(t, entry_lo, entry_hi)
            title = _bib_title(tm.group(1)) if tm else None
            entry_low = c.low[entry_lo:entry_hi] if len(c.low) == len(t) else None
            linked = next((m for rx, words in _LINKS if (entry_low is None or any(w in entry_low for w in words))
                           and (m := rx.search(t, entry_lo, entry_hi))), None)
            if linked:
                titled.update({_key(title): linked.group(2)} if title else {})
                continue
            if (m := _ARXIV_ID.search(t, entry_lo, entry_hi)) and not _placeholder_arxiv(m.group(1)):
                found.append(({"url": f"https://arxiv.org/abs/{m.group(1)}", **({"title": title} if title else {})},
                              (m.start(1), m.end(1)), 0.85))
            elif tm and title and e.group(1).lower() not in _NOT_PAPER:
                found.append(({"title": title}, (tm.start(1), tm.end(1)), 0.8))
    seen = {_key(v.get("title")) for v, _, _ in found if v.get("url") and v.get("title")} | set(titled)
    for value, span, conf in found:
        if "url" not in value and _key(value["title"]) in seen:
            continue  # the same paper, already found with its link
        b.add("papers", value, "prose-rule", span, conf)


def _key(title: str | None) -> str:
    return re.sub(r"[^a-z0-9]", "", (title or "").lower())
