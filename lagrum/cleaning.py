"""Canonical text: normalised whitespace and no web boilerplate.

Every chunk offset and every quoted passage points into the text `clean_text` returns, so
it must be stable (same input, same output) and must not contain the page furniture of
news sites — subscription prompts, navigation, share buttons, newsletter prompts, comment
policies, "read also" teasers, opinion disclaimers, tag lists, photo captions — which
would otherwise end up quoted as if it were part of a ruling or an article.

The rules are data (the tuples and patterns below); each is general web boilerplate,
not tuned to one site. Two kinds of rule exist:

* line rules (`is_boilerplate_line`) judge one line on its own; the answer layer uses the
  same function to refuse a quote that contains boilerplate;
* context rules (in `clean_text`) need neighbouring lines: the teaser lines after a
  "Läs också" heading, consecutive duplicate lines, and pull quotes that repeat a
  sentence of the body.

>>> clean_text("Domen meddelades.\\r\\n\\r\\n\\r\\n\\r\\nPrenumerera\\nTill toppen av sidan\\nSkälen följer.  ")
'Domen meddelades.\\n\\nSkälen följer.'
>>> is_boilerplate_line("Dela artikeln:")
True
"""

from __future__ import annotations

import re
import unicodedata

from lagrum.language import ENGLISH_WORDS, SWEDISH_WORDS

# Whole lines that are navigation, subscription, share or newsletter furniture.
# Compared case-insensitively after trimming trailing ":", ".", "›", "»" and spaces.
NAVIGATION_LINES = frozenset(
    s.lower()
    for s in (
        # subscription
        "Prenumerera", "Prenumerera nu", "Starta din prenumeration", "Få hela storyn",
        "Bli prenumerant", "Köp prenumeration", "Subscribe", "Subscribe now", "Subscribe today",
        # navigation
        "Till toppen av sidan", "Till toppen", "Tillbaka till toppen", "Stäng", "Stäng meny",
        "Öppna meny", "Ändra marknad", "Leverantörer", "Meny", "Sök", "Logga in", "Logga ut",
        "Hoppa till innehåll", "Hoppa till huvudinnehållet", "Gå till innehåll", "Visa fler",
        "Visa mer", "Ladda fler", "Back to top", "Skip to content", "Skip to main content",
        "Menu", "Search", "Log in", "Sign in", "Log out", "Close", "Show more", "Load more",
        # share
        "Dela", "Dela artikeln", "Dela sidan", "Dela på Facebook", "Dela på Twitter", "Dela på X",
        "Dela på LinkedIn", "Dela via e-post", "Kopiera länk", "Skriv ut", "Share",
        "Share this", "Share this article", "Share on Facebook", "Share on Twitter",
        "Share on LinkedIn", "Copy link", "Tweet", "Print", "Email",
        # newsletter, comments, ads
        "Välj nyhetsbrev", "Prenumerera på nyhetsbrev", "Sign up for our newsletter",
        "Subscribe to our newsletter", "Kommentera", "Kommentarer", "Skriv en kommentar",
        "Comments", "Leave a comment", "Annons", "Annonsera", "Advertisement", "Sponsored",
        "Acceptera cookies", "Accept cookies", "Cookie settings", "Cookieinställningar",
    )
)
# Lines that open a block of teasers or tags: the heading and the short lines after it go.
BLOCK_HEADINGS = frozenset(
    s.lower()
    for s in (
        "Du kanske också är intresserad av", "Du kanske också gillar", "Läs också", "Läs även",
        "Läs mer", "Relaterade artiklar", "Relaterat", "Mer om ämnet", "Fler artiklar",
        "Mest läst", "Senaste nytt", "Ämnen i artikeln", "Ämnen", "Taggar",
        "Related articles", "Related", "Read more", "Read also", "You may also like",
        "More on this topic", "Most read", "Latest news", "Tags", "Topics",
    )
)
# Line openings that mark the whole line as furniture (case-insensitive regexes).
BOILERPLATE_PREFIXES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^(Foto|Bild|Fotograf|Photo|Image|Illustration|Grafik)\s*:",
        r"^(Porträttbild|Pressbild|Arkivbild|Photo by|Image by|Image credit)\b",
        r"^Dela (artikeln|sidan|på \w+)\b",
        r"^Share (this|on \w+)\b",
        r"^(Läs också|Läs även|Läs mer|Read more|Read also|Related)\s*:",
        r"^(Ämnen i artikeln|Taggar|Tags|Topics)\s*:",
        r"^(Publicerad|Uppdaterad|Senast uppdaterad|Published|Updated|Last updated)\s*:",
        r"^Nyhetsbreven? som ger dig\b",
        r"^(Prenumerera på|Prenumerera för|Registrera dig för (vårt|våra) nyhetsbrev|Få (vårt|våra) nyhetsbrev)",
        r"^(Sign up for|Subscribe to|Already a subscriber|Redan prenumerant)",
        r"^Det här är (ett )?opinionsmaterial",
        r"^Åsikterna som uttrycks (här|i texten) står",
        r"^(This is an opinion piece|The views expressed (here|in this (article|piece)) are)",
        r"^(Vi använder cookies|Den här webbplatsen använder cookies|We use cookies|This (web)?site uses cookies)",
    )
)
# Letterheads and page furniture of authorities' and courts' documents (PDF text): contact
# blocks, page numbers, document ids. Whole lines only; the same text inside a sentence stays.
LETTERHEAD_LINES = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^Postadress\b.*\b(Telefon|Webbplats|E-post|Besöksadress)\b",
        r"^(Besöksadress|Telefon|Webbplats|E-post)\s*:?\s.*\b(Telefon|Webbplats|E-post|Postadress)\b",
        r"^(Sida?|Page)\s+\d+\s*(\((av\s+|of\s+)?\d+\)|(av|of)\s+\d+)?$",
        r"^\d{1,3}\s?\(\d{1,3}\)$",
        r"^Dok\.?\s?Id:?\s*\d+$",
        r"^Om ni har frågor om ärendet,? (kan ni )?kontakta\b.*@",
        r"^(Integritetsskyddsmyndigheten|Datainspektionen)\s+Diarienummer:.*\d{1,3}\s?\(\d{1,3}\)",
        r"^(Telefon|Tel|Telefax|Fax|Växel)\.?:?\s*\+?\d[\d\s()-]{5,}\d$",
        r"^E-post:?\s*\S+@\S+\.\w{2,}$",
        r"^www\s?\.\s?\S+\.\s?\w{2,}$",
    )
)
# Contact details inside a sentence of a letter ("Det går också att skicka era svar till:
# Integritetsskyddsmyndigheten, Box 8114, 104 20 Stockholm.", a letterhead run into the first line,
# "Ange IMY-2026-4550 när ni svarar.", a web address, a "Kopia till:" line): kept in the text,
# never quoted as evidence.
CONTACT_DETAILS = re.compile(
    r"\bBox \d{1,5}\b|(?<!\d)\d{3} ?\d{2} [A-ZÅÄÖ][a-zåäö]+(?![\w-])|[\w.+-]+@[\w-]+\.\w{2,}|\bAnge [A-ZÅÄÖ]{2,5}-\d{4}-\d+ när ni svarar\b|\bhttps?://\S+|(?:^|\s)Kopia till\s*:"
    # A letter's reply instruction: "Vänligen svara senast den 1 april 2026.", "Svara skriftligt till IMY senast den ...".
    r"|\b[Ss]vara (?:skriftligt )?(?:till [A-ZÅÄÖ]{2,5} )?senast den\b"
)
# Phrases that mark the whole line wherever they occur: comment policies and the like.
# Specific enough never to occur in legal text.
BOILERPLATE_PHRASES = tuple(
    p.lower()
    for p in (
        "Innehållet i detta fält är privat",
        "godkänner jag att mitt inlägg",
        "Redaktionen förbehåller sig rätten",
        "publicerar inte inlägg som",
        "Your email address will not be published",
        "Required fields are marked",
        "By clicking \"Submit\"",
        "Comments are moderated",
    )
)
# A section kicker glued to a date, as news sites print it: "SÅ GICK DET2020-06-09".
KICKER_WITH_DATE = re.compile(r"^[A-ZÅÄÖ][A-ZÅÄÖ &/-]{2,}\s*\d{4}-\d{2}-\d{2}$")
# A tag list glued into one word: "MyndigheterFackföreningarTjänstemän".
GLUED_TAGS = re.compile(r"^(?:[A-ZÅÄÖ][a-zåäöéü]+){3,}$")
# Captions naming a person and a role: "Pär Axelsson, vice ordförande för Sekos fackklubb på Telia."
_NAME_WORD = r"[A-ZÅÄÖÉÜ][a-zåäöéüøæ']+(?:-[A-ZÅÄÖÉÜ][a-zåäöéüøæ']+)?"
_PARTICLE = r"(?:af|av|von|van|der|den|de|del|della|la|di|da|le|du)"
PERSON_WITH_ROLE = re.compile(
    rf"^(?P<name>{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD}){{1,3}}),\s+(?P<role>[^,.!?]+)\.?$"
)
ROLE_WORD_ENDINGS = (
    "chef", "direktör", "ordförande", "handläggare", "jurist", "ombud", "sekreterare",
    "minister", "ansvarig", "ledare", "talesperson", "expert", "forskare", "advokat",
    "professor", "domare", "rådman", "redaktör", "reporter", "journalist", "skribent",
    "ledamot", "anställd", "medarbetare", "grundare", "vd", "strateg", "utredare",
    "analytiker", "samordnare", "inspektör", "specialist", "rådgivare", "kommunikatör",
    "företrädare", "representant", "politiker", "råd", "docent", "lektor",
    "ceo", "director", "manager", "spokesperson", "spokeswoman", "spokesman", "chair",
    "chairman", "chairwoman", "president", "officer", "editor", "lawyer", "attorney",
    "counsel", "head", "founder", "researcher", "lecturer", "judge", "commissioner", "secretary",
)
# Words that make a "Name, ..." line a clause of running text rather than a caption.
_CLAUSE_WORDS = frozenset(
    "som är var har hade säger sade sa menar skriver anser tror att och men eftersom "
    "who is was has had says said writes thinks that and but because".split()
)
_CAPTION_MAX_WORDS = 20
# A teaser or tag line after a block heading is short; a real paragraph is not.
_TEASER_MAX_WORDS = 14
_TEASER_BLOCK_MAX_LINES = 12
# Pull quotes: one-line paragraphs of this many words that recur inside a longer paragraph.
_PULL_QUOTE_MIN_WORDS = 6
_PULL_QUOTE_MAX_WORDS = 40

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_LINE_BREAKS = re.compile(r"\r\n?|[\f\v\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_BLANK_RUNS = re.compile(r"\n{3,}")
_TRIM_FOR_COMPARE = " \t:.›»|–-"
_SENTENCE_END = re.compile(r"[.!?…][”\"’»)]*$")
_NORMALISE_WORDS = re.compile(r"[^\w]+")


def clean_text(text: str, pull_quotes: bool = True) -> str:
    """Return the canonical text of `text`: normalised whitespace, no web boilerplate.

    Newlines become "\\n", spaces are collapsed, zero-width characters and soft hyphens go,
    paragraphs are separated by exactly one blank line, and lines that are boilerplate
    (see the module docstring) are removed.

    :param pull_quotes: remove one-line paragraphs that repeat a sentence of a longer one
        (news pull quotes); pass False for legal documents, where a ruling's operative part
        or a statute's wording is repeated on purpose and must not be lost.

    >>> clean_text("Rubrik\\n\\nFoto: Anna Berg\\nText.\\nText.")
    'Rubrik\\n\\nText.'
    """
    lines = _normalise(text).split("\n")
    lines = _drop_boilerplate_lines(lines)
    paragraphs = _paragraphs(lines)
    if pull_quotes:
        paragraphs = _drop_pull_quotes(paragraphs)
    return "\n\n".join(paragraphs).strip()


def is_boilerplate_line(line: str) -> bool:
    """Tell whether one line is web furniture that must never be quoted as content.

    >>> is_boilerplate_line("Till toppen av sidan")
    True
    >>> is_boilerplate_line("Datainspektionen förelägger Försäkringskassan att upphöra.")
    False
    """
    stripped = _SPACES.sub(" ", line).strip()
    if not stripped:
        return False
    key = stripped.strip(_TRIM_FOR_COMPARE).lower()
    if key in NAVIGATION_LINES or key in BLOCK_HEADINGS:
        return True
    if any(p.search(stripped) for p in BOILERPLATE_PREFIXES):
        return True
    lowered = stripped.lower()
    if any(phrase in lowered for phrase in BOILERPLATE_PHRASES):
        return True
    if any(p.search(stripped) for p in LETTERHEAD_LINES):
        return True
    if KICKER_WITH_DATE.match(stripped) or GLUED_TAGS.match(stripped):
        return True
    return _is_person_caption(stripped)


def _is_person_caption(line: str) -> bool:
    """A short "Name Surname, role" line: a photo caption or a quote attribution."""
    words = line.split()
    if len(words) > _CAPTION_MAX_WORDS:
        return False
    match = PERSON_WITH_ROLE.match(line)
    if not match:
        return False
    first_name_word = match.group("name").split()[0].lower()
    if first_name_word in SWEDISH_WORDS or first_name_word in ENGLISH_WORDS:
        return False  # "Enligt Irene Krohn, ..." is running text, not a caption
    role_words = [w.strip("()").lower() for w in match.group("role").split()]
    if any(w in _CLAUSE_WORDS for w in role_words):
        return False
    return any(w.endswith(ROLE_WORD_ENDINGS) for w in role_words)


def _normalise(text: str) -> str:
    """Unicode NFC, "\\n" newlines, single spaces, no zero-width or control characters."""
    text = unicodedata.normalize("NFC", text)
    text = _LINE_BREAKS.sub("\n", text).translate(_ZERO_WIDTH)
    text = _CONTROL.sub("", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines)


def _drop_boilerplate_lines(lines: list[str]) -> list[str]:
    """Remove boilerplate lines, teaser blocks after block headings, and repeated lines."""
    kept: list[str] = []
    previous = ""
    teaser_lines_left = 0
    for line in lines:
        if not line:
            kept.append(line)
            continue
        if is_boilerplate_line(line):
            if line.strip(_TRIM_FOR_COMPARE).lower() in BLOCK_HEADINGS:
                teaser_lines_left = _TEASER_BLOCK_MAX_LINES
            continue
        if teaser_lines_left:
            if _is_teaser(line):
                teaser_lines_left -= 1
                continue
            teaser_lines_left = 0
        if line == previous:
            continue  # the same line printed twice, e.g. a repeated dateline
        kept.append(line)
        previous = line
    return kept


def _is_teaser(line: str) -> bool:
    """A short headline-like line, as listed under "Läs också"; not a real paragraph."""
    words = len(line.split())
    if words > _TEASER_MAX_WORDS:
        return False
    return not (words >= 8 and _SENTENCE_END.search(line))


def _paragraphs(lines: list[str]) -> list[str]:
    """Group lines into paragraphs at blank lines."""
    text = _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()
    return [p for p in text.split("\n\n") if p.strip()] if text else []


def _drop_pull_quotes(paragraphs: list[str]) -> list[str]:
    """Remove one-line paragraphs that repeat, word for word, part of a longer paragraph."""
    candidates: dict[int, str] = {}
    for i, paragraph in enumerate(paragraphs):
        if "\n" in paragraph or not _SENTENCE_END.search(paragraph):
            continue
        words = _word_key(paragraph)
        if _PULL_QUOTE_MIN_WORDS <= words.count(" ") - 1 <= _PULL_QUOTE_MAX_WORDS:
            candidates[i] = words
    if not candidates:
        return paragraphs
    # Index candidates by their first three words so each paragraph is scanned once.
    by_opening: dict[str, list[int]] = {}
    for i, words in candidates.items():
        by_opening.setdefault(" ".join(words.split()[:3]), []).append(i)
    duplicates: set[int] = set()
    for j, paragraph in enumerate(paragraphs):
        words = _word_key(paragraph)
        tokens = words.split()
        for k in range(len(tokens) - 2):
            for i in by_opening.get(f"{tokens[k]} {tokens[k + 1]} {tokens[k + 2]}", ()):
                if i != j and i not in duplicates and len(words) > len(candidates[i]) and candidates[i] in words:
                    duplicates.add(i)
    return [p for i, p in enumerate(paragraphs) if i not in duplicates]


def _word_key(text: str) -> str:
    """Lower-cased words separated by single spaces, padded so `in` matches whole words."""
    return f" {_NORMALISE_WORDS.sub(' ', text.lower()).strip()} "
