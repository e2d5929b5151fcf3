"""Understand a search query: its language, the provisions it names, and the words for Swedish BM25.

BM25 only matches words that occur in the documents, and the documents are Swedish and name the
same things in several ways. `parse_query` keeps the query as typed and appends equivalent terms:
renamed authorities (DI <-> Datainspektionen <-> IMY <-> Integritetsskyddsmyndigheten), statute
abbreviations and names (KÖL <-> kameraövervakningslagen), and for English questions the Swedish
words of the legal glossary (`corpus/registry/glossary.yaml`).

>>> parsed = parse_query("is mandatory webcam use legal")
>>> parsed.language, "webbkamera" in parsed.lexical_text, "laglig" in parsed.lexical_text
('en', True, True)
>>> parse_query("KÖL 23 §").provisions
['SFS 2013:460 23 §']
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from lagrum.language import detect_language
from lagrum.legal.references import extract_references
from lagrum.legal.registry import Registry, default_registry

LANGUAGES = ("sv", "en")
# Abbreviations shorter than this (DI, FK, KÖL) only match in their written case.
_CASE_FREE_ABBREVIATION = 4
_ENGLISH_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_SWEDISH_WORD = re.compile(r"[a-zåäöéü]+")
# Words of multi-word names that name nothing on their own ("lagen om kameraövervakning" adds only
# "kameraövervakning"); appended alone they would match half the corpus.
_GENERIC_WORDS = frozenset(
    "lag lagen om i med till och av för allmän eu:s års förordningen bestämmelser kompletterande".split()
)
# Capitalised words that name no party: countries, institutions and legal units in general.
GENERIC_NAMES = frozenset(
    """sweden swedish swede swedes sverige svensk svenska eu european europe article articles section sections
    chapter chapters act acts law laws court courts regulation regulations directive government parliament
    parliamentary supreme administrative agency authority authorities board ombudsman municipality region
    county council data protection privacy appeal appeals tribunal office inspectorate""".split()
)
_NAME_RUN = re.compile(r"[A-ZÅÄÖÉ][\w&-]*(?:(?:\s+(?:and|of|for|the|och|för))*\s+[A-ZÅÄÖÉ][\w&-]*)+")
_NUMBERED = re.compile(r"\s+\d")
_NAME_TOKEN = re.compile(r"[A-ZÅÄÖÉ][\w&-]*(?:'s|’s|')?")


@dataclass
class ParsedQuery:
    """A query as Lagrum understood it.

    :param text: the query as typed.
    :param language: "sv" or "en".
    :param provisions: canonical ids of provisions, statutes and cases named in the query, in order.
    :param lexical_text: the text for the Swedish BM25 side: the query plus appended equivalent terms.
    :param cross_terms: glossary renderings in the other language (Swedish terms for an English
        query, English terms for a Swedish one), for a second dense pass across languages.
    """

    text: str
    language: str
    provisions: list[str] = field(default_factory=list)
    lexical_text: str = ""
    cross_terms: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # `name_words`: the parties, companies, places it names


def parse_query(
    text: str,
    language: str | Registry | None = None,
    registry: Registry | None = None,
) -> ParsedQuery:
    """Parse `text` into language, named provisions and the expanded lexical text.

    Accepts `parse_query(text)`, `parse_query(text, registry)` and `parse_query(text, language, registry)`.

    :param text: the user's question or search words.
    :param language: "sv" or "en" when already known; detected from `text` when omitted.
    :param registry: the legal registry; the default registry when omitted.
    """
    if isinstance(language, Registry):
        language, registry = None, language
    if language is not None and language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not supported; use one of: {', '.join(LANGUAGES)}")
    registry = registry if registry is not None else default_registry()
    language = language or detect_language(text)
    references = extract_references(text, registry)
    provisions = list(dict.fromkeys(r.canonical for r in references))
    expansions, cross = _expansions(text, language, registry, provisions)
    lexical = " ".join([text.strip(), *expansions]) if expansions else text.strip()
    names = name_words(text, registry, references)
    return ParsedQuery(text=text, language=language, provisions=provisions, lexical_text=lexical, cross_terms=cross, names=names)


def name_words(text: str, registry: Registry | None = None, references: list | None = None) -> list[str]:
    """The words of `text` that name a party, a company, a platform or a place: capitalised words
    that do not open a sentence, are not a name the registry knows (authorities, courts, statutes,
    in Swedish or English), not a word of the English glossary and not generic (`GENERIC_NAMES`);
    identifiers with digits, words under three letters and the words of a reference ("SFS 2021:890",
    "NJA 2020 s. 717"; `references`, read from `text` when not given) are left out.

    >>> name_words("Hur stort skadestånd fick förbunden av Stora Kraft enligt 11 § MBL?")
    ['Stora', 'Kraft']
    >>> name_words("What did the Data Inspection Board decide about Försäkringskassan?")
    []
    >>> name_words("Can my boss read my Gmail's messages?")
    ['Gmail']
    >>> name_words("What does SFS 2021:890 regulate?"), name_words("Vad säger AFS 2023:1 om riskbedömningar?")
    ([], [])
    """
    registry = registry if registry is not None else default_registry()
    rest = blank_names(text, registry)
    for reference in references if references is not None else extract_references(text, registry):
        rest = rest[: reference.start] + " " * (reference.end - reference.start) + rest[reference.end :]
    glossary = _glossary_words(registry)
    # Words of a capitalised run that contains a generic word ("Security Guards Act", "Patent
    # and Market Court of Appeal") make an English name of a body or statute, not a party.
    institutional: set[str] = set()
    for run in _NAME_RUN.finditer(rest):
        words = re.findall(r"[\w&-]+", run.group())
        if any(w.casefold() in GENERIC_NAMES for w in words):
            institutional.update(words)
    names: list[str] = []
    for match in _NAME_TOKEN.finditer(rest):
        before = rest[: match.start()].rstrip()
        if not before or before.endswith((".", "?", "!", ":", "–", "-", "\"", "”")):
            continue  # opens a sentence
        word = re.sub(r"(?:'s|’s|')$", "", match.group())
        if _NUMBERED.match(rest, match.end()):
            continue  # a series before its number ("AFS 2023:1", "NJA 2020 s. 717"): an identifier
        if word in institutional or len(word) < 3 or any(c.isdigit() for c in word):
            continue
        if word.casefold() in GENERIC_NAMES or word.casefold() in glossary or word in names:
            continue
        names.append(word)
    return names


# A statute named by its subject ("semesterlagen", "kamerabevakningslagen", "brottsbalken"): the
# subject word, with the linking -s dropped ("dataskydds-"), names the field the statute governs.
_SUBJECT_NAME = re.compile(r"([a-zåäö]+?)(?:lagen|lag|förordningen|förordning|balken|balk)")
MIN_SUBJECT_CHARS = 8  # shorter subjects ("polis", "spel", "brotts") open too many other words


def statute_subjects(text: str, registry: Registry | None = None) -> list[tuple[str, str]]:
    """(subject, canonical statute id) for every statute whose subject a word of `text` opens
    with: "Hur många semesterdagar …" -> Semesterlag (1977:480), "kamerabevakningen" ->
    Kamerabevakningslag (2018:1200).

    >>> statute_subjects("Hur lång semester har man rätt till?")
    [('semester', 'SFS 1977:480')]
    >>> statute_subjects("Får polisen filma?"), statute_subjects("Hur bokar jag en resa?")
    ([], [])
    """
    registry = registry if registry is not None else default_registry()
    words = {w.casefold() for w in re.findall(r"[\wåäöÅÄÖ]+", text)}
    return [
        (subject, sfs)
        for subject, statutes in _statute_subjects(registry).items()
        if any(w.startswith(subject) for w in words)
        for sfs in sorted(statutes)
    ]


@functools.lru_cache(maxsize=8)
def _statute_subjects(registry: Registry) -> dict[str, set[str]]:
    subjects: dict[str, set[str]] = {}
    for name, sfs in registry.statute_names().items():
        match = _SUBJECT_NAME.fullmatch(name)
        if not match:
            continue
        subject = match.group(1)
        if subject.endswith("s") and not subject.endswith("ss"):
            subject = subject[:-1]
        if len(subject) >= MIN_SUBJECT_CHARS:
            subjects.setdefault(subject, set()).add(sfs)
    return subjects


@functools.lru_cache(maxsize=8)
def _glossary_words(registry: Registry) -> frozenset[str]:
    """The English words of the registry's glossary (phrases split), casefolded."""
    if not hasattr(registry, "glossary"):
        return frozenset()
    return frozenset(w.casefold() for phrase in registry.glossary() for w in phrase.split())


def expand_terms(
    text: str,
    language: str,
    registry: Registry | None = None,
    provisions: list[str] | None = None,
) -> list[str]:
    """The words to append to `text` for lexical search, each once and none already in `text`.

    :param text: the query.
    :param language: "en" adds glossary translations; aliases are added for both languages.
    :param registry: the legal registry; the default registry when omitted.
    :param provisions: canonical ids found in the query; the statutes they name add their names.
    """
    registry = registry if registry is not None else default_registry()
    return _expansions(text, language, registry, provisions)[0]


def _expansions(text: str, language: str, registry: Registry, provisions: list[str] | None) -> tuple[list[str], list[str]]:
    """Lexical expansion terms, and the glossary rendering of the query in the other language."""
    terms, rest = _alias_terms(text, registry)
    terms += _statute_terms(provisions or [], registry)
    # Words inside a matched name ("Data Inspection Board") are not translated one by one.
    if language == "en":
        cross = _glossary_terms(rest, registry)
        terms += cross
    else:
        cross = _reverse_glossary_terms(rest, registry)
    return _new_words(text, terms), _new_words(text, cross)


def blank_names(text: str, registry: Registry | None = None) -> str:
    """`text` with every name the registry knows (authorities, courts, statutes, in any of their
    written forms and in English) blanked out, offsets kept.

    >>> blank_names("What did the Data Inspection Board decide?").split()
    ['What', 'did', 'the', 'decide?']
    """
    return _alias_terms(text, registry if registry is not None else default_registry())[1]


def name_groups(text: str, registry: Registry | None = None) -> list[list[str]]:
    """Each name the registry knows in `text` with its equivalent names, one list per name as
    written: "Vad beslutade IMY?" -> [["IMY", "Integritetsskyddsmyndigheten", "Datainspektionen", …]].
    A passage naming the authority twice over ("Integritetsskyddsmyndigheten (IMY)") names one
    thing the question names, not two."""
    registry = registry if registry is not None else default_registry()
    matcher, aliases = _alias_matcher(registry)
    groups = []
    for m in matcher.finditer(text):
        key = " ".join(m["name"].split()).casefold()
        groups.append([m["name"], *aliases.get(key, [])])
    return groups


def _alias_terms(text: str, registry: Registry) -> tuple[list[str], str]:
    """Equivalent names for the names in `text`, and `text` with those names blanked out."""
    matcher, aliases = _alias_matcher(registry)
    terms: list[str] = []
    rest = text
    for m in matcher.finditer(text):
        key = " ".join(m["name"].split()).casefold()
        terms += aliases.get(key, [])
        rest = rest[: m.start()] + " " * (m.end() - m.start()) + rest[m.end() :]
    return terms, rest


def _statute_terms(provisions: list[str], registry: Registry) -> list[str]:
    """Names of the statutes behind canonical ids, so "lagen (2013:460)" also finds "kameraövervakningslagen"."""
    terms: list[str] = []
    for canonical in provisions:
        statute = registry.statute(canonical)
        if statute is not None:
            terms += [*statute.short_names[:1], *statute.abbreviations[:1]]
    return terms


def _glossary_terms(text: str, registry: Registry) -> list[str]:
    """Swedish equivalents of English glossary terms, longest phrase first ("camera surveillance" before "camera")."""
    glossary = _glossary(registry)
    longest = max((len(k.split()) for k in glossary), default=0)
    words = _ENGLISH_WORD.findall(text.lower())
    terms: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            phrase = words[i : i + n]
            hit = next((glossary[k] for k in _phrase_forms(phrase) if k in glossary), None)
            if hit:
                terms += hit
                i += n
                break
        else:
            i += 1
    return terms


def _reverse_glossary_terms(text: str, registry: Registry) -> list[str]:
    """English glossary terms for the Swedish words of `text` ("drogtesta" -> "drug test").

    A Swedish word matches a glossary rendering it equals or inflects: the rendering plus an
    ending of at most three letters ("anställda", "arbetsgivaren", "övervakningen").
    """
    reverse = _reverse_glossary(registry)
    folded = " ".join(_SWEDISH_WORD.findall(text.casefold()))
    terms: list[str] = []
    for phrase, english in reverse.items():  # multi-word renderings first: "allmänna handlingar"
        if " " in phrase and f" {phrase} " in f" {folded} ":
            terms += english
    for word in _SWEDISH_WORD.findall(text.casefold()):
        english = reverse.get(word)
        if english is None:
            for cut in range(1, 4):
                stem = word[:-cut]
                if len(stem) >= 5 and stem in reverse:
                    english = reverse[stem]
                    break
        if english:
            terms += english
    return list(dict.fromkeys(terms))


def _phrase_forms(words: list[str]) -> list[str]:
    """The phrase, and the phrase with its last word's plural or possessive ending removed."""
    head = " ".join(words[:-1])
    forms = []
    for last in _singulars(words[-1]):
        forms.append(f"{head} {last}" if head else last)
    return forms


def _singulars(word: str) -> list[str]:
    forms = [word]
    if word.endswith("'s"):
        word = word[:-2]
        forms.append(word)
    if word.endswith("ies") and len(word) > 4:
        forms.append(word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        forms.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        forms.append(word[:-1])
    return forms


def _new_words(text: str, terms: list[str]) -> list[str]:
    """Terms whose words are not yet in `text` or in an earlier term; multi-word terms keep their new words."""
    seen = {w.casefold() for w in re.findall(r"[\w:-]+", text)}
    result: list[str] = []
    for term in terms:
        words = term.split()
        for word in words:
            key = word.casefold()
            if key not in seen and not (len(words) > 1 and key in _GENERIC_WORDS):
                seen.add(key)
                result.append(word)
    return result


@functools.lru_cache(maxsize=8)
def _alias_matcher(registry: Registry) -> tuple[re.Pattern, dict[str, list[str]]]:
    """One expression for every alias key; short abbreviations only in their written case."""
    aliases = registry.aliases()
    written = {a.casefold(): a for a in registry.abbreviations()}
    alternatives = []
    for key in aliases:
        if key in written and len(key) < _CASE_FREE_ABBREVIATION:
            alternatives.append((key, re.escape(written[key])))
        else:
            alternatives.append((key, "(?i:" + r"\s+".join(re.escape(w) for w in key.split()) + ")"))
    alternatives.sort(key=lambda pair: -len(pair[0]))
    body = "|".join(regex for _, regex in alternatives)
    # Genitive endings ("Datainspektionens", "IMY:s") still name the authority.
    return re.compile(rf"(?<![\w-])(?P<name>{body})(?:s|:s)?(?![\w-])"), aliases


@functools.lru_cache(maxsize=8)
def _glossary(registry: Registry) -> dict[str, list[str]]:
    return registry.glossary()


@functools.lru_cache(maxsize=8)
def _reverse_glossary(registry: Registry) -> dict[str, list[str]]:
    """Swedish rendering (case-folded) -> the English terms it renders, shortest first."""
    reverse: dict[str, list[str]] = {}
    for english, swedish in registry.glossary().items():
        for term in swedish:
            if term.strip():
                reverse.setdefault(term.casefold(), []).append(english)
    return {k: sorted(v, key=len)[:2] for k, v in reverse.items()}
