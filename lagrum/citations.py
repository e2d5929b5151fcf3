"""Citations of retrieved passages, and which sentences of a passage may be quoted.

A citation is one numbered source of an answer: the hit's document, chunk and metadata and a
verbatim `quote` with its `start`/`end` offsets into the document's canonical text. The
extractive composer (`lagrum.answer`), the generative one (`lagrum.generative`) and the status
notes that cite a later ruling (`lagrum.legal.status`) all build citations and pick quotable
sentences the same way, so those pieces live here, below all three.

>>> _quotable("Dela artikeln:")
False
"""

from __future__ import annotations

import re
from typing import Any

from lagrum.retrieval import Hit

MIN_QUOTE_CHARS = 25
MAX_QUOTE_CHARS = 600

_SENTENCE_END = re.compile(r"[.!?…][”\"’»)]*$")
# A lettered point of a provision ("a) behandlingen är nödvändig ...", "b) ..."): it opens in lower case.
LETTERED_POINT = re.compile(r"\s*[a-zåäö]{1,3}\)\s")
_STATEMENT_LINE_END = re.compile(r"[.!?…:;][”\"’»)]*$")
# A line of a ruling's head naming a party or counsel ("Ombud och målsägandebiträde för 1–4: Advokat
# H.W.", "Motpart", "Adress som ovan"): the head of a ruling, never a statement about the matter.
_PARTY_LINE = re.compile(
    r"^\s*(?:(?:ombud|motpart(?:er)?|klagande|sökande|tilltalad|offentlig försvarare|målsägande(?:biträde)?|särskild företrädare)"
    r"(?:\s+(?:och|för|i)\s+[\w\s–-]{1,40}?)?\s*(?::|$)|adress som ovan\b)",
    re.IGNORECASE | re.MULTILINE,
)
# A quote opening inside a list of references ("21, NJA 2020 s. 717 och HFD 2025 not."): a number and a comma.
_REFERENCE_TAIL = re.compile(r"\s*\d{1,4},\s+(?:NJA|HFD|RÅ|AD|MÖD|MD|RH|NJA II|prop\.|SOU|Ds|JO|EU:C|C-\d)")
# A line holding a date alone ("22 november 2023", "2023-11-22"): a PDF's front matter or running head.
_DATE_LINE = re.compile(
    r"\s*(?:\d{1,2}\s+(?:januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december"
    r"|january|february|march|may|june|july|august|october)\s+\d{4}|\d{4}-\d{2}-\d{2})\s*\n",
    re.IGNORECASE,
)


def citation_from_hit(n: int, hit: Hit, start: int, end: int, quote: str) -> dict[str, Any]:
    return {
        "n": n,
        "doc_id": hit.doc_id,
        "chunk_id": hit.chunk_id,
        "title": hit.title,
        "date": hit.date,
        "doc_type": hit.doc_type,
        "source": hit.source,
        "url": hit.url,
        "quote": quote,
        "start": start,
        "end": end,
        "score": round(hit.score, 6),
        "provision": None,  # a statute's section or an EU article, set by the answer composer
    }


def _sentences_of(hit: Hit) -> list[tuple[int, int]]:
    """Sentence spans of a hit, as offsets into the document's text."""
    from lagrum.text import split_sentences

    return [(hit.start + s, hit.start + e) for s, e in split_sentences(hit.text)]


# A sentence opening with one of these words points at something said before it ("Han", "Då",
# "Därför"; "They", "Then", "However"): out of its article it says nothing on its own.
_REFERRING_OPENERS = frozenset(
    "han hon hans hennes deras då dit därför därmed dessutom också men och samtidigt istället annars alltså ändå "
    "he she they them his her their then but and also however therefore thus moreover"
    .split()
)
# These refer back only as a subject followed by a verb ("Det är olagligt.", "Detta innebär att",
# "This means"); before a noun or adjective they are articles or determiners ("De anställda",
# "Det överklagade beslutet", "Denna lag", "This Regulation") and the sentence names its subject.
_PRONOUNS = frozenset("det den de dessa detta denna it this that these those".split())
_FINITE_VERBS = frozenset(
    "är var blir blev har hade ska skall skulle kan kunde får fick måste bör gäller innebär innebar betyder visar "
    "is was are were has have had will would may must can could should means meant does did shows"
    .split()
)
# In a news item or a press release a sentence in the first person is an interviewee's line ("Vi
# sitter bara och svarar på samtal."), whose speaker is named elsewhere. In a decision or a ruling
# the first person is the deciding authority itself ("Jag delar helt försäkringskassans mening",
# the Ombudsman), and a debate article's "vi" are its named authors: those stand.
_FIRST_PERSON = frozenset("jag vi we".split())  # not "I": in Swedish it opens "I beslutet ..."
_REPORTED_TYPES = frozenset(("nyhet", "pressmeddelande"))
_SUBORDINATORS = frozenset("om när eftersom medan fast trots if when because since although while once".split())
_SUBJECT_PRONOUNS = frozenset("han hon de he she they".split())
# "Det är inte tillåtet att ...", "It is unlawful to ...": the pronoun is a placeholder for the
# clause that follows in the same sentence, not a reference to an earlier one.
_EXPLETIVE = {
    "det": re.compile(r"^det\s+(?:är|var|blir|blev|har|hade|ska|skall|kan|får|måste|bör)\b.*\b(?:att|som|om)\b", re.IGNORECASE | re.DOTALL),
    "it": re.compile(r"^it\s+(?:is|was|has|had|will|would|may|must|can|could|should)\b.*\b(?:to|that|whether)\b", re.IGNORECASE | re.DOTALL),
}
_DIALOGUE = re.compile(r"^[–—-]\s")
_WORDS = re.compile(r"[\wÅÄÖåäö]+")


def needs_context(text: str, doc_type: str | None = None) -> str | None:
    """Why `text` cannot be quoted on its own, or None when it stands alone.

    A quote must be a complete statement that makes sense out of its article: not a line of
    dialogue whose subject is elsewhere, not a question, and not a sentence opening with a word
    that refers back ("Det", "Då", "Han", "It", "Then"), unless that word only
    announces the clause that follows ("Det är inte tillåtet att ...", "It is unlawful to ...").
    In news items and press releases (`doc_type`) a sentence in the first person is a speaker's
    line ("speaker"). The reasons are "dialogue", "question", "speaker" and "reference"; a sentence needing the one before it
    may still be quoted together with that one (see `lagrum.answer`).

    >>> needs_context("– Då får vi givetvis fundera på hur vi ska göra.")
    'reference'
    >>> needs_context("– Lagen förbjuder arbetsgivaren att vidta repressalier.") is None
    True
    >>> needs_context("Det är inte tillåtet att filma de anställda hela arbetsdagen.") is None
    True
    >>> needs_context("Han överklagade beslutet till förvaltningsrätten.")
    'reference'
    >>> needs_context("Om de har annat uppe på sin skärm, exempelvis mejl, så syns det inte.")
    'reference'
    >>> needs_context("Det överklagade beslutet ska därför upphävas.") is None
    True
    """
    stripped = text.strip()
    if _DIALOGUE.match(stripped):
        # A line of dialogue: quotable when what is said names its own subject ("– Lagen förbjuder
        # arbetsgivaren att ..."), not when it leans on what was said before ("– Då får vi ...").
        return needs_context(stripped[1:], doc_type)
    if stripped.rstrip("”\"’»)").endswith("?"):
        return "question"
    words = _WORDS.findall(stripped[:80])
    if not words:
        return None
    first = words[0].casefold()
    if doc_type in _REPORTED_TYPES and first in _FIRST_PERSON:
        return "speaker"
    if first in _REFERRING_OPENERS:
        return "reference"
    if first in _SUBORDINATORS and len(words) > 2 and words[1].casefold() in _SUBJECT_PRONOUNS:
        # "Om de har annat uppe på sin skärm ...", "When they asked ...": who "de" are is elsewhere.
        if words[1].casefold() not in _PRONOUNS or words[2].casefold() in _FINITE_VERBS:
            return "reference"
    if first in _PRONOUNS and len(words) > 1 and words[1].casefold() in _FINITE_VERBS:
        expletive = _EXPLETIVE.get(first)
        if expletive is not None and expletive.search(stripped[stripped.casefold().index(first) :]):
            return None
        return "reference"
    return None


# A dashed or bulleted list item opening in lower case: the rest of the sentence that introduced
# the list ("... genom att arbetstagaren\n– växlar till annat arbete, eller\n– får tillräckliga
# raster"), never a statement of its own. A speaker's line ("– Då får vi ...") opens in upper case.
_CONTINUED_ITEM = re.compile(r"^[–—•\-*]\s*[a-zåäöéü]")


def _quotable(text: str, max_chars: int = MAX_QUOTE_CHARS) -> bool:
    from lagrum.cleaning import CONTACT_DETAILS
    from lagrum.text import is_boilerplate_line

    stripped = text.strip()
    if len(stripped) < MIN_QUOTE_CHARS or len(stripped) > max_chars:
        return False
    if not _SENTENCE_END.search(stripped) and "\n" not in stripped:
        return False  # a heading or a caption, not a statement
    if not any(_STATEMENT_LINE_END.search(line.rstrip()) for line in stripped.splitlines()):
        return False  # a block of heading lines ("Mål nr / meddelat i Stockholm den …"), or a sentence cut off
    opening = stripped
    while date_line := _DATE_LINE.match(opening):  # what follows a date line alone is where the statement opens
        opening = opening[date_line.end() :].lstrip()
    if opening[:1].islower() and not LETTERED_POINT.match(opening):
        return False  # the rest of a sentence the layout cut (a PDF's running head, a wrapped line)
    if _CONTINUED_ITEM.match(opening):
        return False  # a dashed list item that goes on the sentence above it ("genom att arbetstagaren / – får ...")
    if _PARTY_LINE.search(stripped) or _REFERENCE_TAIL.match(stripped):
        return False  # a ruling's head (parties, counsel), or the tail of a list of references
    if CONTACT_DETAILS.search(stripped):
        return False  # an address, an e-mail, a reply instruction: a letter's furniture
    return not any(is_boilerplate_line(line) for line in stripped.splitlines() if line.strip())
