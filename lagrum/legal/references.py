"""Find references to statutes, provisions, EU acts, court cases and case numbers in Swedish legal text.

Every reference gets a canonical id, so "23 § kameraövervakningslagen", "KÖL 23 §" and
"23 § lagen (2013:460)" all become `SFS 2013:460 23 §`, and "art. 6.1 f GDPR" and
"Article 6(1)(f) GDPR" both become `EU 2016/679 art. 6.1 f`. Statute names come from the
registry (`corpus/registry/statutes.yaml`); a statute the registry does not know is still
recognised when its SFS number follows it in parentheses ("skollagen (2010:800)").

>>> [r.canonical for r in extract_references("Enligt 23 § kameraövervakningslagen och GDPR art. 88.")]
['SFS 2013:460 23 §', 'EU 2016/679 art. 88']
>>> extract_references("Förvaltningsrätten i mål nr 383-16")[0].canonical
'mål 383-16'

Conservative by design: a bare "23 §", "2018:1200", "nr 5" or "2016" is not a reference, because
without a statute or a label in front of it nothing says what it refers to.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from lagrum.legal.registry import Registry, canonical_statute_id, default_registry

# Part of every document's content hash: when the recognised forms change, re-ingest re-reads
# documents so their chunks carry the new citations (2: English "case no." / "diary no.";
# 3: authority diary numbers written without a label, "IMY-2022-1234", and "registration number";
# 4: a document's own SFS and CELEX numbers are its identifiers, and ride on its chunks;
# 5: a ruling's relations come from its operative part and the decision its head names).
EXTRACTOR_VERSION = 5

KINDS = ("provision", "statute", "eu_provision", "eu_act", "case", "dnr")
# When two candidate references overlap, the longer one wins; at equal length, the more specific kind.
_SPECIFICITY = {"provision": 3, "eu_provision": 3, "case": 2, "dnr": 2, "statute": 1, "eu_act": 1}
# Two-letter abbreviations (RF, TF, FL) are too ambiguous to stand alone; they count next to a provision.
_MIN_STANDALONE_ABBREVIATION = 3
# Abbreviations this long are distinctive enough to match in any case ("gdpr" in a typed query).
_CASE_FREE_ABBREVIATION = 4

_L = r"[^\W\d_]"  # one letter, including å, ä, ö
_SFS_IN_PARENS = r"\(\s*(?:SFS\s*)?\d{4}:\d{1,4}\s*\)"
# "kameraövervakningslagen (2013:460)", "lagen (2018:1200)", "Förordning (2018:219)", "skollagen (2010:800)":
# found from the number in parentheses back to the statute word before it.
_SFS_PARENS = re.compile(_SFS_IN_PARENS)
_LONGEST_WORD = 60
_STATUTE_WORD_BEFORE = re.compile(rf"(?i:{_L}*(?:lag|förordning|balk|ordning|form|kungörelse)(?:en|ens|s|n)?)\s*\Z")
_SFS_NUMBER = r"SFS\s*(?:nr\.?\s*)?\d{4}:\d{1,4}(?!\d)"
_EU_NUMBER = (
    r"(?=[EeFfRr(])(?:(?:(?i:Europaparlamentets\s+och\s+rådets\s+)?(?i:förordning(?:en)?|regulation)\s*)?\(EU\)\s*(?:nr\s*)?"
    r"|EU\s+)\d{4}/\d{1,4}(?![\d/])"
)
_SECTION = r"\d{1,3}(?:\s?[a-z](?=\s*§))?"
_ORDINAL = r"(?:första|andra|tredje|fjärde|femte|sjätte|sjunde|åttonde|nionde|tionde)"
# Subdivisions of a section ("första stycket 2", "1 st. 3 p.") belong to the reference's text, not its id.
_SUBDIVISION = rf"(?:\s+{_ORDINAL}\s+stycket(?:\s+(?:punkt\s+)?\d{{1,2}}(?:\s*p\.)?)?|\s+\d\s*st\.(?:\s*\d{{1,2}}\s*p\.)?)?"
_CHAPTER = r"(?P<chap>\d{1,3})\s*kap(?:\.|(?![\wåäö]))"
_ARTICLE = (
    r"(?i:artikel|art\.|article)\s*(?P<art>\d{1,3})"
    r"(?:\.(?P<par>\d{1,2})|\s*\((?P<par2>\d{1,2})\))?"
    # The point letter; a lone "i" is read as the preposition ("artikel 88 i GDPR") unless doubled.
    r"(?:\s*\((?P<pt1>[a-z])\)|\.?\s?(?P<pt2>[a-hj-z])(?![\wåäö])|\s(?P<pt3>i)(?=\s+i\s))?"
)
_ARTICLE_LINK = r"\s+(?:(?:i|of|in)\s+(?:the\s+)?)?"

def _diary_number(m: re.Match) -> str:
    return "dnr " + m["id"]


_CASE_PATTERNS = (
    # Mål numbers: "mål nr 383-16", "Målnummer: T 1234-16", in English "case no. 383-16".
    (
        re.compile(
            r"(?i:mål(?:et)?(?:\s*nr\.?|\s*nummer)?|målnr\.?|målnummer|case\s+(?:no\.?|nr\.?|number))\s*:?\s*"
            r"(?P<id>(?:[A-ZÅÄÖ]{1,3}\s?)?\d{1,6}-\d{2}(?:\d{2})?)(?![\w-])"
        ),
        "case",
        lambda m: "mål " + " ".join(m["id"].split()),
    ),
    # Diary numbers: "dnr 388-2015", "Diarienummer: DI-2019-1234", "Dnr IMY-2022-1234", "diary no. 388-2015".
    (
        re.compile(
            r"(?i:dnr\.?|diarienummer|diarienr\.?|diary\s+(?:no\.?|number)|registration\s+(?:no\.?|number))\s*:?\s*"
            r"(?P<id>(?:[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{0,5}-?)?\d{1,6}(?:[-/:.]\d{1,6}){1,4})(?![\w-])"
        ),
        "dnr",
        _diary_number,
    ),
    # An authority's diary number needs no label: its form, the authority's letters, the year and
    # a serial number, is unambiguous ("beslut IMY-2022-1234", "What was DI-2019-1234 about?").
    (
        re.compile(r"(?<![\w-])(?P<id>[A-ZÅÄÖ]{2,5}-(?:19|20)\d{2}-\d{1,6})(?![\w-])"),
        "dnr",
        _diary_number,
    ),
    # Yearbooks of the administrative supreme court: "HFD 2016 ref. 12", "RÅ 2002 ref. 5", "HFD 2020 not. 3".
    (
        re.compile(r"(?P<court>HFD|RÅ)\s+(?P<year>(?:19|20)\d{2})\s+(?P<series>ref|not)\.?\s*(?P<no>\d{1,4})(?![\w])"),
        "case",
        lambda m: f"{m['court']} {m['year']} {m['series']}. {m['no']}",
    ),
    (
        re.compile(r"NJA\s+(?P<year>(?:18|19|20)\d{2})\s+s\.?\s*(?P<no>\d{1,4})(?![\w])"),
        "case",
        lambda m: f"NJA {m['year']} s. {m['no']}",
    ),
    (
        re.compile(r"AD\s+(?P<year>(?:19|20)\d{2})\s*(?:nr\.?\s*|:)(?P<no>\d{1,3})(?![\w])"),
        "case",
        lambda m: f"AD {m['year']} nr {m['no']}",
    ),
    (
        re.compile(r"(?P<court>RH|MÖD|MIG|MD|PMÖD|FÖD)\s+(?P<year>(?:19|20)\d{2}):(?P<no>\d{1,4})(?![\w])"),
        "case",
        lambda m: f"{m['court']} {m['year']}:{m['no']}",
    ),
)


@dataclass(frozen=True)
class Reference:
    """A reference found in a text: what it points to (`canonical`) and where it was written.

    `kind` is one of "provision", "statute", "eu_provision", "eu_act", "case", "dnr";
    `raw == text[start:end]`.
    """

    kind: str
    canonical: str
    start: int
    end: int
    raw: str


def extract_references(text: str, registry: Registry | None = None) -> list[Reference]:
    """Return the references in `text`, in order of position, without overlaps.

    Overlapping candidates are resolved in favour of the longest, then the most specific
    ("23 § kameraövervakningslagen" is one provision, not a provision and a statute).

    :param text: any text; offsets in the result point into it.
    :param registry: statute names to recognise; the default registry when omitted.
    """
    if not text:
        return []
    patterns = _patterns(registry if registry is not None else default_registry())
    candidates = [*_case_candidates(text), *patterns.candidates(text)]
    return _without_overlaps(candidates)


def _case_candidates(text: str) -> list[Reference]:
    found = []
    for pattern, kind, canonical in _CASE_PATTERNS:
        for m in _bounded(pattern, text):
            found.append(Reference(kind, canonical(m), m.start(), m.end(), m.group(0)))
    return found


def _bounded(pattern: re.Pattern, text: str, forbidden: str = "") -> Iterator[re.Match]:
    """Matches of `pattern` that do not start inside a word (or right after a character in `forbidden`)."""
    for m in pattern.finditer(text):
        before = text[m.start() - 1] if m.start() else " "
        if not (before.isalnum() or before == "_" or before in forbidden):
            yield m


def _without_overlaps(candidates: list[Reference]) -> list[Reference]:
    ranked = sorted(candidates, key=lambda r: (-(r.end - r.start), -_SPECIFICITY[r.kind], r.start))
    kept: list[Reference] = []
    for ref in ranked:
        if all(ref.end <= k.start or ref.start >= k.end for k in kept):
            kept.append(ref)
    return sorted(kept, key=lambda r: r.start)


class _StatutePatterns:
    """The compiled expressions for one registry's statute names.

    Statute mentions are found first; provisions are then read around them (a section number
    before, or after an abbreviation), which keeps the large name alternation to one pass.
    """

    def __init__(self, registry: Registry):
        self.registry = registry
        names, abbreviations = _statute_name_patterns(registry)
        # Names are matched in the lower-cased text (much faster than IGNORECASE), short abbreviations as written.
        self.names = re.compile(f"(?<![\\w-])(?:{names})(?::s)?(?![\\w-])")
        self.abbreviations = re.compile(f"(?:{abbreviations})(?::s)?(?![\\w-])") if abbreviations else None
        self.names_any_case = re.compile(f"(?<![\\w-])(?i:{names})(?::s)?(?![\\w-])")
        self.sfs = re.compile(_SFS_NUMBER)
        self.number_after = re.compile(rf"\s*{_SFS_IN_PARENS}")
        self.eu = re.compile(_EU_NUMBER)
        self.short_abbreviations = {
            a for s in registry.statutes() for a in s.abbreviations if len(a) < _MIN_STANDALONE_ABBREVIATION
        }
        # Each head with the words one of which it needs: a text without them is not scanned at all.
        self.provision_heads = [
            # "5 kap. 1 § arbetsmiljölagen", "23 § första stycket i kameraövervakningslagen", "5 kap. AML"
            (("§", "kap"), re.compile(
                rf"(?:{_CHAPTER}(?:\s*(?P<sec>{_SECTION})\s*§(?!§))?|(?P<sec2>{_SECTION})\s*§(?!§))"
                rf"{_SUBDIVISION}\s+(?:i\s+)?"
            )),
            # "paragraf 23 i kameraövervakningslagen"
            (("paragraf",), re.compile(r"(?i:paragraf(?:en)?)\s+(?P<sec>\d{1,3}(?:\s?[a-hj-z](?![\wåäö]))?)\s+(?:i\s+)?")),
            # "section 23 of the Camera Surveillance Act", "Chapter 5, Section 1 of the Work Environment Act"
            (("section",), re.compile(
                r"(?:(?i:chapter)\s+(?P<chap>\d{1,3}),?\s+)?(?i:section)\s+(?P<sec>\d{1,3}(?:\s?[a-z](?![\w]))?)"
                r"\s+(?i:of\s+(?:the\s+)?)"
            )),
        ]
        # "KÖL 23 §", "arbetsmiljölagen 5 kap. 1 §", read after a statute mention.
        self.provision_tail = re.compile(
            rf"\s+(?:{_CHAPTER}(?:\s*(?P<sec>{_SECTION})\s*§(?!§))?|(?P<sec2>{_SECTION})\s*§(?!§))"
        )
        self.article_head = re.compile(rf"{_ARTICLE}{_ARTICLE_LINK}")
        # "GDPR art. 88", "dataskyddsförordningen artikel 6.1 f"
        self.article_tail = re.compile(rf"\s+{_ARTICLE}")

    def candidates(self, text: str) -> list[Reference]:
        mentions = self._mentions(text)
        found: list[Reference] = []
        for start, (end, law) in mentions.items():
            raw = text[start:end]
            if law.startswith("EU "):
                found.append(Reference("eu_act", law, start, end, raw))
                if m := self.article_tail.match(text, end):
                    found.append(self._article(text, start, m, law))
            else:
                if self._stands_alone(raw):
                    found.append(Reference("statute", law, start, end, raw))
                if m := self.provision_tail.match(text, end):
                    found.append(self._provision(text, start, m.end(), m, law))
        lower = text.lower()
        for needs, head in self.provision_heads:
            if not any(word in lower for word in needs):
                continue
            for m in _bounded(head, text, "§"):
                hit = mentions.get(m.end())
                if hit and not hit[1].startswith("EU "):
                    found.append(self._provision(text, m.start(), hit[0], m, hit[1]))
        for m in _bounded(self.article_head, text) if "art" in lower else ():
            hit = mentions.get(m.end())
            if hit and hit[1].startswith("EU "):
                found.append(self._article(text, m.start(), m, hit[1], hit[0]))
        return found

    def _mentions(self, text: str) -> dict[int, tuple[int, str]]:
        """Start offset -> (end offset, canonical id) of every statute mention, the longest per start."""
        spans: list[tuple[int, int]] = []
        lower = text.lower()
        if len(lower) == len(text):
            spans += [m.span() for m in self.names.finditer(lower)]
        else:  # a few characters change length when lower-cased; offsets would drift
            spans += [m.span() for m in self.names_any_case.finditer(text)]
        if self.abbreviations is not None:
            spans += [m.span() for m in _bounded(self.abbreviations, text, "-")]
        # A name may be followed by its number: "kameraövervakningslagen (2013:460)".
        spans = [(start, m.end() if (m := self.number_after.match(text, end)) else end) for start, end in spans]
        if ":" in text:
            spans += [m.span() for m in self.sfs.finditer(text)]
            spans += self._numbered(text)
        if "/" in text:
            spans += [m.span() for m in _bounded(self.eu, text, "/")]
        mentions: dict[int, tuple[int, str]] = {}
        for start, end in spans:
            law = self.resolve(text[start:end])
            if law and (start not in mentions or mentions[start][0] < end):
                mentions[start] = (end, law)
        return mentions

    @staticmethod
    def _numbered(text: str) -> list[tuple[int, int]]:
        """Spans of "<statute word> (YYYY:NNN)", found from the number back to the word."""
        spans = []
        for m in _SFS_PARENS.finditer(text):
            word = _STATUTE_WORD_BEFORE.search(text, max(0, m.start() - _LONGEST_WORD), m.start())
            before = text[word.start() - 1] if word and word.start() else " "
            if word and not (before.isalnum() or before in "-_"):
                spans.append((word.start(), m.end()))
        return spans

    def resolve(self, law: str) -> str | None:
        """The canonical id of a statute mention: its number when written, else its registered name."""
        if number := re.search(r"(\d{4}:\d{1,4})", law):
            return f"SFS {number.group(1)}"
        if number := re.search(r"(\d{4}/\d{1,4})", law):
            return canonical_statute_id(f"EU {number.group(1)}")
        name = law[:-2] if law.endswith(":s") else law
        statute = self.registry.statute_by_name(name)
        return statute.sfs if statute else None

    def _stands_alone(self, raw: str) -> bool:
        bare = raw[:-2] if raw.endswith(":s") else raw
        return bare not in self.short_abbreviations

    @staticmethod
    def _provision(text: str, start: int, end: int, m: re.Match, law: str) -> Reference:
        groups = m.groupdict()
        chapter = groups.get("chap")
        section = groups.get("sec") or groups.get("sec2")
        parts = [law]
        if chapter:
            parts.append(f"{chapter} kap.")
        if section:
            parts.append(f"{_normalise_section(section)} §")
        return Reference("provision", " ".join(parts), start, end, text[start:end])

    @staticmethod
    def _article(text: str, start: int, m: re.Match, act: str, end: int | None = None) -> Reference:
        end = m.end() if end is None else end
        article = f"art. {m['art']}"
        if paragraph := m["par"] or m["par2"]:
            article += f".{paragraph}"
        if point := m["pt1"] or m["pt2"] or m["pt3"]:
            article += f" {point}"
        return Reference("eu_provision", f"{act} {article}", start, end, text[start:end])


def _statute_name_patterns(registry: Registry) -> tuple[str, str]:
    """Regexes for the registry's statute names (lower case, as a trie) and its short abbreviations (as written)."""
    abbreviations = {a for s in registry.statutes() for a in s.abbreviations}
    exact = sorted((a for a in abbreviations if len(a) < _CASE_FREE_ABBREVIATION), key=len, reverse=True)
    exact_folded = {a.casefold() for a in exact}
    names = [n.lower() for n in registry.statute_names() if n not in exact_folded]
    return _trie_regex(names), "|".join(re.escape(a) for a in exact)


def _trie_regex(words: list[str]) -> str:
    """One alternation sharing common prefixes, so the engine rejects most positions after a character or two."""
    trie: dict = {}
    for word in words:
        node = trie
        for char in " ".join(word.split()):
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [(r"\s+" if c == " " else re.escape(c)) + build(sub) for c, sub in sorted(node.items()) if c]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy optional tail: the longest name wins ("kameraövervakningslagens" over "kameraövervakningslag").
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def _normalise_section(section: str) -> str:
    m = re.fullmatch(r"(\d+)\s*([a-z]?)", section.strip())
    return f"{m.group(1)} {m.group(2)}" if m and m.group(2) else section.strip()


@functools.lru_cache(maxsize=8)
def _patterns(registry: Registry) -> _StatutePatterns:
    return _StatutePatterns(registry)
