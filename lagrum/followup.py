"""Follow-up questions: resolve "Och vad sa domstolen?" against the earlier turns, without a model.

A conversation is a list of earlier turns, oldest first: each a question and the ids of the
documents its answer cited (and, optionally, the filters it ran with). A follow-up is recognised
from its form, not from a model: it opens with a connective ("och", "men", "and", "what about"),
or it is short and leans on something outside itself (a pronoun or deictic: "det", "den",
"beslutet", "domstolen", "avgiften", "it", "that decision", "the fine"), or it is only a time
("efter 2018?") or a present-tense question about the law ("vilken lag gäller nu?"). A question
with a subject of its own ("Vad säger GDPR om samtycke?") is not one, and ignores the history.

A follow-up is resolved into what retrieval needs:

* the earlier turn's subject (the content words of the questions since the last self-contained
  one) is added to the question, so "Och efter 2018?" searches the same matter;
* the documents: the ones the earlier answer cited and those the relation graph links to them
  (`lagrum.legal.graph`); "Och vad sa domstolen?" narrows them to the ruling that overturned,
  upheld or decided an appeal of the decision cited before;
* a time ("efter 2018", "före 2015", "after 2018", "in 2016") becomes `since`/`until`, and the
  search is not tied to the earlier documents (the point is what came later or earlier);
* "vilken lag gäller nu?" / "which law applies now?" follows the registry's `replaced_by` from
  the statutes the earlier turn was about (named in its question or cited by its documents) to
  the statute in force, and searches the documents carrying or citing it.

>>> resolver = FollowUpResolver(service)  # doctest: +SKIP
>>> turn = Turn("Får ett lagerbolag kamerabevaka personalen vid packborden?", ("test-beslut-lagerkameror",))
>>> resolver.resolve("Och vad sa domstolen?", [turn]).doc_ids  # doctest: +SKIP
('test-dom-lagerkameror',)

`ConversationStore` keeps conversations in the server's memory for `POST /ask` clients that send a
`conversation_id` instead of the history: bounded in number, turns and age.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any, Iterable

from lagrum.filters import SearchFilters

MAX_TURNS = 20  # earlier turns read (and kept per stored conversation)
MAX_CONVERSATIONS = 1000
CONVERSATION_SECONDS = 30 * 60
MAX_OWN_WORDS = 3  # a follow-up has at most this many subject words of its own
MAX_SUBJECT_WORDS = 12
MAX_RELATED = 8

_WORD = re.compile(r"[^\W_][\w\-:/§.]*[^\W_]|[^\W_]", re.UNICODE)
# Connectives that open a follow-up ("Och vad sa domstolen?", "What about after 2018?").
_CONNECTIVE = re.compile(
    r"^\s*(?:och|men|samt|även|också|hur\s+är\s+det\s+med|vad\s+gäller|så|and|but|also|so|what\s+about|how\s+about|then)\b",
    re.IGNORECASE,
)
# Words that point back at the earlier turn: pronouns and deictics, and the definite nouns of the
# domain ("domstolen", "the fine"), which point back only in a question with no subject of its own
# ("Vad säger lagen om kameraövervakning?" asks about a law of its own).
PRONOUNS = frozenset(
    """
    det den de dem dess deras detta denna dessa där då han hon hans hennes honom henne sin sitt sina
    it its they them their that this those these there then he she his her
    """.split()
)
DEFINITE_NOUNS = frozenset(
    """
    domstolen domen domarna rätten förvaltningsrätten kammarrätten hovrätten tingsrätten högsta
    beslutet besluten myndigheten myndighetens ärendet målet fallet bolaget företaget arbetsgivaren
    avgiften sanktionsavgiften boten vitet straffet lagen lagarna förordningen paragrafen bestämmelsen
    court ruling judgment judgement decision decisions authority case company employer fine penalty law statute provision
    """.split()
)
DEICTIC = PRONOUNS | DEFINITE_NOUNS
# Function words, question words and the verbs and adjectives of asking: never a subject.
STOPWORDS = frozenset(
    """
    och eller men samt även också så att som om för från till med utan av på i vid under över efter före innan
    sedan mot hos genom mellan enligt än när var vad vem vems vilken vilket vilka hur varför ja nej inte
    är var varit vara blir blev bli har hade haft ha kan kunde får fick måste ska skulle bör vill
    sa sade säger sagt gäller gällde gällt hände händer hänt beslutade beslutar bestämde tyckte anser ansåg
    kom kommer fram stor stort stora hög högt höga mycket många mer mest nu idag fortfarande längre
    en ett den det de man vi ni jag du oss er mig dig sig
    about after before since until from into with without what which who whom whose how why when where
    is are was were be been being do does did done have has had can could may might must shall should will would
    say said says decide decided decides happen happened apply applies applied hold held find found
    big large high much many more most now today still any anymore longer
    the a an of to in on at by for or not and but also so then than yes no
    """.split()
)
_COURT = re.compile(
    r"\b(?:domstol\w*|dom(?:en|arna)?|förvaltningsrätt\w*|kammarrätt\w*|hovrätt\w*|tingsrätt\w*|högsta\s+\w+domstolen|"
    r"överklag\w*|court\w*|ruling\w*|judg(?:e)?ment\w*|appeal\w*|tribunal\w*)\b",
    re.IGNORECASE,
)
_CURRENT_LAW = re.compile(
    r"\b(?:vilken|vilka|vad)\s+(?:lag|lagar|regler|bestämmelser|förordning)\w*\s+(?:gäller|är\s+i\s+kraft)|"
    r"gäller\s+(?:den|det|lagen|den\s+lagen|fortfarande)|(?:lag|lagen)\s+(?:gäller\s+)?(?:nu|idag|i\s+dag)|"
    r"\b(?:which|what)\s+(?:law|laws|statute|rules|act)\s+(?:applies|apply|is\s+in\s+force|governs)|"
    r"still\s+(?:in\s+force|valid|apply|applies)|current\s+law|in\s+force\s+now",
    re.IGNORECASE,
)
_YEAR = r"((?:19|20)\d{2})(?![:/]\d)"  # a year, not "2013:460"
_SINCE = re.compile(rf"\b(?:efter|sedan|från|fr\.o\.m\.|after|since|from)\s+(?:år\s+|the\s+year\s+)?{_YEAR}\b", re.IGNORECASE)
_UNTIL = re.compile(rf"\b(?:före|innan|till|t\.o\.m\.|before|until|prior\s+to)\s+(?:år\s+|the\s+year\s+)?{_YEAR}\b", re.IGNORECASE)
_DURING = re.compile(rf"\b(?:under|i|år|in|during)\s+(?:år\s+)?{_YEAR}\b", re.IGNORECASE)
_COURT_RELATIONS = ("overturned_by", "upheld_by", "appealed_by", "overturns", "upholds", "appeals")
_RELATED = ("overturned_by", "upheld_by", "appealed_by", "overturns", "upholds", "appeals", "replaced_by", "replaces", "cites", "cited_by")
_COURT_TYPES = ("dom",)


@dataclass(frozen=True)
class Turn:
    """One earlier turn: the question, the documents its answer cited, the filters it ran with."""

    question: str
    doc_ids: tuple[str, ...] = ()
    filters: SearchFilters | None = None


@dataclass
class Resolution:
    """What a question was resolved to: the text and filters retrieval gets, and why.

    `follow_up` is False for a question that stands on its own (history ignored); `question` is
    then the question itself and `filters` the ones given.
    """

    follow_up: bool
    question: str
    filters: SearchFilters | None
    doc_ids: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()
    statutes: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        f = self.filters or SearchFilters()
        return {
            "follow_up": self.follow_up,
            "question": self.question,
            "doc_ids": list(self.doc_ids),
            "filters": {
                "doc_type": list(f.doc_types),
                "source": list(f.sources),
                "language": list(f.languages),
                "since": f.since,
                "until": f.until,
                "citation": list(f.citations),
            },
            "subject": list(self.subject),
            "statutes": self.statutes,
            "reasons": self.reasons,
            "notes": self.notes,
        }


def words(text: str) -> list[str]:
    return [w.lower().strip(".:/-") for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    """The words of `text` that carry its subject: no function, question or deictic words, no years."""
    out = []
    for word in words(text):
        if word in STOPWORDS or word in DEICTIC or re.fullmatch(r"(?:19|20)\d{2}", word) or len(word) < 2:
            continue
        out.append(word)
    return out


def time_filter(question: str) -> tuple[str | None, str | None]:
    """`since`/`until` named by the question: "efter 2018" -> since 2018-01-01, "före 2015" ->
    until 2014-12-31, "under 2016" -> the year 2016.

    >>> time_filter("what about after 2018?"), time_filter("Och före 2015?")
    (('2018-01-01', None), (None, '2014-12-31'))
    """
    since = until = None
    if m := _SINCE.search(question):
        since = f"{m.group(1)}-01-01"
    if m := _UNTIL.search(question):
        until = f"{int(m.group(1)) - 1}-12-31"
    if since is None and until is None and (m := _DURING.search(question)):
        since, until = f"{m.group(1)}-01-01", f"{m.group(1)}-12-31"
    return since, until


def is_follow_up(question: str) -> bool:
    """Whether the question leans on an earlier turn (see the module docstring).

    >>> is_follow_up("Och vad sa domstolen?"), is_follow_up("Vad säger GDPR om samtycke på jobbet?")
    (True, False)
    """
    own = content_words(question)
    if len(own) > MAX_OWN_WORDS:
        return False
    if _CONNECTIVE.search(question):
        return True
    tokens = words(question)
    if any(t in PRONOUNS for t in tokens) and len(own) <= 2:
        return True
    if any(t in DEFINITE_NOUNS for t in tokens) and not own:
        return True
    since, until = time_filter(question)
    if (since or until) and len(own) <= 1:
        return True
    return bool(_CURRENT_LAW.search(question)) and len(own) <= 2


class FollowUpResolver:
    """Resolve a question against the conversation so far.

    :param service: a `LagrumService` (document records, relation graph, statute registry).
    """

    def __init__(self, service: Any):
        self.service = service
        self._english = False

    def resolve(self, question: str, history: Iterable[Turn], filters: SearchFilters | None = None) -> Resolution:
        from lagrum.language import detect_language

        history = list(history)[-MAX_TURNS:]
        question = question.strip()
        self._english = detect_language(question) == "en"  # the language of the notes
        if not history or not is_follow_up(question):
            return Resolution(False, question, filters)
        subject = self._subject(history)
        earlier = next((t for t in reversed(history) if t.doc_ids), None)
        earlier_docs = tuple(d for d in (earlier.doc_ids if earlier else ()) if self._known(d))
        resolution = Resolution(True, question, _merge(filters, history[-1].filters), subject=subject)
        if subject:
            resolution.reasons.append(f"subject of the earlier question: {' '.join(subject)}")

        since, until = time_filter(question)
        if since or until:
            # A new time replaces the earlier one: "Och före 2020?" after "Och efter 2020?" means before 2020.
            resolution.filters = replace(resolution.filters or SearchFilters(), since=since, until=until)
            resolution.reasons.append(f"time: {'since ' + since if since else ''}{' ' if since and until else ''}{'until ' + until if until else ''}".strip())
        elif _CURRENT_LAW.search(question):
            self._successor_statutes(resolution, history, earlier_docs)
        elif earlier_docs:
            self._documents(resolution, question, earlier_docs)
        if resolution.doc_ids and not resolution.statutes:
            # The documents carry the matter already; of the earlier words, the parties keep the
            # focus ("Hur stor blev sanktionsavgiften?" + "IMY SportAdmins", not "bristande säkerhet").
            resolution.subject = self._parties(history) or resolution.subject
        extra = [w for w in resolution.subject if w.casefold() not in set(content_words(question))]
        resolution.question = question if not extra else f"{question} {' '.join(extra)}"
        return resolution

    def _parties(self, history: list[Turn]) -> tuple[str, ...]:
        """Names in the questions since the last self-contained one: capitalised words not opening
        the question ("Försäkringskassan", "SportAdmins", "IMY")."""
        found: list[str] = []
        for turn in reversed(history):
            for n, m in enumerate(_WORD.finditer(turn.question)):
                word = m.group(0).strip(".:/-")
                if n > 0 and word[:1].isupper() and word.casefold() not in STOPWORDS | DEICTIC and word not in found:
                    found.append(word)
            if not is_follow_up(turn.question):
                break
        return tuple(found[:MAX_SUBJECT_WORDS])

    # --- the parts ------------------------------------------------------------------

    def _subject(self, history: list[Turn]) -> tuple[str, ...]:
        """Content words of the questions since the last self-contained one, newest turn's first."""
        collected: list[str] = []
        for turn in reversed(history):
            for word in content_words(turn.question):
                if word not in collected:
                    collected.append(word)
            if not is_follow_up(turn.question):
                break
        return tuple(collected[:MAX_SUBJECT_WORDS])

    def _documents(self, resolution: Resolution, question: str, earlier: tuple[str, ...]) -> None:
        graph = self._graph()
        if _COURT.search(question):
            rulings = [d for d in earlier if self._doc_type(d) in _COURT_TYPES]
            for doc_id in earlier:
                for kind in _COURT_RELATIONS:
                    rulings += [b["doc_id"] for b in graph.targets(doc_id, kind) if b.get("doc_type") in _COURT_TYPES]
            rulings = list(dict.fromkeys(rulings))
            if rulings:
                resolution.doc_ids = tuple(rulings[:MAX_RELATED])
                resolution.reasons.append("the court: the ruling on the documents cited before (relation graph)")
                resolution.filters = replace(resolution.filters or SearchFilters(), doc_ids=resolution.doc_ids)
                return
            resolution.notes.extend(self._registry_rulings(earlier))
        related = list(earlier)
        for doc_id in earlier:
            for kind in _RELATED:
                related += [b["doc_id"] for b in graph.targets(doc_id, kind)]
        resolution.doc_ids = tuple(dict.fromkeys(related))[: len(earlier) + MAX_RELATED]
        resolution.reasons.append("the documents cited before and those related to them")
        resolution.filters = replace(resolution.filters or SearchFilters(), doc_ids=resolution.doc_ids)

    def _successor_statutes(self, resolution: Resolution, history: list[Turn], earlier: tuple[str, ...]) -> None:
        registry = self.service.registry
        if registry is None:
            return
        statutes = self._statutes_of(history, earlier)
        current: list[str] = []
        for sfs in statutes:
            chain = [sfs]
            statute = registry.statute(sfs)
            while statute is not None and statute.replaced_by and statute.replaced_by not in chain:
                chain.append(statute.replaced_by)
                statute = registry.statute(statute.replaced_by)
            last = registry.statute(chain[-1])
            entry = {"sfs": sfs, "title": registry.statute(sfs).title if registry.statute(sfs) else None, "current": chain[-1], "current_title": last.title if last else None, "chain": chain}
            resolution.statutes.append(entry)
            if len(chain) > 1:
                first = registry.statute(sfs)
                old_title, new_title = first.title if first else sfs, last.title if last else chain[-1]
                repealed = f" {first.repealed}" if first and first.repealed else ""
                resolution.notes.append(
                    f"{old_title} was repealed{' on' + repealed if repealed else ''}; {new_title} applies now."
                    if self._english
                    else f"{old_title} upphävdes{repealed}; nu gäller {new_title}."
                )
            if chain[-1] not in current:
                current.append(chain[-1])
        if not current:
            return
        resolution.reasons.append("the law in force now: the registry's replaced_by from the statutes of the earlier turn")
        carrying = self._documents_of_statutes(current)
        if carrying:
            resolution.doc_ids = tuple(carrying[:MAX_RELATED])
            resolution.filters = replace(resolution.filters or SearchFilters(), doc_ids=resolution.doc_ids)
        titles = [registry.statute(s).title for s in current if registry.statute(s)]
        resolution.subject = tuple(dict.fromkeys([*titles, *resolution.subject]))[:MAX_SUBJECT_WORDS]

    def _statutes_of(self, history: list[Turn], earlier: tuple[str, ...]) -> list[str]:
        """Statutes the earlier turn was about: named in its questions, then cited by its documents."""
        from lagrum.legal.registry import canonical_statute_id

        registry = self.service.registry
        found: list[str] = []
        names = registry.statute_names()
        for turn in reversed(history):
            text = turn.question.casefold()
            for name, sfs in names.items():
                if len(name) >= 3 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) and sfs not in found:
                    found.append(sfs)
            for m in re.finditer(r"\b(?:sfs\s*)?(\d{4}:\d+)\b", text):
                sfs = canonical_statute_id(m.group(1))
                if sfs and registry.statute(sfs) and sfs not in found:
                    found.append(sfs)
            if found or not is_follow_up(turn.question):
                break
        if not found:
            for doc_id in earlier:
                record = self.service.index.store.get_document(doc_id) or {}
                for citation in record.get("citations") or []:
                    sfs = canonical_statute_id(citation)
                    if sfs and registry.statute(sfs) and sfs not in found:
                        found.append(sfs)
        return found

    def _documents_of_statutes(self, statutes: list[str]) -> list[str]:
        """Indexed documents that are one of the statutes (by identifier) or cite it."""
        graph = self._graph()
        out: list[str] = []
        for sfs in statutes:
            out += graph.identifiers.get(sfs.casefold(), [])
            for chunk in self.service.index.store.find_chunks(SearchFilters(citations=(sfs,)), limit=50):
                out.append(chunk["doc_id"])
        return list(dict.fromkeys(out))

    def _registry_rulings(self, earlier: tuple[str, ...]) -> list[str]:
        """The registry's word on a court's ruling the index does not hold ("mål 383-16")."""
        registry = self.service.registry
        if registry is None:
            return []
        from lagrum.legal.graph import canonical_identifier

        notes = []
        for doc_id in earlier:
            record = self.service.index.store.get_document(doc_id) or {}
            refs = {canonical_identifier(r["target"]) for r in record.get("relations") or []}
            refs |= {canonical_identifier(c) for c in record.get("citations") or []}
            for case in registry.case_facts():
                if case.overturned_by and canonical_identifier(case.reference) in refs:
                    if self._english:
                        note = f"{case.court or 'A court'} overturned decision {case.reference} on {case.overturned_on} ({case.overturned_by}); the ruling is not in the knowledge base."
                    else:
                        note = f"{case.court or 'Domstolen'} upphävde beslutet {case.reference} {case.overturned_on} ({case.overturned_by}); domen finns inte i kunskapsbasen."
                    if note not in notes:
                        notes.append(note)
        return notes

    def _graph(self) -> Any:
        from lagrum.legal.graph import relation_graph

        return relation_graph(self.service)

    def _known(self, doc_id: str) -> bool:
        return doc_id in self._graph().briefs

    def _doc_type(self, doc_id: str) -> str:
        return (self._graph().briefs.get(doc_id) or {}).get("doc_type", "")


def _merge(given: SearchFilters | None, earlier: SearchFilters | None) -> SearchFilters | None:
    """The filters given now, else the earlier turn's (a follow-up keeps the matter's filters)."""
    if given is not None and not given.is_empty():
        return given
    return earlier


def ask_with_history(composer: Any, question: str, limit: int, filters: SearchFilters | None, history: Iterable[Turn]) -> dict[str, Any]:
    """`AnswerComposer.ask` with a conversation: resolve, answer the resolved question, say what was resolved."""
    from lagrum.language import detect_language

    resolution = FollowUpResolver(composer.service).resolve(question, history, filters)
    if not resolution.follow_up:
        result = composer.ask(question, limit=limit, filters=filters)
    else:
        # The framing follows the question as asked: "and the fine?" after a Swedish question is English.
        result = composer.ask(resolution.question, limit=limit, filters=resolution.filters, language=detect_language(question))
        result["question"] = question.strip()
        result["notes"] = [*resolution.notes, *result.get("notes", [])]
    result["resolved"] = resolution.as_dict()
    return result


class ConversationStore:
    """Conversations kept in memory for clients that send a `conversation_id`.

    Bounded: at most `max_conversations` (the least recently used go first), `max_turns` turns
    each, and a conversation untouched for `max_age` seconds is forgotten. Per process: a server
    with several workers keeps one store per worker, so clients that must not lose the thread
    send `history` instead.

    >>> store = ConversationStore()
    >>> cid = store.put(None, [Turn("Får arbetsgivaren kräva webbkamera?", ("di-2015",))])
    >>> [t.question for t in store.get(cid)]
    ['Får arbetsgivaren kräva webbkamera?']
    """

    def __init__(self, max_conversations: int = MAX_CONVERSATIONS, max_turns: int = MAX_TURNS, max_age: float = CONVERSATION_SECONDS, clock=time.monotonic):
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self.max_age = max_age
        self._clock = clock
        self._items: OrderedDict[str, tuple[float, list[Turn]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, conversation_id: str) -> list[Turn] | None:
        """The turns so far, or None for an unknown or expired id."""
        with self._lock:
            self._expire()
            item = self._items.get(conversation_id)
            return list(item[1]) if item else None

    def put(self, conversation_id: str | None, turns: list[Turn]) -> str:
        """Keep `turns` as the whole conversation: under `conversation_id` when the store holds it,
        else under a new id (an id is never chosen by a client); returns the id."""
        with self._lock:
            self._expire()
            if conversation_id is None or conversation_id not in self._items:
                conversation_id = secrets.token_urlsafe(16)
            self._items.pop(conversation_id, None)
            self._items[conversation_id] = (self._clock(), list(turns)[-self.max_turns :])
            while len(self._items) > self.max_conversations:
                self._items.popitem(last=False)
            return conversation_id

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._items)

    def _expire(self) -> None:
        now = self._clock()
        while self._items:
            key, (stamp, _) = next(iter(self._items.items()))
            if now - stamp <= self.max_age:
                break
            del self._items[key]
