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
from dataclasses import dataclass

from lagrum.legal.registry import Registry, canonical_statute_id, default_registry

KINDS = ("provision", "statute", "eu_provision", "eu_act", "case", "dnr")
# When two candidate references overlap, the longer one wins; at equal length, the more specific kind.
_SPECIFICITY = {"provision": 3, "eu_provision": 3, "case": 2, "dnr": 2, "statute": 1, "eu_act": 1}
# Two-letter abbreviations (RF, TF, FL) are too ambiguous to stand alone; they count next to a provision.
_MIN_STANDALONE_ABBREVIATION = 3
# Abbreviations this long are distinctive enough to match in any case ("gdpr" in a typed query).
_CASE_FREE_ABBREVIATION = 4

_L = r"[^\W\d_]"  # one letter, including å, ä, ö
_START = r"(?<![\w§])"
_END = r"(?![\w])"
_SFS_IN_PARENS = r"\(\s*(?:SFS\s*)?\d{4}:\d{1,4}\s*\)"
# "kameraövervakningslagen (2013:460)", "lagen (2018:1200)", "Förordning (2018:219)", "skollagen (2010:800)".
_NUMBERED_STATUTE = (
    rf"(?i:(?<![\w-]){_L}*(?:lag|förordning|balk|ordning|form|kungörelse)(?:en|ens|s|n)?)\s*{_SFS_IN_PARENS}"
)
_SFS_NUMBER = r"SFS\s*(?:nr\.?\s*)?\d{4}:\d{1,4}(?!\d)"
_EU_NUMBER = (
    r"(?:(?:(?i:Europaparlamentets\s+och\s+rådets\s+)?(?i:förordning(?:en)?|regulation)\s*)?\(EU\)\s*(?:nr\s*)?"
    r"|(?<![\w/])EU\s+)\d{4}/\d{1,4}(?![\d/])"
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

_CASE_PATTERNS = (
    # Mål numbers: "mål nr 383-16", "Målnummer: T 1234-16".
    (
        re.compile(
            r"(?<![\w])(?i:mål(?:et)?(?:\s*nr\.?|\s*nummer)?|målnr\.?|målnummer)\s*:?\s*"
            r"(?P<id>(?:[A-ZÅÄÖ]{1,3}\s?)?\d{1,6}-\d{2}(?:\d{2})?)(?![\w-])"
        ),
        "case",
        lambda m: "mål " + " ".join(m["id"].split()),
    ),
    # Diary numbers: "dnr 388-2015", "Diarienummer: DI-2019-1234", "Dnr IMY-2022-1234".
    (
        re.compile(
            r"(?<![\w])(?i:dnr\.?|diarienummer|diarienr\.?)\s*:?\s*"
            r"(?P<id>(?:[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{0,5}-?)?\d{1,6}(?:[-/:.]\d{1,6}){1,4})(?![\w-])"
        ),
        "dnr",
        lambda m: "dnr " + m["id"],
    ),
    # Yearbooks of the administrative supreme court: "HFD 2016 ref. 12", "RÅ 2002 ref. 5", "HFD 2020 not. 3".
    (
        re.compile(r"(?<![\w])(?P<court>HFD|RÅ)\s+(?P<year>(?:19|20)\d{2})\s+(?P<series>ref|not)\.?\s*(?P<no>\d{1,4})(?![\w])"),
        "case",
        lambda m: f"{m['court']} {m['year']} {m['series']}. {m['no']}",
    ),
    (
        re.compile(r"(?<![\w])NJA\s+(?P<year>(?:18|19|20)\d{2})\s+s\.?\s*(?P<no>\d{1,4})(?![\w])"),
        "case",
        lambda m: f"NJA {m['year']} s. {m['no']}",
    ),
    (
        re.compile(r"(?<![\w])AD\s+(?P<year>(?:19|20)\d{2})\s*(?:nr\.?\s*|:)(?P<no>\d{1,3})(?![\w])"),
        "case",
        lambda m: f"AD {m['year']} nr {m['no']}",
    ),
    (
        re.compile(r"(?<![\w])(?P<court>RH|MÖD|MIG|MD|PMÖD|FÖD)\s+(?P<year>(?:19|20)\d{2}):(?P<no>\d{1,4})(?![\w])"),
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
        for m in pattern.finditer(text):
            found.append(Reference(kind, canonical(m), m.start(), m.end(), m.group(0)))
    return found


def _without_overlaps(candidates: list[Reference]) -> list[Reference]:
    ranked = sorted(candidates, key=lambda r: (-(r.end - r.start), -_SPECIFICITY[r.kind], r.start))
    kept: list[Reference] = []
    for ref in ranked:
        if all(ref.end <= k.start or ref.start >= k.end for k in kept):
            kept.append(ref)
    return sorted(kept, key=lambda r: r.start)


class _StatutePatterns:
    """The compiled expressions for one registry's statute names."""

    def __init__(self, registry: Registry):
        self.registry = registry
        named = _named_statute_pattern(registry)
        self.statute = f"(?:{_NUMBERED_STATUTE}|{named}(?:\\s*{_SFS_IN_PARENS})?|{_SFS_NUMBER}|{_EU_NUMBER})"
        law = f"(?P<law>{self.statute})"
        self.statute_alone = re.compile(self.statute)
        self.standalone_abbreviations = {
            a for s in registry.statutes() for a in s.abbreviations if len(a) >= _MIN_STANDALONE_ABBREVIATION
        }
        self.provision_patterns = [
            # "5 kap. 1 § arbetsmiljölagen", "23 § första stycket i kameraövervakningslagen", "5 kap. AML"
            re.compile(
                rf"{_START}(?:{_CHAPTER}(?:\s*(?P<sec>{_SECTION})\s*§(?!§))?|(?P<sec2>{_SECTION})\s*§(?!§))"
                rf"{_SUBDIVISION}\s+(?:i\s+)?{law}"
            ),
            # "paragraf 23 i kameraövervakningslagen"
            re.compile(rf"(?<![\w])(?i:paragraf(?:en)?)\s+(?P<sec>\d{{1,3}}(?:\s?[a-hj-z](?![\wåäö]))?)\s+(?:i\s+)?{law}"),
            # "section 23 of the Camera Surveillance Act", "Chapter 5, Section 1 of the Work Environment Act"
            re.compile(
                rf"(?<![\w])(?:(?i:chapter)\s+(?P<chap>\d{{1,3}}),?\s+)?(?i:section)\s+(?P<sec>\d{{1,3}}(?:\s?[a-z](?![\w]))?)"
                rf"\s+(?i:of\s+(?:the\s+)?){law}"
            ),
            # "KÖL 23 §", "arbetsmiljölagen 5 kap. 1 §"
            re.compile(rf"{law}\s+(?:{_CHAPTER}\s*)?(?P<sec>{_SECTION})\s*§(?!§)"),
        ]
        self.article_patterns = [
            re.compile(rf"(?<![\w]){_ARTICLE}{_ARTICLE_LINK}{law}"),
            # "GDPR art. 88", "dataskyddsförordningen artikel 6.1 f"
            re.compile(rf"{law}\s+{_ARTICLE}"),
        ]

    def candidates(self, text: str) -> list[Reference]:
        found: list[Reference] = []
        for pattern in self.provision_patterns:
            for m in pattern.finditer(text):
                if ref := self._provision(m):
                    found.append(ref)
        for pattern in self.article_patterns:
            for m in pattern.finditer(text):
                if ref := self._article(m):
                    found.append(ref)
        for m in self.statute_alone.finditer(text):
            if ref := self._statute(m):
                found.append(ref)
        return found

    def resolve(self, law: str) -> str | None:
        """The canonical id of a statute mention: its number when written, else its registered name."""
        if number := re.search(r"(\d{4}:\d{1,4})", law):
            return f"SFS {number.group(1)}"
        if number := re.search(r"(\d{4}/\d{1,4})", law):
            return canonical_statute_id(f"EU {number.group(1)}")
        name = law[:-2] if law.endswith(":s") else law
        statute = self.registry.statute_by_name(name)
        return statute.sfs if statute else None

    def _provision(self, m: re.Match) -> Reference | None:
        law = self.resolve(m["law"])
        if law is None or law.startswith("EU "):
            return None
        groups = m.groupdict()
        chapter = groups.get("chap")
        section = groups.get("sec") or groups.get("sec2")
        parts = [law]
        if chapter:
            parts.append(f"{chapter} kap.")
        if section:
            parts.append(f"{_normalise_section(section)} §")
        return Reference("provision", " ".join(parts), m.start(), m.end(), m.group(0))

    def _article(self, m: re.Match) -> Reference | None:
        act = self.resolve(m["law"])
        if act is None or not act.startswith("EU "):
            return None
        article = f"art. {m['art']}"
        if paragraph := m["par"] or m["par2"]:
            article += f".{paragraph}"
        if point := m["pt1"] or m["pt2"] or m["pt3"]:
            article += f" {point}"
        return Reference("eu_provision", f"{act} {article}", m.start(), m.end(), m.group(0))

    def _statute(self, m: re.Match) -> Reference | None:
        raw = m.group(0)
        bare = raw[:-2] if raw.endswith(":s") else raw
        if len(bare) < _MIN_STANDALONE_ABBREVIATION or (bare.isupper() and len(bare) < 4 and bare not in self.standalone_abbreviations):
            return None
        statute = self.resolve(raw)
        if statute is None:
            return None
        kind = "eu_act" if statute.startswith("EU ") else "statute"
        return Reference(kind, statute, m.start(), m.end(), raw)


def _named_statute_pattern(registry: Registry) -> str:
    """An alternation of every registered statute name, longest first; short abbreviations match in their case."""
    abbreviations = {a for s in registry.statutes() for a in s.abbreviations}
    folded_abbreviations = {a.casefold() for a in abbreviations if len(a) < _CASE_FREE_ABBREVIATION}
    free = [n for n in registry.statute_names() if n not in folded_abbreviations]
    exact = [a for a in abbreviations if len(a) < _CASE_FREE_ABBREVIATION]
    alternatives = sorted(
        [(n, f"(?i:{_name_regex(n)})") for n in free] + [(a, _name_regex(a)) for a in exact],
        key=lambda pair: -len(pair[0]),
    )
    body = "|".join(regex for _, regex in alternatives)
    return rf"(?<![\w-])(?:{body})(?::s)?(?![\w-])"


def _name_regex(name: str) -> str:
    return r"\s+".join(re.escape(word) for word in name.split())


def _normalise_section(section: str) -> str:
    m = re.fullmatch(r"(\d+)\s*([a-z]?)", section.strip())
    return f"{m.group(1)} {m.group(2)}" if m and m.group(2) else section.strip()


@functools.lru_cache(maxsize=8)
def _patterns(registry: Registry) -> _StatutePatterns:
    return _StatutePatterns(registry)
