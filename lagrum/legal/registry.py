"""The curated registry of statutes, authorities, case outcomes and glossary terms.

The data lives in YAML under `corpus/registry/` (see its README.md); every entry names its source.
Lookups are by any name a statute or authority is known by, in any inflection, case-insensitively.

>>> registry = Registry.load()
>>> registry.statute_by_name("kameraövervakningslagens").sfs
'SFS 2013:460'
>>> registry.status_of_statute("SFS 2013:460", on="2019-01-01")["replaced_by"]
'SFS 2018:1200'
>>> registry.current_authority_name("DI")
('Integritetsskyddsmyndigheten (IMY)', '2021-01-01')
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lagrum.documents import parse_iso_date
from lagrum.errors import InputError

STATUTE_KINDS = ("lag", "förordning", "eu_regulation")
DEFAULT_DIRECTORY = Path(__file__).parents[2] / "corpus" / "registry"
_SFS = re.compile(r"^(?:SFS\s*)?(\d{4}:\d+)$", re.IGNORECASE)
_EU = re.compile(r"^(?:EU\s*|\(EU\)\s*)?(?:nr\s*)?(\d{4}/\d+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Statute:
    """A Swedish statute or an EU act; `sfs` is its canonical id (`SFS 2013:460`, `EU 2016/679`)."""

    sfs: str
    title: str
    short_names: tuple[str, ...]
    abbreviations: tuple[str, ...]
    english_names: tuple[str, ...]
    in_force: str | None
    repealed: str | None
    replaced_by: str | None
    replaces: tuple[str, ...]
    kind: str
    source: str

    @property
    def display_name(self) -> str:
        """The first short name, else the title: `kameraövervakningslagen`."""
        return self.short_names[0] if self.short_names else self.title


@dataclass(frozen=True)
class Authority:
    """An authority or court; `renamed_to` is the id of the authority it became."""

    id: str
    name: str
    aliases: tuple[str, ...]
    english_names: tuple[str, ...]
    renamed_to: str | None
    renamed_on: str | None
    source: str


@dataclass(frozen=True)
class CaseFact:
    """A decision or ruling with a known outcome, e.g. a decision later overturned by a court."""

    id: str
    authority: str
    reference: str
    date: str
    summary: str
    overturned_by: str | None
    overturned_on: str | None
    court: str | None
    source: str


def canonical_statute_id(value: str) -> str | None:
    """Normalise `2013:460`, `SFS 2013:460`, `SFS 2013:460 23 §`, `(EU) 2016/679` to a canonical id.

    >>> canonical_statute_id("2013:460"), canonical_statute_id("EU 2016/679 art. 6.1 f")
    ('SFS 2013:460', 'EU 2016/679')
    """
    text = value.strip()
    head = re.match(r"^(?:SFS\s*)?\d{4}:\d+|^(?:EU\s*|\(EU\)\s*)?(?:nr\s*)?\d{4}/\d+", text, re.IGNORECASE)
    if head is None:
        return None
    token = head.group(0)
    if m := _SFS.match(token):
        return f"SFS {m.group(1)}"
    if m := _EU.match(token):
        return f"EU {m.group(1)}"
    return None


def inflections(name: str) -> list[str]:
    """A Swedish statute name and its inflected forms: `brottsbalken` -> also `brottsbalkens`, `brottsbalk`.

    Only names whose last word is in the definite form (`-en`) are inflected; phrases such as
    `lagen om kameraövervakning` are returned as they are.
    """
    forms = [name]
    last = name.split()[-1]
    if " om " in name or not last.endswith("en") or len(last) < 6:
        return forms
    forms.append(name + "s")
    forms.append(name[:-2])
    return forms


_DEFINITE = {"lag": "lagen", "balk": "balken", "förordning": "förordningen", "kungörelse": "kungörelsen", "ordning": "ordningen"}
_COMPOUND_TITLE = re.compile(r"^(?P<stem>[\wåäöÅÄÖ][\wåäöÅÄÖ\- ,]*?)(?P<kind>lag|balk|förordning|kungörelse|ordning)\s*\((?P<sfs>\d{4}:\d+)\)\s*$", re.IGNORECASE)
_PHRASE_TITLE = re.compile(r"^(?P<kind>Lag|Förordning|Kungörelse)\s*\((?P<sfs>\d{4}:\d+)\)\s+(?P<rest>(?:om|med|för)\s.+?)\s*$", re.IGNORECASE)


def statute_names_from_title(title: str) -> tuple[str, list[str]] | None:
    """The SFS number and the names a statute is cited by, read from its official title.

    Swedish statutes are cited by their title's noun in the definite form: "Polislag (1984:387)"
    is "polislagen", "Offentlighets- och sekretesslag (2009:400)" "offentlighets- och
    sekretesslagen", "Lag (1994:260) om offentlig anställning" "lagen om offentlig anställning".
    A rule of the language, not a list: every statute in the index gets its names this way.

    >>> statute_names_from_title("Polislag (1984:387)")
    ('SFS 1984:387', ['polislagen', 'polislagens', 'polislag'])
    >>> statute_names_from_title("Lag (1994:260) om offentlig anställning")
    ('SFS 1994:260', ['lagen om offentlig anställning'])
    >>> statute_names_from_title("Beslut om något") is None
    True
    """
    title = " ".join(str(title or "").split())
    if m := _COMPOUND_TITLE.match(title):
        stem, kind = m["stem"], m["kind"].lower()
        if not stem.strip() or stem.endswith(" "):
            return None  # "Lag (…)" alone, or a phrase: handled below or not a name
        name = (stem + _DEFINITE[kind]).lower()
        return f"SFS {m['sfs']}", inflections(name)
    if m := _PHRASE_TITLE.match(title):
        rest = m["rest"].rstrip(".")
        if len(rest.split()) > 12:
            return None  # a long descriptive title is not how anyone cites the statute
        return f"SFS {m['sfs']}", [f"{_DEFINITE[m['kind'].lower()]} {rest}".lower()]
    return None


class Registry:
    """Statutes, authorities, case facts and glossary, loaded from a directory of YAML files."""

    def __init__(
        self,
        statutes: list[Statute],
        authorities: list[Authority],
        cases: list[CaseFact],
        glossary: dict[str, list[str]],
        directory: Path | None = None,
    ):
        self.directory = directory
        self._statutes = {s.sfs: s for s in statutes}
        self._authorities = {a.id: a for a in authorities}
        self._cases = list(cases)
        self._glossary = dict(glossary)
        self._statute_names = _name_index(
            ((form, s.sfs) for s in statutes for form in _statute_forms(s)), "statute", directory
        )
        self._authority_names = _name_index(
            ((form, a.id) for a in authorities for form in (a.name, *a.aliases, *a.english_names)),
            "authority",
            directory,
        )

    @classmethod
    def load(cls, directory: Path | None = None) -> "Registry":
        """Read `statutes.yaml`, `authorities.yaml`, `cases.yaml` and `glossary.yaml` from `directory`.

        The default is `$LAGRUM_REGISTRY_DIR`, else `corpus/registry` in the repository.
        Raises `InputError` naming the file and entry when the data is malformed.
        """
        if directory is None:
            directory = Path(os.environ.get("LAGRUM_REGISTRY_DIR") or DEFAULT_DIRECTORY)
        directory = Path(directory)
        if not directory.is_dir():
            raise InputError(
                str(directory),
                "the legal registry directory does not exist; set LAGRUM_REGISTRY_DIR to the folder "
                "holding statutes.yaml, authorities.yaml, cases.yaml and glossary.yaml",
            )
        statutes = [_statute(e, src) for e, src in _entries(directory / "statutes.yaml", "statutes")]
        authorities = [_authority(e, src) for e, src in _entries(directory / "authorities.yaml", "authorities")]
        cases = [_case(e, src) for e, src in _entries(directory / "cases.yaml", "cases")]
        glossary = _glossary(directory / "glossary.yaml")
        registry = cls(statutes, authorities, cases, glossary, directory)
        registry._check_links()
        return registry

    @functools.cached_property
    def names_fingerprint(self) -> str:
        """A short hash of the names ingest reads documents with (statute names, abbreviations and
        numbers; authority names). A document indexed under other names is annotated anew."""
        names = [(s.sfs, s.title, s.short_names, s.abbreviations, s.english_names) for s in self._statutes.values()]
        names += [(a.id, a.name, a.aliases) for a in self._authorities.values()]
        return hashlib.sha256(repr(names).encode("utf-8")).hexdigest()[:12]

    # -- statutes -------------------------------------------------------------

    def statutes(self) -> list[Statute]:
        """All statutes, in file order."""
        return list(self._statutes.values())

    def with_statute_titles(self, titles: dict[str, str]) -> "Registry":
        """This registry plus the names of statutes known only by their official title
        (`{"SFS 1984:387": "Polislag (1984:387)"}`), for reading queries that cite them by name.

        Curated entries win: a statute already here, or a name already given to another
        statute, is left as it is. The added entries carry no dates (they come from documents,
        whose own metadata says when they apply).
        """
        taken = set(self._statute_names)
        added: list[Statute] = []
        for sfs, title in sorted(titles.items()):
            if sfs in self._statutes:
                continue
            found = statute_names_from_title(title)
            if not found or found[0] != sfs:
                continue
            names = tuple(n for n in found[1] if _fold(n) not in taken)
            if not names:
                continue
            taken.update(_fold(n) for n in names)
            added.append(Statute(sfs, title, names, (), (), None, None, None, (), "lag", "the statute's own title in the index"))
        if not added:
            return self
        return Registry([*self._statutes.values(), *added], list(self._authorities.values()), self._cases, self._glossary, self.directory)

    def statute(self, sfs: str) -> Statute | None:
        """The statute with this id, written `2013:460`, `SFS 2013:460`, `EU 2016/679` or as a provision id."""
        key = canonical_statute_id(sfs)
        return self._statutes.get(key) if key else None

    def statute_by_name(self, name: str) -> Statute | None:
        """The statute known by `name`: short name in any inflection, abbreviation or English name."""
        sfs = self._statute_names.get(_fold(name))
        return self._statutes[sfs] if sfs else None

    def statute_names(self) -> dict[str, str]:
        """Every known name form (case-folded) -> canonical statute id."""
        return dict(self._statute_names)

    def status_of_statute(self, sfs: str, on: str | None = None) -> dict[str, Any]:
        """Whether the statute applied on `on` (ISO date, default today), and what replaced it.

        Returns `{"sfs", "title", "known", "in_force", "in_force_from", "repealed", "replaced_by",
        "replaced_by_title", "replaced_by_all"}`; `known` is False (and `in_force` None) for an id
        the registry does not hold.
        """
        day = parse_iso_date(on, "on") if on else _dt.date.today().isoformat()
        statute = self.statute(sfs)
        if statute is None:
            return {
                "sfs": canonical_statute_id(sfs) or sfs,
                "title": None,
                "known": False,
                "in_force": None,
                "in_force_from": None,
                "repealed": None,
                "replaced_by": None,
                "replaced_by_title": None,
                "replaced_by_all": [],
            }
        started = statute.in_force is None or statute.in_force <= day
        ended = statute.repealed is not None and statute.repealed <= day
        successors = [statute.replaced_by] if statute.replaced_by else []
        successors += [s.sfs for s in self._statutes.values() if statute.sfs in s.replaces and s.sfs not in successors]
        successor = self.statute(statute.replaced_by) if statute.replaced_by else None
        return {
            "sfs": statute.sfs,
            "title": statute.title,
            "known": True,
            "in_force": started and not ended,
            "in_force_from": statute.in_force,
            "repealed": statute.repealed if ended else None,
            "replaced_by": statute.replaced_by if ended else None,
            "replaced_by_title": successor.title if (ended and successor) else None,
            "replaced_by_all": successors if ended else [],
        }

    # -- authorities ----------------------------------------------------------

    def authorities(self) -> list[Authority]:
        """All authorities, in file order."""
        return list(self._authorities.values())

    def authority(self, authority_id: str) -> Authority | None:
        """The authority with this registry id (`datainspektionen`)."""
        return self._authorities.get(authority_id)

    def authority_by_name(self, name: str) -> Authority | None:
        """The authority known by `name` (its name, an alias such as `DI`, or an English name)."""
        key = self._authority_names.get(_fold(name))
        return self._authorities[key] if key else None

    def current_authority_name(self, name: str) -> tuple[str, str | None]:
        """The present name of an authority, following renamings, and the date of the last renaming.

        Unknown names come back unchanged: `current_authority_name("Skatteverket") == ("Skatteverket", None)`.
        """
        authority = self.authority_by_name(name)
        if authority is None:
            return name, None
        renamed_on = None
        seen = {authority.id}
        while authority.renamed_to and authority.renamed_to not in seen:
            renamed_on = authority.renamed_on
            authority = self._authorities[authority.renamed_to]
            seen.add(authority.id)
        return _display(authority), renamed_on

    # -- cases, glossary, aliases ------------------------------------------------

    def case_facts(self) -> list[CaseFact]:
        """Decisions and rulings with known outcomes."""
        return list(self._cases)

    def case_fact(self, reference: str) -> CaseFact | None:
        """The case fact whose `reference` (e.g. `dnr 388-2015`) or `overturned_by` equals `reference`."""
        key = reference.strip().casefold()
        for case in self._cases:
            if key in (case.reference.casefold(), (case.overturned_by or "").casefold()):
                return case
        return None

    def glossary(self) -> dict[str, list[str]]:
        """English term (lower case) -> Swedish terms."""
        return {k: list(v) for k, v in self._glossary.items()}

    def abbreviations(self) -> set[str]:
        """Abbreviations in their written case (`KÖL`, `DI`), which should only match case-sensitively."""
        found = {a for s in self._statutes.values() for a in s.abbreviations}
        found |= {a for auth in self._authorities.values() for a in auth.aliases if _is_abbreviation(a)}
        return found

    def aliases(self) -> dict[str, list[str]]:
        """Lower-case term -> equivalent Swedish terms, for lexical expansion.

        Authorities are grouped with the authorities they were renamed to (DI <-> Datainspektionen <->
        IMY <-> Integritetsskyddsmyndigheten); statutes with their short names and abbreviations
        (KÖL <-> kameraövervakningslagen). English names and inflected forms are keys only.
        """
        result: dict[str, list[str]] = {}
        for group_keys, group_terms in [*self._authority_groups(), *self._statute_groups()]:
            for key in group_keys:
                folded = _fold(key)
                terms = [t for t in group_terms if _fold(t) != folded]
                merged = result.setdefault(folded, [])
                merged.extend(t for t in terms if t not in merged)
        return result

    def _authority_groups(self) -> list[tuple[list[str], list[str]]]:
        parent = {a.id: a.id for a in self._authorities.values()}

        def root(node: str) -> str:
            while parent[node] != node:
                node = parent[node]
            return node

        for a in self._authorities.values():
            if a.renamed_to:
                parent[root(a.id)] = root(a.renamed_to)
        groups: dict[str, list[Authority]] = {}
        for a in self._authorities.values():
            groups.setdefault(root(a.id), []).append(a)
        result = []
        for members in groups.values():
            terms = [t for a in members for t in (a.name, *a.aliases)]
            keys = terms + [t for a in members for t in a.english_names]
            result.append((keys, terms))
        return result

    def _statute_groups(self) -> list[tuple[list[str], list[str]]]:
        result = []
        for s in self._statutes.values():
            terms = [*s.short_names, *s.abbreviations]
            if not terms:
                continue
            keys = [form for form in _statute_forms(s)]
            result.append((keys, terms))
        return result

    def _check_links(self) -> None:
        """Every id a statute or authority points to must exist in the registry."""
        for s in self._statutes.values():
            for target in filter(None, (s.replaced_by, *s.replaces)):
                if self.statute(target) is None:
                    raise InputError(
                        f"{self.directory}/statutes.yaml: entry {s.sfs}",
                        f"refers to {target!r}, which has no entry; add it or remove the reference",
                    )
        for a in self._authorities.values():
            if a.renamed_to and a.renamed_to not in self._authorities:
                raise InputError(
                    f"{self.directory}/authorities.yaml: entry {a.id}",
                    f"renamed_to {a.renamed_to!r} is not an authority id in the file",
                )


@functools.lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry from the default directory, loaded once per process."""
    return Registry.load()


# -- loading helpers ------------------------------------------------------------


def _entries(path: Path, key: str) -> list[tuple[dict[str, Any], str]]:
    """The list under `key` in `path`, each entry with a `file: entry N` label for error messages."""
    data = _read_yaml(path)
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(str(path), f"expected a top-level '{key}:' list of entries")
    labelled = []
    for number, entry in enumerate(items, start=1):
        label = f"{path}: entry {number}"
        if not isinstance(entry, dict):
            raise InputError(label, "expected a mapping of fields (id: ..., source: ...)")
        if entry.get("id"):
            label += f" ({entry['id']})"
        labelled.append((entry, label))
    return labelled


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise InputError(str(path), "file is missing from the legal registry directory")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(str(path), f"is not valid YAML: {exc}") from None


def _text(entry: dict[str, Any], field: str, label: str, required: bool = True) -> str | None:
    value = entry.get(field)
    if value is None or value == "":
        if required:
            raise InputError(label, f"field '{field}' is missing; every entry needs it")
        return None
    if isinstance(value, (list, dict)):
        raise InputError(label, f"field '{field}' must be a single value, not {type(value).__name__}")
    return " ".join(str(value).split())


def _names(entry: dict[str, Any], field: str, label: str) -> tuple[str, ...]:
    value = entry.get(field) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise InputError(label, f"field '{field}' must be a list of names")
    return tuple(" ".join(str(v).split()) for v in value)


def _date(entry: dict[str, Any], field: str, label: str) -> str | None:
    try:
        return parse_iso_date(entry.get(field), field)
    except ValueError as exc:
        raise InputError(label, str(exc)) from None


def _statute_id(value: str | None, label: str, field: str) -> str | None:
    if value is None:
        return None
    canonical = canonical_statute_id(value)
    if canonical is None:
        raise InputError(label, f"field '{field}' is {value!r}; write 'SFS 2013:460' or 'EU 2016/679'")
    return canonical


def _statute(entry: dict[str, Any], label: str) -> Statute:
    kind = _text(entry, "kind", label)
    if kind not in STATUTE_KINDS:
        raise InputError(label, f"field 'kind' is {kind!r}; use one of {', '.join(STATUTE_KINDS)}")
    replaces = tuple(_statute_id(v, label, "replaces") for v in _names(entry, "replaces", label))
    return Statute(
        sfs=_statute_id(_text(entry, "id", label), label, "id"),
        title=_text(entry, "title", label),
        short_names=_names(entry, "short_names", label),
        abbreviations=_names(entry, "abbreviations", label),
        english_names=_names(entry, "english_names", label),
        in_force=_date(entry, "in_force", label),
        repealed=_date(entry, "repealed", label),
        replaced_by=_statute_id(_text(entry, "replaced_by", label, required=False), label, "replaced_by"),
        replaces=replaces,
        kind=kind,
        source=_text(entry, "source", label),
    )


def _authority(entry: dict[str, Any], label: str) -> Authority:
    return Authority(
        id=_text(entry, "id", label),
        name=_text(entry, "name", label),
        aliases=_names(entry, "aliases", label),
        english_names=_names(entry, "english_names", label),
        renamed_to=_text(entry, "renamed_to", label, required=False),
        renamed_on=_date(entry, "renamed_on", label),
        source=_text(entry, "source", label),
    )


def _case(entry: dict[str, Any], label: str) -> CaseFact:
    date = _date(entry, "date", label)
    if date is None:
        raise InputError(label, "field 'date' is missing; write the decision date as YYYY-MM-DD")
    return CaseFact(
        id=_text(entry, "id", label),
        authority=_text(entry, "authority", label),
        reference=_text(entry, "reference", label),
        date=date,
        summary=_text(entry, "summary", label),
        overturned_by=_text(entry, "overturned_by", label, required=False),
        overturned_on=_date(entry, "overturned_on", label),
        court=_text(entry, "court", label, required=False),
        source=_text(entry, "source", label),
    )


def _glossary(path: Path) -> dict[str, list[str]]:
    data = _read_yaml(path)
    items = data.get("glossary") if isinstance(data, dict) else None
    if not isinstance(items, dict):
        raise InputError(str(path), "expected a top-level 'glossary:' mapping of English term -> Swedish terms")
    glossary: dict[str, list[str]] = {}
    for term, swedish in items.items():
        label = f"{path}: entry {term!r}"
        if isinstance(swedish, str):
            swedish = [swedish]
        if not isinstance(swedish, list) or not swedish:
            raise InputError(label, "expected a non-empty list of Swedish terms")
        glossary[" ".join(str(term).lower().split())] = [" ".join(str(s).split()) for s in swedish]
    return glossary


def _statute_forms(statute: Statute) -> list[str]:
    forms = [f for name in statute.short_names for f in inflections(name)]
    return forms + list(statute.abbreviations) + list(statute.english_names)


def _name_index(pairs: Any, what: str, directory: Path | None) -> dict[str, str]:
    """Case-folded name -> id; the same name for two different entries is an error."""
    index: dict[str, str] = {}
    for name, target in pairs:
        key = _fold(name)
        if key in index and index[key] != target:
            raise InputError(
                f"{directory}/{what}s.yaml" if directory else f"{what} registry",
                f"the name {name!r} is given to both {index[key]} and {target}; keep it on one entry",
            )
        index[key] = target
    return index


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _is_abbreviation(name: str) -> bool:
    return len(name) <= 6 and " " not in name and any(c.isupper() for c in name[1:])


def _display(authority: Authority) -> str:
    short = next((a for a in authority.aliases if _is_abbreviation(a)), None)
    return f"{authority.name} ({short})" if short else authority.name
