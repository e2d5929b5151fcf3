"""What a ruling decides about the decision it reviews, read from its head and its operative part.

Swedish courts name the decision under review once, in the head ("ÖVERKLAGAT AVGÖRANDE Svea
hovrätts dom 2024-06-24 i mål T 1299-22", "ÖVERKLAGAT BESLUT Datainspektionens beslut den 18
december 2015, dnr 388-2015"), and then decide on it in the operative part (DOMSLUT, BESLUT,
"Högsta förvaltningsdomstolens avgörande") with words that point back at it: "hovrättens
domslut", "det överklagade beslutet", "förhandsbeskedet", "underinstansernas avgöranden".
`operative_relations` reads those words:

* "upphäver", "undanröjer", "ändrar" (also "Med ändring av ..."), "bifaller överklagandet"
  (also "Med bifall till överklagandet") -> ``overturns``. A change ("ändrar hovrättens dom på
  det sättet att ...") counts as overturning: the reviewed ruling no longer stands as it was.
* "fastställer", "avslår överklagandet", "Överklagandet avslås", "lämnar överklagandet utan
  bifall" -> ``upholds``.
* "meddelar inte prövningstillstånd", "avvisar överklagandet", "... står därmed fast" ->
  ``upholds`` with ``basis: "not_tried"``: the higher court did not try the matter, so the
  lower ruling stands exactly as if upheld (one relation type, so status and warnings need no
  third case; the basis says how it came to stand).
* "återförvisar", "visar målet åter", "målet återförvisas" -> ``remands`` (the case goes back
  for a new decision; target: the reviewed decision).

A reference resolves to the decision the head names (its court or authority matched by name,
"det överklagade", "underinstansernas", or a bare "beslutet"/"domen"/"avgörandet"), to an
identifier written in the operative part itself ("Byggnadsnämndens beslut (dnr 2018/449)"), or
to a lower instance named earlier in the text as ferenda's reports write them ("Kammarrätten i
Göteborg (2011-11-02, ...)"). Never to the document's own identifier. A party's claim ("yrkar
att beslutet ska upphävas") or a decision about something else ("avslår yrkandet om
förhandsavgörande", "avvisar BirdLifes yrkande") decides nothing about the reviewed decision.
One target gets one outcome: overturns wins over upholds ("ändrar ... Överklagandet i övrigt
avslås" changed the ruling).

>>> head = {"appealed": {"text": "Datainspektionens beslut den 18 december 2015, dnr 388-2015"},
...         "operative": "Förvaltningsrätten bifaller överklagandet och upphäver Datainspektionens beslut."}
>>> [(s["type"], s["target"]) for s in operative_relations(head, "")]
[('overturns', 'dnr 388-2015')]
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from lagrum.legal.appealed import _appealed  # the parser the court reader uses for the appealed line
from lagrum.legal.references import extract_references

OUTCOMES = ("overturns", "upholds", "remands")
_STRENGTH = {"overturns": 3, "remands": 2, "upholds": 1}

_APPEALED_LABEL = re.compile(r"^\s*ÖVERKLAGA(?:T|D|DE) (?:AVGÖRANDEN?|BESLUT|DOM(?:AR)?)\s*$", re.MULTILINE)
_APPEALED_INLINE = re.compile(r"^\s*Överklaga(?:t|de) (?:avgörande(?:t|n)?|beslut(?:et)?|dom(?:en)?)\s*:\s*(.+)$", re.MULTILINE | re.IGNORECASE)
_OPERATIVE_LABEL = re.compile(
    r"^\s*(?:DOMSLUT|BESLUT|SLUTLIGT BESLUT|AVGÖRANDE|Domslut|Beslut|[A-ZÅÄÖ][\w -]*(?:domstolens|rättens|nämndens|domstolen) (?:avgörande|domslut|beslut))\.?\s*$",
    re.MULTILINE,
)
# ferenda's notices write the operative part inline: "- Högsta förvaltningsdomstolens avgörande. ..."
_OPERATIVE_INLINE = re.compile(r"(?:^|\s-\s)([A-ZÅÄÖ][\w -]*domstolens avgörande)\.\s+(.+?)(?=\s-\s\(|\n|$)", re.MULTILINE)
_CAPS_LINE = re.compile(r"^[A-ZÅÄÖÉ0-9 ,.:§()-]{4,}$")
_END_OF_OPERATIVE = re.compile(r"^(?:(?:Dom|Beslut) \d{4}-\d{2}-\d{2}\b|BILAGA|Bilaga\b|I avgörandet deltog|Ledamöter:|_{3,})")
# A lower instance as ferenda's reports name it: "Kammarrätten i Göteborg (2011-11-02, Nyström, ...)".
_INSTANCE = re.compile(r"\b((?:[A-ZÅÄÖ][\w-]*(?:rätten|domstolen|nämnden|inspektionen|myndigheten|verket|kassan|styrelsen)|Skatteverket)(?: i [A-ZÅÄÖ][\w-]+)?) \((\d{4}-\d{2}-\d{2})[ ,]")

# A passage's section label naming the operative part: "DOMSLUT", "Beslut", "IMY:s beslut",
# "Integritetsskyddsmyndighetens beslut", "Högsta förvaltningsdomstolens avgörande", "JO:s bedömning"
# is reasoning, not the operative part; "Skäl för beslutet" and "Beslut efter tillsyn" are not either.
_OPERATIVE_SECTION = re.compile(
    r"^\s*(?:domslut|beslut|slutligt beslut|avgörande|(?:[\wåäö:-]+\s+){0,3}[\wåäö]+(?:s|:s) (?:avgörande|domslut|beslut)"
    r"|decision|judgment|ruling|operative part|(?:[\w:-]+\s+){0,3}[\w]+(?:'s|’s|s') (?:decision|judgment|ruling)"
    # The decision in brief, as JO and IMY head it: what was decided, in the decision's own words.
    r"|beslutet i korthet|sammanfattning av beslutet|summary of the decision|the decision in brief)\s*[.:]?\s*$",
    re.IGNORECASE,
)


def is_operative_section(label: str | None) -> bool:
    """Whether a passage's section label (`Chunk.section`) names a decision's or ruling's operative part.

    >>> [is_operative_section(s) for s in ("DOMSLUT", "Integritetsskyddsmyndighetens beslut", "IMY:s beslut", "Skäl för beslutet", "Bakgrund")]
    [True, True, True, False, False]
    >>> is_operative_section("MARK- OCH MILJÖÖVERDOMSTOLENS DOMSLUT")  # a court whose name is hyphenated
    True
    >>> [is_operative_section(s) for s in ("IMY's decision", "Decision", "Summary of the decision", "Beslutet i korthet", "IMY's assessment")]
    [True, True, True, True, False]
    """
    return bool(label) and bool(_OPERATIVE_SECTION.match(label))


_NUMBER = r"((?:[A-ZÅÄÖ]{1,5}[ -])?\d[\w/.:-]*\d(?:/[A-Z])?)"
_LABELLED_NUMBER = re.compile(
    rf"\b(mål|ärende(?:na|t)?|ärendenr|ärendenummer|dnr|diarienr|diarienummer)(?:\s+nr)?\.?\s+{_NUMBER}(?:\s+och\s+{_NUMBER})?",
    re.IGNORECASE,
)

_DECISION_WORDS = r"(?:dom(?:en|ar|arna|slut(?:et)?)?|beslut(?:et|en)?|avgörande(?:t|n|na)?|förhandsbesked(?:et)?|sekretessförordnande(?:t|n|na)?|domslut(?:et)?)"
# Operative verbs, the relation they state, and what they act on.
_VERB = re.compile(
    r"(?P<overturn_with>[Mm]ed (?:ändring|upphävande|undanröjande) av\b)"
    r"|(?P<grant>[Mm]ed bifall till överklagande(?:t|na)\b|\bbifall(?:er|s)\s+överklagande(?:t|na)\b|\böverklagande(?:t|na)\s+bifalls\b)"
    r"|(?P<overturn>\b(?:upphäv(?:er|s)|undanröj(?:er|s)|ändr?ar)\b)"
    r"|(?P<uphold>\bfastställ(?:er|s)\b)"
    r"|(?P<reject>\b(?:avslår|lämnar)\s+(?P<rejected>överklagande(?:t|na)|\S+(?:\s+\S+){0,3}?\s+överklagande(?:t|n|na)?)\b|\böverklagande(?:t|na)\s+(?:(?:i\s+övrigt|i\s+den\s+delen)\s+)?avslås\b)"
    r"|(?P<not_tried>\bmeddelar\s+(?:\S+\s+){0,3}?inte\s+prövningstillstånd\b|\bavvisar\s+överklagande(?:t|na)\b|\böverklagande(?:t|na)\s+avvisas\b|\bstår\s+därmed\s+fast\b)"
    r"|(?P<remand>\båterförvis(?:ar|as)\b|\bvisar\s+(?:målet|ärendet)\s+åter\b)",
)
# A party's claim or a condition ("yrkar att beslutet ska upphävas"); the nouns ("avslår yrkandet")
# are what the court decides on, not hedges.
_HEDGE = re.compile(r"\b(?:yrkar|yrkat|yrkade|begär|begärt|begärde|hemställer|hemställt|anför|anfört|anförde|ifall|huruvida|ska|skall|bör)\b", re.IGNORECASE)
_DECISION_WORD = re.compile(r"\b" + _DECISION_WORDS + r"\b", re.IGNORECASE)


def _maker_of(opening: str) -> str | None:
    """The words naming who made a decision, before its first decision word: "mark- och miljödomstolens" dom."""
    word = _DECISION_WORD.search(opening)
    if word is None or word.start() == 0:
        return None
    maker = re.sub(r"^(?:det|den|de)\s+", "", opening[: word.start()].strip(), flags=re.IGNORECASE)
    if not maker or len(maker.split()) > 8 or not re.search(r"(?:s|en|na)$", maker):
        return None
    return maker
_BARE = re.compile(r"^\s*(?:det|den|de)?\s*(?:överklagade\s+)?" + _DECISION_WORDS + r"\b", re.IGNORECASE)


def head_from_text(text: str) -> dict[str, Any]:
    """The appealed decision and the operative part of a ruling read from its plain text.

    For documents no official reader structured (a ruling as .txt, .md or generic JSON, ferenda
    XHTML): the label lines "ÖVERKLAGAT BESLUT" / "ÖVERKLAGAT AVGÖRANDE" (or "Överklagade
    avgörandet: ..."), and the operative part under DOMSLUT / BESLUT / "Domslut" / "Högsta
    förvaltningsdomstolens avgörande", up to the next heading or the signatures.
    """
    head: dict[str, Any] = {}
    label = _APPEALED_LABEL.search(text)
    inline = _APPEALED_INLINE.search(text)
    if label:
        lines = []
        for line in text[label.end() :].lstrip("\n").split("\n"):
            if not line.strip() or _CAPS_LINE.match(line.strip()):
                break
            lines.append(line.strip())
        if lines:
            head["appealed"] = _appealed(" ".join(lines))
    elif inline:
        head["appealed"] = _appealed(inline.group(1).strip())
    operative = _operative_text(text, start=label.end() if label else 0)
    if operative:
        head["operative"] = operative
    return head


def _operative_text(text: str, start: int = 0) -> str:
    match = _OPERATIVE_LABEL.search(text, start)
    if match:
        out: list[str] = []
        for paragraph in re.split(r"\n", text[match.end() :].lstrip("\n")):
            line = paragraph.strip()
            if not line:
                if out and len(out) >= 6:
                    break
                continue
            if _CAPS_LINE.match(line) or _END_OF_OPERATIVE.match(line):
                break
            out.append(line)
        return "\n".join(out)
    inline = _OPERATIVE_INLINE.search(text, start)
    return inline.group(2).strip() if inline else ""


def operative_relations(
    head: dict[str, Any] | None,
    text: str,
    own: Iterable[str] = (),
    court: str = "",
) -> list[dict[str, Any]] | None:
    """What the operative part decides about the reviewed decision, or None when there is no operative part.

    Each statement is `{"type", "target", "trigger", "via": "operative", "start", "end"}` (and
    `basis: "not_tried"` for leave to appeal refused or an appeal dismissed); `start`/`end` are
    offsets of the operative sentence in `text` when it is found there, else None.

    :param head: the ruling's structured head (`appealed`, `operative`, `matter`), as the
        Domstolsverket reader writes it; None or {} to read it from `text` (`head_from_text`).
    :param text: the document's text.
    :param own: the document's own identifiers, never targets.
    :param court: the deciding court's name (its own instance is not a lower one).
    """
    head = dict(head or {})
    if not head.get("operative") or not head.get("appealed"):
        found = head_from_text(text)
        for key in ("appealed", "operative"):
            if not head.get(key) and found.get(key):
                head[key] = found[key]
    operative = str(head.get("operative") or "")
    if not operative and head.get("matter"):
        # A head without a DOMSLUT label: the operative sentence follows the matter's line.
        lines = str(head["matter"]).split("\n")
        operative = "\n".join(lines[1:]) if len(lines) > 1 else _after_matter(str(head["matter"]))
    if not operative.strip():
        return None
    excluded = {o.casefold() for o in own}
    appealed = head.get("appealed") or {}
    if appealed.get("text") and not appealed.get("court_or_authority"):
        appealed = {**_appealed(str(appealed["text"])), **{k: v for k, v in appealed.items() if v}}
    reviewed = [t for t in appealed_targets(appealed) if t.casefold() not in excluded]
    authority = str(appealed.get("court_or_authority") or "")
    instances = [(name, date) for name, date in _instances(text) if not court or not _same_body(name, court)]
    if not reviewed and instances:
        operative_at = text.find(operative[:60]) if operative else -1
        before = [i for i in _instances(text[: operative_at if operative_at > 0 else len(text)]) if not court or not _same_body(i[0], court)]
        if before:
            authority, reviewed = before[-1][0], [f"{before[-1][0]} {before[-1][1]}"]
    named = _named_decisions(text)
    if not reviewed:
        # No head names it: the decision the text says was appealed ("Försäkringskassan överklagade
        # Datainspektionens beslut den 18 december 2015 (dnr 388-2015)"), its maker from the named ones.
        from lagrum.legal.relations import detect_relation_statements

        appeal = next((st for st in detect_relation_statements(text, exclude=list(own)) if st["type"] == "appeals"), None)
        if appeal is not None:
            reviewed = [appeal["target"]]
            authority = authority or next((n for n, c in named if c == appeal["target"]), "")
    decided: dict[str, dict[str, Any]] = {}
    for sentence in _sentences(operative):
        for statement in _sentence_outcomes(sentence, reviewed, authority, instances, excluded, named):
            where = text.find(sentence)
            statement.update(start=where if where >= 0 else None, end=where + len(sentence) if where >= 0 else None)
            key = (statement["target"], statement["type"])
            decided.setdefault(f"{key[0]}\x00{key[1]}", statement)
    return one_outcome_per_target(list(decided.values()))


def _after_matter(matter: str) -> str:
    match = re.search(r"\b(?:[A-ZÅÄÖ][\w-]*\s+(?:och\s+)?)*?[\w-]*(?:domstolen|rätten|nämnden)\s+(?:upphäver|undanröjer|ändrar|fastställer|avslår|bifaller|avvisar|återförvisar|meddelar)\b.*", matter)
    return match.group(0) if match else ""


def appealed_targets(appealed: dict[str, Any]) -> list[str]:
    """Canonical ids of the reviewed decision: "mål T 1299-22", "dnr 388-2015", "dnr D-2025/0253".

    A decision without a number is named by its court or authority and date
    ("Kammarrätten i Göteborg 2011-11-02") so that the relation is still recorded.
    """
    text = str(appealed.get("text") or "")
    found = [r.canonical for r in extract_references(text) if r.kind in ("case", "dnr")]
    for match in _LABELLED_NUMBER.finditer(text):
        label = "mål" if match.group(1).lower() == "mål" else "dnr"
        for number in (match.group(2), match.group(3)):
            if number:
                number = re.sub(r"/[A-Z]$", "", number)
                if not any(number.split()[-1] in f for f in found):
                    found.append(f"{label} {number}")
    if not found and appealed.get("court_or_authority") and appealed.get("date"):
        found.append(f"{appealed['court_or_authority']} {appealed['date']}")
    return list(dict.fromkeys(found))


def one_outcome_per_target(statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop "upholds" where the same document also overturns the same target (the change wins)."""
    overturned = {s["target"].casefold() for s in statements if s["type"] == "overturns"}
    return [s for s in statements if not (s["type"] == "upholds" and s["target"].casefold() in overturned)]


def _sentences(operative: str) -> list[str]:
    parts: list[str] = []
    for line in operative.split("\n"):
        parts += [p.strip() for p in re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ0-9])", line) if p.strip()]
    return parts


def _sentence_outcomes(
    sentence: str,
    reviewed: list[str],
    authority: str,
    instances: list[tuple[str, str]],
    excluded: set[str],
    named_decisions: list[tuple[str, str]] = (),
) -> list[dict[str, Any]]:
    if sentence.endswith("?"):
        return []
    verbs = list(_VERB.finditer(sentence))
    out: list[dict[str, Any]] = []
    for i, verb in enumerate(verbs):
        if _HEDGE.search(sentence, 0, verb.start()):
            continue
        kind = verb.lastgroup if verb.lastgroup != "rejected" else "reject"
        for name in ("overturn_with", "grant", "overturn", "uphold", "reject", "not_tried", "remand"):
            if verb.group(name):
                kind = name
                break
        relation = {"overturn_with": "overturns", "grant": "overturns", "overturn": "overturns", "uphold": "upholds",
                    "reject": "upholds", "not_tried": "upholds", "remand": "remands"}[kind]
        extra: dict[str, Any] = {"basis": "not_tried"} if kind == "not_tried" else {}
        if kind == "reject" and verb.group("rejected") and not re.match(r"^överklagande", verb.group("rejected").split()[-1]):
            continue
        if kind in ("grant", "reject", "not_tried", "remand"):
            targets = list(reviewed)
        else:
            # Passive "undanröjs"/"fastställs": the object stands before the verb.
            passive = verb.group(0).endswith("s") and kind in ("overturn", "uphold")
            if passive:
                obj = sentence[verbs[i - 1].end() if i else 0 : verb.start()]
                obj_targets = _object_targets(obj, reviewed, authority, instances, excluded, anywhere=True, named_decisions=named_decisions)
                targets = [] if not obj_targets else obj_targets
            else:
                end = verbs[i + 1].start() if i + 1 < len(verbs) else len(sentence)
                targets = _object_targets(sentence[verb.end() : end], reviewed, authority, instances, excluded, named_decisions=named_decisions)
        for target in targets:
            out.append({"type": relation, "target": target, "trigger": verb.group(0), "via": "operative", "subject": None, **extra})
    return out


def _object_targets(
    obj: str,
    reviewed: list[str],
    authority: str,
    instances: list[tuple[str, str]],
    excluded: set[str],
    anywhere: bool = False,
    named_decisions: list[tuple[str, str]] = (),
) -> list[str]:
    """The decisions an operative verb acts on: the reviewed one named by its maker or definite form, plus written ids."""
    targets: list[str] = []
    opening = obj
    maker = _maker_of(opening)
    if maker:
        if re.search(r"\b(?:underinstans\w*|överklagade)\b", maker, re.IGNORECASE) or (authority and _same_body(maker, authority)):
            targets += reviewed
        else:
            match = next((f"{n} {d}" for n, d in reversed(instances) if _same_body(maker, n)), None)
            named = next((c for n, c in named_decisions if _same_body(maker, n) and c.casefold() not in excluded), None)
            if named:
                targets.append(named)
            elif match and not reviewed:
                targets.append(match)
            elif match and any(match == r for r in reviewed):
                targets.append(match)
    elif _BARE.match(opening) and not re.match(r"^\s*(?:\S+s\s+)?(?:yrkande|ansökan|talan)", opening):
        targets += reviewed
    for ref in extract_references(obj):
        if ref.kind in ("case", "dnr") and ref.canonical.casefold() not in excluded and ref.canonical not in targets:
            targets.append(ref.canonical)
    for match in _LABELLED_NUMBER.finditer(obj):
        label = "mål" if match.group(1).lower() == "mål" else "dnr"
        for number in (match.group(2), match.group(3)):
            if number and not any(number.split()[-1] in t for t in targets) and f"{label} {number}".casefold() not in excluded:
                targets.append(f"{label} {number}")
    return list(dict.fromkeys(targets))


def _base(name: str) -> str:
    """ "Kammarrättens" -> "kammarrätt", "Skatterättsnämnden" -> "skatterättsnämnd", "hovrätt" stays."""
    word = name.casefold().strip()
    word = re.sub(r"^(?:det|den|de)\s+", "", word)
    if word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("erna", "arna", "en", "et"):
        if word.endswith(suffix) and len(word) > len(suffix) + 4:
            return word[: -len(suffix)]
    return word


def _same_body(maker: str, name: str) -> bool:
    """Does the genitive `maker` ("hovrättens", "Mark- och miljööverdomstolens") name the body `name`?"""
    base = _base(maker)
    if len(base) < 4:
        return False
    parts = [p.strip().casefold() for p in name.split(",")]
    # "mark- och miljödomstol" must not match "mark- och miljööverdomstolen".
    return any(re.search(rf"(?<![\w-]){re.escape(base)}", part) for part in parts) or base == _base(name)


# "Datainspektionens beslut den 18 december 2015 (dnr 388-2015)": a decision named with its number in the text.
_NAMED_DECISION = re.compile(r"\b([A-ZÅÄÖ][\w-]*(?:\s+(?:i|och|för)\s+[\w-]+)*?s)\s+(?:beslut|dom|avgörande|förhandsbesked)\b([^.\n]{0,90})")


def _named_decisions(text: str) -> list[tuple[str, str]]:
    """(maker, canonical id) of decisions the text names with their number, in order."""
    found = []
    for match in _NAMED_DECISION.finditer(text):
        refs = [r for r in extract_references(match.group(2)) if r.kind in ("case", "dnr")]
        if refs:
            found.append((match.group(1), refs[0].canonical))
    return found


def _instances(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _INSTANCE.finditer(text)]
