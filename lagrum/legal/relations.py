"""Read what a legal text says about other decisions: which it overturns, upholds or appeals.

A court ruling that "upphäver Datainspektionens beslut (dnr 388-2015)" overturns that decision;
an answer must never rest on the overturned decision alone. `detect_relation_statements` finds
such statements and the decision or case they are about; `identifiers_of` finds the ids a
document carries itself (its own dnr or mål nr), which are never the target of its own statements.

>>> [(s["type"], s["target"]) for s in detect_relation_statements(
...     "Förvaltningsrätten upphäver Datainspektionens beslut den 18 december 2015 (dnr 388-2015).")]
[('overturns', 'dnr 388-2015')]
>>> identifiers_of({}, "DOM\\nMål nr 383-16\\n\\nFörvaltningsrätten upphäver beslutet.")
['mål 383-16']
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from typing import Any

from lagrum.legal.references import Reference, extract_references

RELATION_KINDS = ("overturns", "upholds", "appeals")
TARGET_KINDS = ("case", "dnr")
# An own identifier is written in the document's head: its first lines.
HEADER_CHARS = 400
# A header line this short holds a label anywhere ("Beslut 2015-12-18 Dnr 388-2015"); longer ones only at their start.
_SHORT_LINE = 80
_METADATA_FIELDS = ("case_number", "dnr", "mål", "identifiers", "identifier", "sfs", "celex")

_NOT = r"(?!\s+(?:inte|ej|icke|not)\b)"
# Participles used as adjectives ("det överklagade beslutet") describe, they do not state an appeal.
_NOT_ATTRIBUTIVE = r"(?<!\bdet )(?<!\bden )(?<!\bde )(?<!\bthe )"
# "may appeal the decision", "to appeal": instructions and intentions, not statements.
_NOT_MODAL = r"(?<!\bto )(?<!\bmay )(?<!\bcan )(?<!\bmust )(?<!\bwill )(?<!\bwould )(?<!\bshould )"
_BE = r"\b(?:was|were|has\s+been|have\s+been|had\s+been|is|are)\s+"


def _trigger(pattern: str) -> re.Pattern:
    return re.compile(pattern, re.IGNORECASE)


# (relation, passive, pattern); passive voice puts the target before the verb. Infinitives
# ("ska upphäva", "vill överklaga") are left out: they state requests and instructions, not outcomes.
_TRIGGERS: tuple[tuple[str, bool, re.Pattern], ...] = (
    ("overturns", True, _trigger(r"\b(?:upphäv(?:s|des|ts)|undanröj(?:s|des|ts))\b")),
    ("overturns", False, _trigger(rf"\b(?:upphäv(?:er|de|t)|undanröj(?:er|de|t)){_NOT}\b")),
    ("overturns", False, _trigger(r"\bbifall(?:er|it)\s+överklagandet\b|\böverklagandet\s+bifall(?:s|es)\b|\bbiföll\s+överklagandet\b")),
    ("overturns", True, _trigger(rf"{_BE}(?:overturned|set\s+aside|annulled|quashed|revoked|reversed)\b")),
    (
        "overturns",
        False,
        _trigger(rf"{_NOT_ATTRIBUTIVE}{_NOT_MODAL}\b(?:overturn(?:s|ed)?|sets?\s+aside|annul(?:s|led)?|quash(?:es|ed)?|revoke[sd]|reverse[sd])\b"),
    ),
    ("upholds", True, _trigger(r"\bfastställ(?:s|des|ts)\b")),
    ("upholds", False, _trigger(rf"\bfastställ(?:er|de|t){_NOT}\s+(?:\S+\s+){{0,3}}?(?:beslut|dom|avgörande)\w*")),
    (
        "upholds",
        False,
        _trigger(r"\b(?:avslår|avslog|avslås|avslogs)\s+(?:\S+\s+){0,2}?överklagande[nt]?\b|\böverklagandet\s+(?:avslås|avslogs)\b"
                 r"|\blämna(?:r|de|s)\s+överklagandet\s+utan\s+bifall\b"),
    ),
    ("upholds", True, _trigger(rf"{_BE}(?:upheld|affirmed)\b")),
    ("upholds", False, _trigger(rf"{_NOT_MODAL}\b(?:uph(?:olds?|eld)|affirm(?:s|ed)|(?:dismiss(?:es|ed)?|reject(?:s|ed)?)\s+the\s+appeal)\b")),
    ("appeals", True, _trigger(r"\b(?:överklagades|överklagats)\b")),
    ("appeals", False, _trigger(rf"{_NOT_ATTRIBUTIVE}\böverklaga(?:r|de|t){_NOT}\b")),
    ("appeals", True, _trigger(rf"{_BE}appealed\b")),
    ("appeals", False, _trigger(rf"{_NOT_ATTRIBUTIVE}{_NOT_MODAL}\bappeal(?:s|ed)?\s+(?:against\s+)?(?:the|a|an|its|their|this|that)\b")),
)
# Stems of every trigger above: sentences without one are skipped without running the patterns.
# Matched case-sensitively against the lower-cased text, which is several times faster than IGNORECASE.
_ANY_TRIGGER = re.compile(
    r"upphäv|undanröj|bifall|biföll|fastställ|avsl[åo]|överklaga|lämna|overturn|aside|annul|quash|revoke|revers"
    r"|uph[oe]ld|affirm|dismiss|reject|appeal"
)
# Words before the verb that make the sentence a party's claim, a request or a condition, not an outcome.
_HEDGE = _trigger(
    r"\b(?:yrka\w*|begär\w*|hemställ\w*|ifall|huruvida|anför\w*|if|whether|requests?|requested|asks?|asked|claims?|claimed|argues?|argued)\b"
)
_STRENGTH = {"overturns": 3, "upholds": 2, "appeals": 1}
# Sentence ends, except after abbreviations common in legal text ("dnr.", "kap.", "t.ex.").
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"”'(–-]?[A-ZÅÄÖ0-9])|\n[ \t]*\n\s*")
_ABBREVIATIONS = frozenset(
    "t.ex bl.a s.k m.m kap nr dnr jfr prop sfs art ref s not p st f ff resp ca d.v.s dvs o.s.v osv fr.o.m t.o.m jan feb mar apr jun jul aug sep sept okt nov dec no".split()
)
_HEADER_LABEL = re.compile(r"^\W*(?:dnr|diarienummer|diarienr|mål|målnummer|målnr)\b", re.IGNORECASE)


def detect_relation_statements(text: str, exclude: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """Statements in `text` that it overturns, upholds or appeals a decision or case, with that target.

    Each statement is `{"type", "target", "subject", "trigger", "start", "end"}`: `type` is one of
    "overturns", "upholds", "appeals"; `target` the canonical id of the decision or case acted on
    (the nearest case or dnr reference in the same sentence, else in an adjacent one); `subject` the
    case that acts, when the sentence names one (else None); `start`/`end` the sentence's span.
    Statements without an identifiable target are left out.

    :param text: a document's text.
    :param exclude: ids that cannot be targets, normally the document's own; when omitted, the
        identifiers in the document's header.
    """
    if not text:
        return []
    sentences = split_sentences(text)
    starts = [start for start, _ in sentences]
    hits = {bisect.bisect_right(starts, m.start()) - 1 for m in _ANY_TRIGGER.finditer(text.lower())}
    candidates = sorted(i for i in hits if i >= 0)
    if not candidates:
        return []
    excluded = set(_header_identifiers(text) if exclude is None else exclude)
    references = _references_near(text, sentences, candidates)
    statements: list[dict[str, Any]] = []
    seen: set[tuple[str, str, int]] = set()
    for index in candidates:
        s_start, s_end = sentences[index]
        for relation, passive, trigger in _sentence_triggers(text, s_start, s_end):
            target, subject = _target(trigger, passive, index, sentences, references, excluded)
            if target is None or (relation, target.canonical, s_start) in seen:
                continue
            seen.add((relation, target.canonical, s_start))
            statements.append(
                {
                    "type": relation,
                    "target": target.canonical,
                    "subject": subject.canonical if subject else None,
                    "trigger": trigger.group(0),
                    "start": s_start,
                    "end": s_end,
                }
            )
    return statements


def _references_near(text: str, sentences: list[tuple[int, int]], indexes: list[int]) -> list[Reference]:
    """Case and dnr references in the given sentences and their neighbours (targets are never further away)."""
    regions: list[list[int]] = []
    for i in indexes:
        start, end = sentences[max(0, i - 1)][0], sentences[min(len(sentences) - 1, i + 1)][1]
        if regions and start <= regions[-1][1]:
            regions[-1][1] = max(regions[-1][1], end)
        else:
            regions.append([start, end])
    found = []
    for start, end in regions:
        for r in extract_references(text[start:end]):
            if r.kind in TARGET_KINDS:
                found.append(Reference(r.kind, r.canonical, r.start + start, r.end + start, r.raw))
    return found


def identifiers_of(document_metadata: dict[str, Any], text: str) -> list[str]:
    """The canonical ids a document carries itself: its dnr, mål nr, case reference, SFS or CELEX number.

    Read from the metadata fields `case_number`, `dnr`, `mål`, `identifiers` (a string or a list),
    `sfs` and `celex` (as a reader of an official format writes them, also inside `extra`), from
    the title and from labelled header lines in the first 400 characters ("Dnr 388-2015", "Mål nr
    383-16"). A statute's title names its own SFS number ("Förordning (2021:949) om ...").
    Ids the document overturns, upholds or appeals are another document's, and are left out
    (unless the metadata names them).

    >>> identifiers_of({"title": "Förordning (2021:949) om skydd", "doc_type": "förordning"}, "1 § Text.")
    ['SFS 2021:949']

    :param document_metadata: the document's fields (`Document.metadata()` or a stored record).
    :param text: the document's text.
    """
    extra = document_metadata.get("extra")
    found = _metadata_identifiers(document_metadata)
    if isinstance(extra, dict):
        found += _metadata_identifiers(extra)
    title = str(document_metadata.get("title") or "")
    targets = {s["target"] for s in detect_relation_statements(title, exclude=())} if title else set()
    # The opening's own statements; labelled header ids cannot be their targets (see `detect_relation_statements`).
    targets |= {s["target"] for s in detect_relation_statements(text[: HEADER_CHARS * 2])}
    statute = str(document_metadata.get("doc_type") or "") in ("lag", "förordning")
    for ref in extract_references(title):
        if ref.kind in TARGET_KINDS and ref.canonical not in targets:
            found.append(ref.canonical)
        elif statute and ref.kind == "statute" and ref.canonical.startswith("SFS ") and _names_itself(title, ref):
            found.append(ref.canonical)
    found += [i for i in _header_identifiers(text) if i not in targets]
    return list(dict.fromkeys(found))


def _names_itself(title: str, ref: Reference) -> bool:
    """A statute's title names its own number first ("Lag (2021:890) om ..."); an amending act's
    title names the amended one after "ändring i" ("Förordning (2025:332) om ändring i förordningen (2021:949)")."""
    first = re.search(r"\(\s*(?:SFS\s*)?(\d{4}:\d{1,5})", title)
    return bool(first) and ref.canonical == f"SFS {first.group(1)}"


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Rule-based sentence spans `(start, end)` of `text`; abbreviations such as "dnr." do not end a sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.group(0).count("\n") < 2 and _ends_with_abbreviation(text, m.start()):
            continue
        if text[start : m.start()].strip():
            spans.append(_strip(text, start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append(_strip(text, start, len(text)))
    return spans


def _ends_with_abbreviation(text: str, end: int) -> bool:
    word = re.search(r"(\S+)$", text[max(0, end - 20) : end])
    if word is None:
        return False
    token = word.group(1).rstrip(".").lstrip("(\"'").casefold()
    return token in _ABBREVIATIONS or (len(token) == 1 and token.isalpha())


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_triggers(text: str, start: int, end: int) -> list[tuple[str, bool, re.Match]]:
    """The relation verbs of one sentence; where two overlap, the stronger relation ("upholds" in "avslår överklagandet")."""
    if text[end - 1 : end] == "?":
        return []
    found = []
    for relation, passive, pattern in _TRIGGERS:
        for m in pattern.finditer(text, start, end):
            if not _HEDGE.search(text, start, m.start()):
                found.append((relation, passive, m))
    found.sort(key=lambda t: (-_STRENGTH[t[0]], -(t[2].end() - t[2].start())))
    kept: list[tuple[str, bool, re.Match]] = []
    for item in found:
        m = item[2]
        if all(m.end() <= k[2].start() or m.start() >= k[2].end() for k in kept):
            kept.append(item)
    # A sentence that overturns or upholds only mentions the appeal it decides on.
    if any(k[0] != "appeals" for k in kept):
        kept = [k for k in kept if k[0] != "appeals"]
    return sorted(kept, key=lambda t: t[2].start())


def _target(
    trigger: re.Match,
    passive: bool,
    index: int,
    sentences: list[tuple[int, int]],
    references: list[Reference],
    excluded: set[str],
) -> tuple[Reference | None, Reference | None]:
    """The reference acted on, and the acting case when the sentence names it."""
    s_start, s_end = sentences[index]
    usable = [r for r in references if r.canonical not in excluded]
    before = [r for r in usable if s_start <= r.start and r.end <= trigger.start()]
    after = [r for r in usable if trigger.end() <= r.start and r.end <= s_end]
    if passive:
        # "Beslutet (dnr 388-2015) upphävdes av förvaltningsrätten (mål 383-16)"
        target = before[-1] if before else _adjacent(trigger, index, sentences, usable, previous_only=True)
        subject = after[0] if after else None
    else:
        target = after[0] if after else next((r for r in reversed(before) if r.kind == "dnr"), None)
        target = target or _adjacent(trigger, index, sentences, usable) or (before[-1] if before else None)
        subject = next((r for r in reversed(before) if r.kind == "case" and r is not target), None)
    return target, subject


def _adjacent(
    trigger: re.Match,
    index: int,
    sentences: list[tuple[int, int]],
    references: list[Reference],
    previous_only: bool = False,
) -> Reference | None:
    """The reference nearest to `trigger` in the sentence before (or after) the trigger's sentence."""
    spans = [sentences[index - 1]] if index > 0 else []
    if not previous_only and index + 1 < len(sentences):
        spans.append(sentences[index + 1])
    candidates = [r for r in references for start, end in spans if start <= r.start and r.end <= end]
    if not candidates:
        return None
    return min(candidates, key=lambda r: min(abs(trigger.start() - r.end), abs(r.start - trigger.end())))


def _header_identifiers(text: str) -> list[str]:
    """Ids written as labelled lines in the document's head ("Dnr 388-2015", "Mål nr: 383-16")."""
    found: list[str] = []
    for line in text[:HEADER_CHARS].splitlines(keepends=True):
        stripped = line.strip()
        if stripped and (_HEADER_LABEL.match(stripped) or len(stripped) <= _SHORT_LINE):
            if not any(pattern.search(stripped) for _, _, pattern in _TRIGGERS):
                found += [
                    r.canonical
                    for r in extract_references(line)
                    if r.kind in TARGET_KINDS and (_HEADER_LABEL.match(stripped) or r.raw[:1].isupper())
                ]
    return list(dict.fromkeys(found))


def _metadata_identifiers(metadata: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for field in _METADATA_FIELDS:
        value = metadata.get(field)
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item is None or str(item).strip() == "":
                continue
            found.append(_canonical_identifier(str(item).strip(), field))
    return found


def _canonical_identifier(value: str, field: str) -> str:
    """A metadata id as canonical: "388-2015" in `dnr` is "dnr 388-2015", "2021:949" in `sfs` is
    "SFS 2021:949", "lag (2021:949)" is "SFS 2021:949"; a labelled value keeps its label."""
    refs = extract_references(value)
    for ref in refs:
        if ref.kind in TARGET_KINDS:
            return ref.canonical
    statutes = [r for r in refs if r.kind == "statute" and r.canonical.startswith("SFS ")]
    if statutes and len(statutes[0].raw) >= len(value.strip()) - 2:
        return statutes[0].canonical
    if field == "dnr":
        return f"dnr {value}"
    if field in ("case_number", "mål"):
        return f"mål {value}"
    if field == "sfs" or re.fullmatch(r"(?:SFS\s*)?\d{4}:\d{1,5}", value):
        return "SFS " + re.sub(r"^SFS\s*", "", value)
    if field == "celex" or re.fullmatch(r"(?:CELEX\s*:?\s*)?\d{5}[A-Z]\d{4}", value):
        return "CELEX " + re.sub(r"^CELEX\s*:?\s*", "", value)
    return value


# --- parties ----------------------------------------------------------------------------

# A company named with its legal form: up to four capitalised words before AB, HB or KB, and
# the name after the form when it comes first ("Bostads AB Lönnen"); all on one line, so a
# heading above ("DOMSLUT") is never taken for part of the name.
_PARTY = re.compile(r"(?<![\w-])((?:[A-ZÅÄÖ][\w&.-]*[ \t\u00a0]+){1,4})(AB|HB|KB)(?:[ \t\u00a0]+([A-ZÅÄÖ][\w-]+))?(?![\w-])")


def parties_of(text: str) -> list[str]:
    """Companies a text names with their legal form ("Nordlager Fiktiv AB"), in order of appearance.

    A capitalised word that is an ordinary word ("Bolaget", "Hos", "Enligt": a function word,
    or one the text also writes in lower case) starts a sentence, not the name, and is left off.

    >>> parties_of("Bolaget Nordlager Fiktiv AB överklagade. Enligt bolaget har Bostads AB Lönnen svarat.")
    ['Nordlager Fiktiv AB', 'Bostads AB Lönnen']
    """
    from lagrum.language import ENGLISH_WORDS, SWEDISH_WORDS

    lower_words = set(re.findall(r"(?<![\w-])[a-zåäö][\w-]*", text)) | SWEDISH_WORDS | ENGLISH_WORDS
    found: list[str] = []
    for match in _PARTY.finditer(text):
        words = match.group(1).split()
        while words and words[0].lower() in lower_words:
            words = words[1:]
        after = match.group(3)
        if len(words) == 1 and after and after.lower() not in lower_words:
            name = f"{words[0]} {match.group(2)} {after}"
        elif words:
            name = " ".join([*words, match.group(2)])
        else:
            continue
        if name not in found:
            found.append(name)
    return found
