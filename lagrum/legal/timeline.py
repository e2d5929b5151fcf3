"""Statutes over time: which wording of a section was in force on a date, and what changed it.

The data holds a statute's wordings in three shapes, and this module reads all of them from the
indexed documents (never from anything else), so every quote is `text[start:end]` of a stored
document's canonical text:

* a **base text** (`sfs-1999-175`, lagrummet/rinfo): the statute as issued. Its wording of a
  section is in force from the statute's entry into force until the first amendment that may
  have changed that section;
* **consolidated versions** (`sfs-1999-175-konsolidering-2011-05-02`, metadata `consolidates`):
  each section ends with the statute that last changed it ("Förordning (2000:80)."), so its
  wording is in force from that amendment's entry into force until at least the consolidation's
  date;
* **Regeringskansliet's statute JSON** (`sfs-1998-620`): the current consolidation, with the
  amendment register (`amendments`: which SFS changed which section, in force when) and a
  section printed in two wordings ("6 §" until 2026-03-01, "6 § (lydelse 2)" from then).

Amendments come from the statute JSON's register and from indexed amendment documents
(`sfs-2000-80`, relation `amends` "SFS 1999:175", `in_force_date`).

>>> text_as_of(service, "SFS 1999:175 14 §", "2000-01-01")["text"]  # doctest: +SKIP
'14 § Om det finns särskilda skäl får samordningsmyndigheten på begäran av den informationsansvariga myndigheten överta ansvaret.'
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from dataclasses import dataclass, field
from typing import Any

STATUTE_TYPES = ("lag", "förordning")
# "Lag (2020:1111)." / "Förordning (2010:1990)." closing a section of a consolidated text.
_LAST_CHANGE = re.compile(r"(?:Lag|Förordning|Kungörelse|Balk|Tillkännagivande|Grundlag)\s*\((\d{4}:\d+)\)\.?\s*$")
_SFS = re.compile(r"^SFS (\d{4}):(\d+)$")
_MONTHS = "januari februari mars april maj juni juli augusti september oktober november december".split()
_IN_FORCE_SENTENCE = re.compile(r"träder i kraft den (\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})", re.IGNORECASE)


def today() -> str:
    """The reference date for "now" (UTC)."""
    return _dt.datetime.now(_dt.timezone.utc).date().isoformat()


def sfs_key(sfs: str) -> tuple[int, int]:
    """`SFS 2000:80` or `2000:80` -> (2000, 80), for ordering amendments; (0, 0) when not an SFS number."""
    match = re.search(r"(\d{4}):(\d+)", sfs or "")
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _sfs(value: str) -> str:
    match = re.search(r"(\d{4}):(\d+)", value or "")
    return f"SFS {match.group(1)}:{int(match.group(2))}" if match else value


# --- the amendment register -----------------------------------------------------------------


def section_labels(changes: str) -> list[str]:
    """Section labels named by one part of a register note: "2, 6 §§" -> ["2 §", "6 §"];
    "1 kap. 2, 3 §§, 3 kap. 5 §" -> ["1 kap. 2 §", "1 kap. 3 §", "3 kap. 5 §"]; "4 a §" -> ["4 a §"].

    >>> section_labels("5, 6 §§, rubr. närmast före 5 §")
    ['5 §', '6 §']
    >>> section_labels("36 kap. 1 §; 2 kap. 3 a, 4 §§")
    ['36 kap. 1 §', '2 kap. 3 a §', '2 kap. 4 §']
    """
    return list(_section_labels(changes))


@functools.lru_cache(maxsize=16384)
def _section_labels(changes: str) -> tuple[str, ...]:
    """`section_labels`, read once per note: an answer citing a statute reads its register's notes
    for every cited section, and a statute such as OSL has hundreds of amendments."""
    labels: list[str] = []
    for part in re.split(r";", changes):
        if re.match(r"\s*(?:rubr|bil|övergångsbest)", part):
            continue
        chapter = ""
        # Walk "N kap." markers and "a, b §§" groups in order.
        for match in re.finditer(r"(\d+ ?[a-z]?) kap\.|((?:\d+ ?[a-z]?(?:\s*,\s*|\s+och\s+|\s*-\s*)?)+)\s*§§?|rubr\.[^,;]*", part):
            if match.group(1):
                chapter = f"{' '.join(match.group(1).split())} kap. "
                continue
            if not match.group(2):
                continue
            for number in re.findall(r"\d+(?: ?[a-z](?![a-zåäö]))?", match.group(2)):
                number = re.sub(r"(\d)([a-z])", r"\1 \2", number.strip())
                labels.append(f"{chapter}{number} §")
    return tuple(dict.fromkeys(labels))


@dataclass
class Amendment:
    sfs: str  # "SFS 2000:80"
    in_force: str | None = None
    changes: dict[str, str] = field(default_factory=dict)
    doc_id: str | None = None  # the indexed amendment document, when there is one
    title: str = ""

    def sections(self, kind: str | None = None) -> list[str]:
        """Labels of the sections this amendment changed (`kind`: amended, added, repealed)."""
        out: list[str] = []
        for what, text in self.changes.items():
            if kind is None or what == kind:
                out += section_labels(text)
        return out

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"sfs": self.sfs, "in_force": self.in_force}
        if self.changes:
            data["changes"] = self.changes
        if self.doc_id:
            data["doc_id"] = self.doc_id
        if self.title:
            data["title"] = self.title
        return data


def register_amendments(items: list[dict[str, Any]]) -> dict[str, Amendment]:
    """A statute reader's `amendments` ({sfs, in_force, changes, title}) as `Amendment`s by "SFS YYYY:N"."""
    out: dict[str, Amendment] = {}
    for item in items:
        number = _sfs(str(item.get("sfs", "")))
        out[number] = Amendment(number, item.get("in_force"), dict(item.get("changes") or {}), None, item.get("title", ""))
    return out


@dataclass
class Statute:
    """Everything the index holds about one statute's text over time."""

    sfs: str
    base: dict[str, Any] | None = None  # the base text's (or the statute JSON's) record
    consolidations: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    amendments: dict[str, Amendment] = field(default_factory=dict)
    repealed: str | None = None
    repealed_by: str | None = None
    successor: dict[str, Any] | None = None  # brief of an indexed document that repeals or replaces it
    in_force: str | None = None

    def ordered_amendments(self) -> list[Amendment]:
        return sorted(self.amendments.values(), key=lambda a: sfs_key(a.sfs))

    def amendment(self, sfs: str) -> Amendment | None:
        return self.amendments.get(_sfs(sfs))


def statute_of(service: Any, sfs: str) -> Statute | None:
    """The statute `SFS YYYY:N` as the index holds it; None when no document of it is indexed.

    Cached on the relation graph, so `service.invalidate()` after a write drops it too.
    """
    from lagrum.legal.graph import relation_graph

    graph = relation_graph(service)
    cache = graph.__dict__.setdefault("statutes", {})
    sfs = _sfs(sfs)
    if sfs not in cache:
        cache[sfs] = None  # a statute repealed by one that names it back must not recurse forever
        cache[sfs] = _build_statute(service, sfs)
    return cache[sfs]


def _records(service: Any) -> list[dict[str, Any]]:
    from lagrum.legal.graph import relation_graph

    graph = relation_graph(service)
    records = graph.__dict__.get("records")
    if records is None:
        records = [r for r in service.index.store.document_records() if r.get("state") == "complete"]
        graph.__dict__["records"] = records
    return records


def _extra(record: dict[str, Any]) -> dict[str, Any]:
    extra = record.get("extra")
    return extra if isinstance(extra, dict) else {}


def _build_statute(service: Any, sfs: str) -> Statute | None:
    match = _SFS.match(sfs)
    if not match:
        return None
    own_id = f"sfs-{match.group(1)}-{match.group(2)}"
    statute = Statute(sfs=sfs)
    found = False
    for record in _records(service):
        extra = _extra(record)
        if record["id"] == own_id:
            statute.base = record
            found = True
        elif _sfs(str(extra.get("consolidates") or "")) == sfs:
            statute.consolidations.append(record)
            found = True
        for relation in record.get("relations") or []:
            target = _sfs(relation.get("target", ""))
            if relation.get("type") == "amends" and target == sfs:
                number = _sfs(next((i for i in extra.get("identifiers") or [] if i.startswith("SFS ")), record["id"]))
                statute.amendments[number] = Amendment(
                    number, extra.get("in_force_date") or extra.get("in_force") or record.get("date"), {}, record["id"], record.get("title", "")
                )
            if relation.get("type") in ("repeals", "replaces") and target == sfs and record["id"] != own_id:
                statute.successor = {"doc_id": record["id"], "title": record.get("title", ""), "date": record.get("date"), "sfs": _own_sfs(record)}
    if not found:
        return None
    statute.consolidations.sort(key=lambda r: _consolidated_on(r) or "")
    if statute.base is not None:
        extra = _extra(statute.base)
        for number, amendment in register_amendments(extra.get("amendments") or []).items():  # the statute JSON's register
            known = statute.amendments.get(number)
            if known is not None:
                amendment.in_force = amendment.in_force or known.in_force
                amendment.doc_id, amendment.title = known.doc_id, amendment.title or known.title
            statute.amendments[number] = amendment
        statute.repealed = extra.get("repealed")
        statute.repealed_by = extra.get("repealed_by")
        statute.in_force = extra.get("in_force") or extra.get("in_force_date")
    for record in statute.consolidations:  # the consolidation basis names amendments without dates
        for number in _extra(record).get("consolidation_basis") or []:
            number = _sfs(number)
            if number != sfs and number not in statute.amendments:
                statute.amendments[number] = Amendment(number)
    if statute.in_force is None and statute.base is not None:
        statute.in_force = _in_force_from_text(service, statute.base["id"])
    if statute.successor is not None and statute.successor.get("sfs") and statute.successor["sfs"] != sfs:
        # Repealed by an indexed statute ("Genom denna förordning upphävs förordningen (1980:628)"):
        # repealed when that statute entered into force.
        statute.repealed_by = statute.repealed_by or statute.successor["sfs"]
        if statute.repealed is None:
            successor = statute_of(service, statute.successor["sfs"])
            statute.repealed = (successor.in_force if successor else None) or statute.successor.get("date")
    return statute


def _own_sfs(record: dict[str, Any]) -> str | None:
    return next((i for i in _extra(record).get("identifiers") or record.get("identifiers") or [] if _SFS.match(i)), None)


def _consolidated_on(record: dict[str, Any]) -> str | None:
    extra = _extra(record)
    return extra.get("published_date") or extra.get("issued_date") or record.get("date")


def _in_force_from_text(service: Any, doc_id: str) -> str | None:
    """ "Denna förordning träder i kraft den 1 maj 1999." in a base text's transitional provisions."""
    text = _text(service, doc_id)
    match = _IN_FORCE_SENTENCE.search(text or "")
    if not match:
        return None
    day, month, year = int(match.group(1)), _MONTHS.index(match.group(2).lower()) + 1, int(match.group(3))
    try:
        return _dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _text(service: Any, doc_id: str) -> str:
    from lagrum.legal.graph import relation_graph

    cache = relation_graph(service).__dict__.setdefault("texts", {})
    if doc_id not in cache:
        record = service.index.store.get_document(doc_id, with_text=True) or {}
        cache[doc_id] = record.get("text") or ""
    return cache[doc_id]


# --- wordings of one section -------------------------------------------------------------------


@dataclass
class Wording:
    """One wording of one section in one stored document, and the dates it is known to be in force."""

    doc_id: str
    label: str
    start: int
    end: int
    text: str
    kind: str  # base | consolidation | statute
    known_from: str | None  # in force from (None: from the statute's entry into force, date unknown)
    known_until: str | None  # stops applying on (exclusive); None: still in force as far as the data goes
    certain_until: str | None = None  # the last day the data vouches for (a consolidation's date)
    changed_by: str | None = None  # the SFS that gave the section this wording
    changed_in_force: str | None = None
    consolidated_on: str | None = None

    start_unknown: bool = False  # changed by an amendment whose entry into force the data lacks

    def holds_on(self, day: str) -> bool:
        if self.start_unknown and day < today():
            return False  # the current text applies now; since when, the data does not say
        if self.known_from is not None and day < self.known_from:
            return False
        if self.known_until is not None and day >= self.known_until:
            return False
        return True


def _statute_segments(service: Any, doc_id: str) -> list[Any]:
    """`lagrum.legal.segments.statute_segments` of a stored document's text, cached with the graph."""
    from lagrum.legal.segments import statute_segments
    from lagrum.legal.graph import relation_graph

    cache = relation_graph(service).__dict__.setdefault("segments", {})
    if doc_id not in cache:
        cache[doc_id] = statute_segments(_text(service, doc_id)) or []
    return cache[doc_id]


def _segments(service: Any, doc_id: str, label: str) -> list[tuple[str, int, int]]:
    """(label, start, end) of the segments of `doc_id` for section `label` and its later wordings."""
    text = _text(service, doc_id)
    out = []
    for segment in _statute_segments(service, doc_id):
        if segment.label == label or segment.label.startswith(f"{label} (lydelse "):
            start = _section_line(text, segment.start, segment.end, label)
            out.append((segment.label, start, segment.end))
    return out


def _section_line(text: str, start: int, end: int, label: str) -> int:
    """Start the quote at the section's own line ("6 § ..."), after the headings above it."""
    number = label.split(" kap. ")[-1]
    match = re.compile(rf"(?m)^{re.escape(number)}").search(text, start, end)
    return match.start() if match else start


def wordings(service: Any, statute: Statute, label: str) -> list[Wording]:
    """Every wording of section `label` the index holds, with the dates it is known to apply."""
    out: list[Wording] = []
    ordered = statute.ordered_amendments()
    if statute.base is not None:
        base = statute.base
        extra = _extra(base)
        is_json = bool(extra.get("amendments")) or bool(extra.get("section_validity")) or bool(extra.get("consolidated_to"))
        text = _text(service, base["id"])
        validity = extra.get("section_validity") or []
        for seg_label, start, end in _segments(service, base["id"], label):
            quote = text[start:end]
            changed = _LAST_CHANGE.search(quote)
            changed_by = _sfs(changed.group(1)) if changed else None
            amendment = statute.amendment(changed_by) if changed_by else None
            if is_json:
                marks = [v for v in validity if v.get("label") == seg_label and v.get("scope") in (None, "section")]
                from_mark = next((v["in_force"] for v in marks if _dated(v.get("in_force"))), None)
                until = next((v["expires"] for v in marks if _dated(v.get("expires"))), None)
                since = from_mark or (amendment.in_force if amendment else None) or (statute.in_force if not changed_by else None)
                wording = Wording(base["id"], seg_label, start, end, quote, "statute", since, until, None, changed_by, amendment.in_force if amendment else None)
                wording.start_unknown = since is None and changed_by is not None
                out.append(wording)
            else:
                # A base text: in force until the first amendment that may have changed the section.
                later = _first_possible_change(service, statute, label, ordered)
                out.append(Wording(base["id"], seg_label, start, end, quote, "base", statute.in_force, later, None, None, None))
    for record in statute.consolidations:
        on = _consolidated_on(record)
        text = _text(service, record["id"])
        for seg_label, start, end in _segments(service, record["id"], label):
            quote = text[start:end]
            changed = _LAST_CHANGE.search(quote)
            changed_by = _sfs(changed.group(1)) if changed else None
            amendment = statute.amendment(changed_by) if changed_by else None
            since = (amendment.in_force if amendment else None) if changed_by else statute.in_force
            if changed_by and since is None:
                since = on  # in force by the consolidation's date at the latest
            out.append(Wording(record["id"], seg_label, start, end, quote, "consolidation", since, None, on, changed_by, amendment.in_force if amendment else None, on))
    return out


def _dated(value: Any) -> bool:
    return isinstance(value, str) and bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


def _first_possible_change(service: Any, statute: Statute, label: str, ordered: list[Amendment]) -> str | None:
    """The first day the base text's wording of `label` may have stopped applying.

    An amendment whose register names its sections changed `label` or not; one without (a rinfo
    amendment) may have, unless a consolidation shows the section last changed by a statute
    before it. An amendment with no known date counts from the first day of its year.
    """
    last_known: tuple[int, int] | None = None  # the latest change a consolidation shows for `label`
    for record in statute.consolidations:
        text = _text(service, record["id"])
        for seg_label, start, end in _segments(service, record["id"], label):
            if seg_label == label:
                changed = _LAST_CHANGE.search(text[start:end])
                key = sfs_key(changed.group(1)) if changed else (0, 0)
                last_known = key if last_known is None else max(last_known, key)
    days = []
    for amendment in ordered:
        if amendment.changes:
            if label not in amendment.sections():
                continue
        elif last_known is not None and sfs_key(amendment.sfs) > last_known:
            continue
        days.append(amendment.in_force or f"{sfs_key(amendment.sfs)[0]}-01-01")
    return min(days) if days else None


# --- the section's text on a date --------------------------------------------------------------


def section_history(statute: Statute, label: str) -> list[dict[str, Any]]:
    """The amendments the register says changed `label`, oldest first: {sfs, in_force, change}."""
    out = []
    for amendment in statute.ordered_amendments():
        for kind in ("amended", "added", "repealed", "renumbered"):
            if label in amendment.sections(kind):
                out.append({"sfs": amendment.sfs, "in_force": amendment.in_force, "change": kind})
                break
    return out


def text_as_of(service: Any, canonical: str, as_of: str | None = None) -> dict[str, Any] | None:
    """The wording of the section `canonical` ("SFS 1999:175 14 §") in force on `as_of` (default today).

    :returns: `{date, text, source_doc_id, chunk_id, start, end, valid_from, valid_until, note,
        in_force_on_date, changed_by}` where `text == document text[start:end]`; when the data does
        not hold the wording of that day, the current wording with a note saying since when it
        applies and what changed it; None when no indexed document holds the section.
    """
    parts = canonical.split(" ", 2)
    if len(parts) < 3 or parts[0] != "SFS":
        return None
    sfs, label = f"{parts[0]} {parts[1]}", parts[2]
    statute = statute_of(service, sfs)
    if statute is None:
        return None
    day = as_of or today()
    found = wordings(service, statute, label)
    if not found:
        return None
    history = section_history(statute, label)
    holding = [w for w in found if w.holds_on(day)]
    # A consolidation vouches for its wording only up to its date; prefer one that covers the day.
    covering = [w for w in holding if w.certain_until is None or day <= w.certain_until]
    note_sv = note_en = ""
    exact = True
    if covering:
        chosen = max(covering, key=lambda w: (w.known_from or "", w.consolidated_on or "9999"))
    elif holding:
        chosen = max(holding, key=lambda w: (w.consolidated_on or "", w.known_from or ""))
        note_en = f"the latest consolidated text in the data is of {chosen.consolidated_on}; amendments in force after that are not in the data"
        note_sv = f"den senaste konsoliderade texten i materialet är från {chosen.consolidated_on}; senare ändringar finns inte i materialet"
    else:
        exact = False
        now = today()
        current = [w for w in found if w.holds_on(now)] or found
        chosen = max(current, key=lambda w: (w.consolidated_on or "9999", w.known_from or ""))
        since = chosen.known_from or "okänt datum"
        by_en = f", as changed by {chosen.changed_by}" if chosen.changed_by else ""
        by_sv = f", i lydelse enligt {chosen.changed_by}" if chosen.changed_by else ""
        between = [h for h in history if h.get("in_force") and h["in_force"] > day]
        changes = "; ".join(f"{h['sfs']} (in force {h['in_force']})" for h in between)
        changes_sv = "; ".join(f"{h['sfs']} (i kraft {h['in_force']})" for h in between)
        if chosen.known_from and day < chosen.known_from:
            note_en = f"the data does not hold the wording of {label} in force on {day}; this is the wording in force since {since}{by_en}"
            note_sv = f"materialet saknar lydelsen av {label} som gällde {day}; detta är lydelsen som gäller sedan {since}{by_sv}"
        else:
            note_en = f"the data does not hold the wording of {label} in force on {day}; this is the current wording{by_en}, in force since {since}"
            note_sv = f"materialet saknar lydelsen av {label} som gällde {day}; detta är den gällande lydelsen{by_sv}, i kraft sedan {since}"
        if changes:
            note_en += f"; changed after {day} by {changes}"
            note_sv += f"; ändrad efter {day} genom {changes_sv}"
    ceased = chosen.known_until is not None and chosen.known_until <= today()
    if ceased and exact:
        extra_en = f"ceased to apply {chosen.known_until}"
        extra_sv = f"upphörde att gälla {chosen.known_until}"
        note_en = f"{note_en}; {extra_en}" if note_en else extra_en
        note_sv = f"{note_sv}; {extra_sv}" if note_sv else extra_sv
    chunk_id = _chunk_at(service, chosen.doc_id, chosen.start)
    return {
        "date": day,
        "section": label,
        "text": chosen.text,
        "source_doc_id": chosen.doc_id,
        "chunk_id": chunk_id,
        "start": chosen.start,
        "end": chosen.end,
        "valid_from": chosen.known_from,
        "valid_until": chosen.known_until,
        "in_force_on_date": exact,
        "changed_by": chosen.changed_by,
        "consolidated_on": chosen.consolidated_on,
        "note": note_sv or None,
        "note_en": note_en or None,
        "history": history,
    }


def _chunk_at(service: Any, doc_id: str, offset: int) -> str | None:
    for chunk in service.index.store.chunks_of(doc_id):
        if chunk["start"] <= offset < chunk["end"]:
            return chunk["chunk_id"]
    return None


# --- the statute's status -----------------------------------------------------------------------


def statute_status(service: Any, sfs: str, as_of: str | None = None) -> dict[str, Any] | None:
    """Which SFS changed which section when, sections repealed or not yet in force, and whether
    the statute itself is repealed and by what; None when no document of the statute is indexed."""
    statute = statute_of(service, sfs)
    if statute is None:
        return None
    day = as_of or today()
    changed: dict[str, list[dict[str, Any]]] = {}
    repealed_sections: list[dict[str, Any]] = []
    for amendment in statute.ordered_amendments():
        for kind in ("amended", "added", "repealed"):
            for label in amendment.sections(kind):
                changed.setdefault(label, []).append({"sfs": amendment.sfs, "in_force": amendment.in_force, "change": kind})
                if kind == "repealed":
                    repealed_sections.append({"section": label, "by": amendment.sfs, "date": amendment.in_force})
    not_yet: list[dict[str, Any]] = []
    ceasing: list[dict[str, Any]] = []
    if statute.base is not None:
        for item in _extra(statute.base).get("section_validity") or []:
            if item.get("in_force") and (not _dated(item["in_force"]) or item["in_force"] > day):
                not_yet.append({"section": item["label"], "scope": item.get("scope"), "in_force": item["in_force"]})
            if item.get("expires"):
                ceasing.append({"section": item["label"], "scope": item.get("scope"), "expires": item["expires"], "ceased": _dated(item["expires"]) and item["expires"] <= day})
    return {
        "sfs": statute.sfs,
        "base_doc_id": statute.base["id"] if statute.base else None,
        "consolidations": [{"doc_id": r["id"], "date": _consolidated_on(r)} for r in statute.consolidations],
        "in_force": statute.in_force,
        "repealed": statute.repealed,
        "repealed_by": statute.repealed_by,
        "successor": statute.successor,
        "amendments": [a.as_dict() for a in statute.ordered_amendments()],
        "sections_changed": changed,
        "sections_repealed": repealed_sections,
        "sections_not_yet_in_force": not_yet,
        "sections_ceasing": ceasing,
    }


# --- warnings on a statute's own passages -------------------------------------------------------


def statute_of_document(service: Any, doc_id: str) -> Statute | None:
    """The statute a document is a text of (its base text, statute JSON or a consolidation);
    None for anything else, amendments included (they are statutes of their own)."""
    from lagrum.legal.graph import relation_graph

    brief = relation_graph(service).briefs.get(doc_id)
    if brief is None or brief.get("doc_type") not in STATUTE_TYPES:
        return None  # most hits: a dictionary lookup, no scan
    from lagrum.legal.graph import relation_graph as _graph

    by_id = _graph(service).__dict__.get("records_by_id")
    if by_id is None:
        by_id = {r["id"]: r for r in _records(service)}
        _graph(service).__dict__["records_by_id"] = by_id
    record = by_id.get(doc_id)
    if record is None:
        return None
    if any(r.get("type") == "amends" for r in record.get("relations") or []):
        return None
    consolidates = _extra(record).get("consolidates")
    if consolidates:
        return statute_of(service, _sfs(str(consolidates)))
    match = re.fullmatch(r"sfs-(\d{4})-(\d+)", doc_id)
    return statute_of(service, f"SFS {match.group(1)}:{match.group(2)}") if match else None


def passage_warnings(
    service: Any, doc_id: str, start: int | None = None, end: int | None = None, valid_from: str | None = None,
    valid_until: str | None = None, reference: str | None = None,
) -> list[dict[str, Any]]:
    """Statute-time warnings for the passage `text[start:end]` of a statute's own text, as of
    `reference` (today), one per section of the passage it concerns:

    * `ceased_to_apply`: the passage's wording stopped applying (`valid_until` on or before the day,
      or a base text's wording that a later amendment in force by then changed), with the wording
      that replaced it;
    * `not_yet_in_force`: the wording applies only from a later day (`valid_from`);
    * `amended`: the register's latest amendment of a section, "amended by SFS X (in force DATE)";
    * `statute_repealed`: the statute is repealed, "repealed DATE, replaced by Y".
    """
    statute = statute_of_document(service, doc_id)
    if statute is None:
        return []
    day = reference or today()
    labels = _labels_in(service, doc_id, start, end)
    plain = list(dict.fromkeys(_plain_label(label) for label in labels))
    where = f"{', '.join(plain)} " if plain else ""
    out: list[dict[str, Any]] = []
    if valid_until and _dated(valid_until) and valid_until <= day:
        replacement = _replacement(service, statute, plain[0], valid_until) if len(plain) == 1 else None
        by_sv = f"; lydelsen från {valid_until} ({replacement['changed_by']}) ersätter den" if replacement and replacement.get("changed_by") else ""
        by_en = f"; the wording in force from {valid_until} ({replacement['changed_by']}) replaces it" if replacement and replacement.get("changed_by") else ""
        out.append({
            "kind": "ceased_to_apply", "statute": statute.sfs, "section": where.strip() or None, "date": valid_until, "replaced_by": replacement,
            "message": _first_upper(f"{where}i denna lydelse upphörde att gälla {valid_until}{by_sv}."),
            "message_en": _first_upper(f"{where}in this wording ceased to apply {valid_until}{by_en}."),
        })
    if valid_from and _dated(valid_from) and valid_from > day:
        out.append({
            "kind": "not_yet_in_force", "statute": statute.sfs, "section": where.strip() or None, "date": valid_from,
            "message": _first_upper(f"{where}i denna lydelse träder i kraft {valid_from}; den gäller inte {day}."),
            "message_en": _first_upper(f"{where}in this wording enters into force {valid_from}; it does not apply on {day}."),
        })
    base = statute.base
    is_base_text = base is not None and base["id"] == doc_id and not _extra(base).get("consolidated_to") and bool(statute.consolidations)
    for label in plain:
        if is_base_text:
            out += _base_text_warnings(service, statute, doc_id, label, day)
        history = [h for h in section_history(statute, label) if h["change"] in ("amended", "added", "renumbered")]
        if history:
            last = history[-1]
            when = last.get("in_force")
            out.append({
                "kind": "amended", "statute": statute.sfs, "section": label, "by": last["sfs"], "date": when,
                "message": f"{label} ändrad genom {last['sfs']} (i kraft {when or 'okänt datum'}).",
                "message_en": f"{label} amended by {last['sfs']} (in force {when or 'date unknown'}).",
            })
    if statute.repealed and statute.repealed <= day:
        successor = statute.repealed_by or (statute.successor or {}).get("sfs") or (statute.successor or {}).get("title")
        by_sv = f", ersatt av {successor}" if successor else ""
        by_en = f", replaced by {successor}" if successor else ""
        out.append({
            "kind": "statute_repealed", "statute": statute.sfs, "date": statute.repealed, "replaced_by": successor,
            "message": f"{statute.sfs} upphävd {statute.repealed}{by_sv}.",
            "message_en": f"{statute.sfs} repealed {statute.repealed}{by_en}.",
        })
    return out


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def provisions_quoted(service: Any, doc_id: str, start: int, end: int) -> list[str]:
    """The sections a quote `text[start:end]` of a statute's own text stands in ("2 kap. 16 §"), in
    text order, later wordings' marks left off; empty when the text has no section structure or
    the quote is in the transitional provisions, also where a reader left them in the last
    section's text ("… Lag (2025:220). Övergångsbestämmelser 2018:1200 1. Denna lag träder i kraft …")."""
    text = _text(service, doc_id)
    labels = []
    for segment in _statute_segments(service, doc_id):
        if not _SINGLE_LABEL.fullmatch(segment.label):
            continue
        transitional = _TRANSITIONAL.search(text, segment.start, segment.end)
        stop = transitional.start() if transitional else segment.end
        if segment.start < end and start < stop:
            labels.append(_plain_label(segment.label))
    return list(dict.fromkeys(labels))


def transitional_start(service: Any, doc_id: str) -> int | None:
    """Where a statute's transitional provisions begin in its stored text (the segment
    "övergångsbestämmelser", or the heading a reader left in the last section's text); None when
    it has none or no section structure."""
    from lagrum.legal.graph import relation_graph

    cache = relation_graph(service).__dict__.setdefault("transitional", {})
    if doc_id not in cache:
        text = _text(service, doc_id)
        found = None
        for segment in _statute_segments(service, doc_id):
            if segment.label == "övergångsbestämmelser":
                found = segment.start
                break
            if _SINGLE_LABEL.fullmatch(segment.label or ""):
                heading = _TRANSITIONAL.search(text, segment.start, segment.end)
                if heading:
                    found = heading.start()
                    break
        cache[doc_id] = found
    return cache[doc_id]


def provision_cited(service: Any, doc_id: str, start: int, end: int) -> str | None:
    """`provisions_quoted` as one citation, as lawyers write it (`provision_range`)."""
    return provision_range(provisions_quoted(service, doc_id, start, end))


def provision_range(labels: list[str]) -> str | None:
    """Section labels in text order as one citation: "13 §", "25–26 §§", "2 kap. 3–5 §§", and across
    chapters "2 kap. 16 § – 3 kap. 1 §".

    >>> provision_range(["25 §", "26 §"]), provision_range(["2 kap. 3 §", "2 kap. 4 a §", "2 kap. 5 §"])
    ('25–26 §§', '2 kap. 3–5 §§')
    >>> provision_range(["2 kap. 16 §", "3 kap. 1 §"]), provision_range(["13 §"]), provision_range([])
    ('2 kap. 16 § – 3 kap. 1 §', '13 §', None)
    """
    if not labels:
        return None
    first, last = labels[0], labels[-1]
    if len(labels) == 1:
        return first
    chapter = re.match(r"\d+ ?[a-z]? kap\. ", first)
    prefix = chapter.group(0) if chapter else ""
    if not last.startswith(prefix) or (not prefix and " kap. " in last):
        return f"{first} – {last}"
    return f"{first.removesuffix(' §')}–{last[len(prefix):].removesuffix(' §')} §§"


# One section's label, possibly of a later wording ("6 §", "2 kap. 3 a §", "6 § (lydelse 2)").
_SINGLE_LABEL = re.compile(r"(?:\d+ ?[a-z]? kap\. )?\d+(?: [a-z])? §(?: \(lydelse \d+\))?")
_TRANSITIONAL = re.compile(r"(?<![\wåäö])Övergångsbestämmelser(?![\wåäö])")


def _plain_label(label: str) -> str:
    """A section's label without its later wording's mark: "6 § (lydelse 2)" -> "6 §"."""
    return re.sub(r" \(lydelse \d+\)$", "", label)


def _labels_in(service: Any, doc_id: str, start: int | None, end: int | None) -> list[str]:
    """Labels of the single sections ("6 §", "2 kap. 3 §", "6 § (lydelse 2)") the span overlaps."""
    lo = 0 if start is None else start
    hi = len(_text(service, doc_id)) if end is None else end
    return [s.label for s in _statute_segments(service, doc_id) if s.start < hi and lo < s.end and _SINGLE_LABEL.fullmatch(s.label)]


def _base_text_warnings(service: Any, statute: Statute, doc_id: str, label: str, day: str) -> list[dict[str, Any]]:
    """A base text's wording of `label` that a consolidation shows changed: no longer the law on
    `day` when the change was in force by then, else possibly changed (the data cannot tell)."""
    found = wordings(service, statute, label)
    mine = next((w for w in found if w.doc_id == doc_id), None)
    later = [w for w in found if w.kind == "consolidation"]
    latest = max(later, key=lambda w: w.consolidated_on or "", default=None)
    if mine is None or latest is None or not latest.changed_by or " ".join(latest.text.split()) == " ".join(mine.text.split()):
        return []
    if mine.known_until is None or mine.known_until > day:
        return []
    replaced = {"doc_id": latest.doc_id, "start": latest.start, "end": latest.end, "changed_by": latest.changed_by, "in_force": latest.changed_in_force}
    when_sv = f"i kraft {latest.changed_in_force}" if latest.changed_in_force else f"i kraft senast {latest.consolidated_on}"
    when_en = f"in force {latest.changed_in_force}" if latest.changed_in_force else f"in force by {latest.consolidated_on} at the latest"
    if latest.known_from and latest.known_from <= day:
        return [{
            "kind": "ceased_to_apply", "statute": statute.sfs, "section": label, "date": latest.changed_in_force, "replaced_by": replaced,
            "message": f"{label} i grundförfattningens lydelse gäller inte längre: den ändrades genom {latest.changed_by} ({when_sv}).",
            "message_en": f"{label} as first issued no longer applies: it was amended by {latest.changed_by} ({when_en}).",
        }]
    return [{
        "kind": "amended", "statute": statute.sfs, "section": label, "by": latest.changed_by, "date": latest.known_from, "replaced_by": replaced,
        "message": f"{label} i grundförfattningens lydelse kan ha ändrats från {mine.known_until}; den ändrades senast genom {latest.changed_by} ({when_sv}).",
        "message_en": f"{label} as first issued may have been amended from {mine.known_until}; it was last amended by {latest.changed_by} ({when_en}).",
    }]


def _replacement(service: Any, statute: Statute, label: str, day: str) -> dict[str, Any] | None:
    """The wording of `label` in force on `day`, as {doc_id, start, end, changed_by, in_force}."""
    for wording in wordings(service, statute, label):
        if wording.holds_on(day):
            return {"doc_id": wording.doc_id, "start": wording.start, "end": wording.end, "changed_by": wording.changed_by, "in_force": wording.known_from}
    return None
