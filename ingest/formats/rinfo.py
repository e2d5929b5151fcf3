"""Lagrummet/rinfo documents: rpubl RDF/XML metadata and XHTML+RDFa documents.

Rättsinformationssystemet (lagrummet.se) publishes every document as an Atom entry whose
content is either an RDF/XML description in the rpubl vocabulary (metadata only: an amendment,
a ruling's record) or an XHTML document carrying the same metadata as RDFa (`<base href>` is
the document's URI, `<meta property>` / `<link rel>` / `property` attributes its statements)
and the text itself. `lagrum sync` reads the entries of such feeds (`ingest.sync.atom`); a
recorded file can be ingested directly with `lagrum ingest FILE --format rinfo`.

>>> fields = next(read(Path("1999_175_grund.xhtml").read_bytes(), "1999_175_grund.xhtml"))  # doctest: +SKIP
>>> fields["id"], fields["identifiers"][0], fields["in_force_date"]  # doctest: +SKIP
('sfs-1999-175', 'SFS 1999:175', '1999-05-01')

Ids follow the document's rinfo URI, so the same document gets the same id from any feed:

* a statute in a series with year and number (`rpubl:forfattningssamling`/`rpubl:fsNummer`,
  or `rpubl:arsutgava` + `rpubl:lopnummer`) is `SERIES-YEAR-NUMBER`: `sfs-1999-175`. An
  amendment is its own SFS number (`sfs-2000-80`) and carries `amends` -> "SFS 1999:175";
* a version of a statute adds the URI's version part: the consolidation
  `.../publ/sfs/1999:175/konsolidering/2011-05-02` is `sfs-1999-175-konsolidering-2011-05-02`;
* anything else is the URI path after `/publ/`, lower case, with `:`, `/`, `_` and spaces as
  `-`: `.../publ/dom/hd/t170-08` is `dom-hd-t170-08`.

Metadata-only RDF becomes a short text of its title and statements (identifier, dates, what it
amends), so that the record is findable and cited like any other document.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterator

from lagrum.errors import InputError

from ingest.formats import Fields, NativeFormat

RPUBL = "http://rinfo.lagrummet.se/ns/2008/11/rinfo/publ#"
DCT = "http://purl.org/dc/terms/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
FOAF = "http://xmlns.com/foaf/0.1/"
XHTML = "http://www.w3.org/1999/xhtml"
RINFO_PUBL = "http://rinfo.lagrummet.se/publ/"
PREFIXES = {"rpubl": RPUBL, "dct": DCT, "dcterms": DCT, "rdf": RDF, "rdfs": RDFS, "foaf": FOAF}
MAX_BYTES = 20_000_000

# rpubl classes -> Lagrum document types.
DOC_TYPES = {
    "Lag": "lag",
    "Forordning": "förordning",
    "Myndighetsforeskrift": "förordning",
    "KonsolideradGrundforfattning": "",  # lag or förordning, from the title
    "VagledandeDomstolsavgorande": "dom",
    "VagledandeMyndighetsavgorande": "beslut",
    "Rattsfallsreferat": "dom",
    "Rattsfallsnotis": "dom",
    "Kommittedirektiv": "förarbete",
    "Proposition": "förarbete",
    "Utredningsbetankande": "förarbete",
    "Forordningsmotiv": "förarbete",
    "AllmannaRad": "vägledning",
}
# Statements kept as metadata, under Lagrum's names.
DATE_FIELDS = {
    "utfardandedatum": "issued_date",
    "ikrafttradandedatum": "in_force_date",
    "beslutsdatum": "decision_date",
    "avgorandedatum": "decision_date",
    "issued": "published_date",
}
_SERIES = re.compile(r"/serie/fs/([^/#]+)$")


def sniff(data: bytes, where: str) -> bool:
    """An rpubl RDF/XML description, or XHTML whose base is a rinfo URI (ferenda's XHTML,
    which uses the rpubl vocabulary too, names lagen.nu URIs instead)."""
    head = data[:6000]
    if RPUBL.encode() not in head and b"rinfo.lagrummet.se/ns/" not in head:
        return False
    if re.search(rb"<rdf:RDF\b", head):
        return True
    return bool(re.search(rb"<base\s+href=\"http://rinfo\.lagrummet\.se/publ/", head))


def read(data: bytes, where: str) -> Iterator[Fields]:
    """One document of fields per rinfo document (RDF/XML or XHTML+RDFa)."""
    if len(data) > MAX_BYTES:
        raise InputError(where, f"{len(data) / 1e6:.1f} MB is too large for a rinfo document; split it or raise LAGRUM_MAX_FILE_MB")
    root = _parse(data, where)
    tag = _local(root.tag)
    if tag == "RDF":
        yield _from_rdf(root, where)
    elif tag == "html":
        yield _from_xhtml(root, where)
    else:
        raise InputError(where, f"not a rinfo document: the root element is <{tag}>, expected <rdf:RDF> or <html>")


# --- parsing ---------------------------------------------------------------------------


def _parse(data: bytes, where: str):
    from lxml import etree

    # No DTDs, no entities, no network: a rinfo document needs none of them.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        if b"<html" in data[:4000]:
            try:  # XHTML written with HTML entities (&nbsp;) is still readable as HTML
                from lxml import html

                root = html.fromstring(data, parser=html.HTMLParser(no_network=True, remove_comments=True))
                if root is not None and _local(root.tag) == "html":
                    return root
            except Exception:
                pass
        raise InputError(where, f"malformed XML ({exc}); the file is damaged or not a rinfo document") from None


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


class _Statements:
    """The statements about one resource: property name (prefix:local) -> values (strings)."""

    def __init__(self, uri: str):
        self.uri = uri
        self.values: dict[str, list[str]] = {}

    def add(self, name: str, value: str) -> None:
        value = _clean(value)
        if value and value not in self.values.setdefault(name, []):
            self.values[name].append(value)

    def first(self, *names: str) -> str:
        for name in names:
            if self.values.get(name):
                return self.values[name][0]
        return ""

    def all(self, name: str) -> list[str]:
        return list(self.values.get(name, []))


def _qname(tag: str) -> str:
    ns, local = _ns(tag), _local(tag)
    for prefix, uri in PREFIXES.items():
        if ns == uri:
            return f"{'dct' if prefix == 'dcterms' else prefix}:{local}"
    return f"{ns}{local}"


def _expand(curie: str, nsmap: dict[str | None, str]) -> str:
    """`rpubl:andrar` in an RDFa attribute -> our prefix:local name."""
    curie = curie.strip()
    if ":" in curie and not curie.startswith("http"):
        prefix, local = curie.split(":", 1)
        uri = nsmap.get(prefix) or PREFIXES.get(prefix, "")
        for known, known_uri in PREFIXES.items():
            if uri == known_uri:
                return f"{'dct' if known == 'dcterms' else known}:{local}"
    return curie


# --- RDF/XML ---------------------------------------------------------------------------


def _from_rdf(root, where: str) -> Fields:
    nodes = [n for n in root if isinstance(n.tag, str)]
    if not nodes:
        raise InputError(where, "the RDF holds no description; expected an rdf:Description of the document")
    main = next((n for n in nodes if (n.get(f"{{{RDF}}}about") or "").startswith(RINFO_PUBL)), nodes[0])
    about = main.get(f"{{{RDF}}}about") or ""
    st = _Statements(about)
    if _local(main.tag) != "Description":
        st.add("rdf:type", main.tag[1:].replace("}", "") if main.tag.startswith("{") else main.tag)
    for prop in main:
        if not isinstance(prop.tag, str):
            continue
        name = _qname(prop.tag)
        resource = prop.get(f"{{{RDF}}}resource")
        if resource:
            st.add(name, resource)
            continue
        nested = [c for c in prop if isinstance(c.tag, str)]
        if nested:  # a blank node: the department's foaf:name, a subject's rdfs:label
            labels = [_clean(c.text) for n in nested for c in n.iter() if _local(c.tag) in ("name", "label") and _clean(c.text)]
            for label in labels:
                st.add(name, label)
            continue
        st.add(name, prop.text or "")
    return _fields(st, body_lines=[], where=where)


# --- XHTML + RDFa ----------------------------------------------------------------------


_BLOCKS = {"p", "div", "pre", "li", "dd", "dt", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "blockquote", "table", "ul", "ol", "dl"}
_SKIP = {"script", "style", "head", "title"}


def _from_xhtml(root, where: str) -> Fields:
    nsmap = dict(root.nsmap) if hasattr(root, "nsmap") else {}
    base = next((e.get("href") for e in root.iter() if _local(e.tag) == "base" and e.get("href")), "")
    st = _Statements(base)
    body = next((e for e in root if _local(e.tag) == "body"), None)
    if body is not None and body.get("typeof"):
        st.add("rdf:type", _expand(body.get("typeof"), nsmap))
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local = _local(element.tag)
        if element.get("about") and element.get("about") != base and local not in ("html", "body"):
            continue  # statements about another resource
        prop = element.get("property")
        if prop:
            value = element.get("content")
            if value is None:
                value = "".join(element.itertext())
            for name in prop.split():
                st.add(_expand(name, nsmap), value)
        rel = element.get("rel")
        if rel and element.get("href") and local in ("link", "a"):
            for name in rel.split():
                if ":" in name:
                    st.add(_expand(name, nsmap), element.get("href"))
    title = next((_clean("".join(e.itertext())) for e in root.iter() if _local(e.tag) == "title"), "")
    if title:
        st.values.setdefault("html:title", [title])
    lines = _body_lines(body) if body is not None else []
    return _fields(st, lines, where)


def _body_lines(body) -> list[str]:
    """The body's text as lines: headings and block elements on lines of their own, a `<pre>`
    (a consolidated statute's text) kept line by line, the metadata preamble left out."""
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        text = _clean("".join(current))
        if text:
            lines.append(text)
        current.clear()

    def walk(element) -> None:
        local = _local(element.tag) if isinstance(element.tag, str) else ""
        if local in _SKIP or (local == "div" and "preambel" in (element.get("class") or "")):
            if element.tail:
                current.append(element.tail)
            return
        if local == "pre":  # hard-wrapped paragraphs separated by empty lines: one line each
            flush()
            for paragraph in re.split(r"\n\s*\n", "".join(element.itertext())):
                lines.append(_clean(paragraph))
                lines.append("")
            if element.tail:
                current.append(element.tail)
            return
        block = local in _BLOCKS
        if block:
            flush()
        if local == "br":
            flush()
        if element.text and local:
            current.append(element.text)
        for child in element:
            walk(child)
        if block:
            flush()
        if element.tail:
            current.append(element.tail)

    walk(body)
    flush()
    # Collapse runs of empty lines (a <pre> keeps its paragraph breaks as one empty line).
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return out


# --- mapping ---------------------------------------------------------------------------


def _fields(st: _Statements, body_lines: list[str], where: str) -> Fields:
    uri = st.uri
    types = [t.rsplit("#", 1)[-1].rsplit(":", 1)[-1] for t in st.all("rdf:type")]
    rinfo_type = next((t for t in types if t in DOC_TYPES), types[0] if types else "")
    title = st.first("dct:title", "html:title")
    identifier = st.first("dct:identifier")
    series, year, number = _series_numbers(st, uri)
    fs_identifier = f"{series.upper()} {year}:{number}" if series and year and number else ""
    doc_id = _doc_id(uri, series, year, number)
    if not doc_id:
        raise InputError(where, "the document has no rinfo URI (rdf:about or <base href>) and no series number; cannot give it a stable id")
    if not title and not body_lines:
        raise InputError(where, "the rinfo document has neither a title (dct:title) nor text; nothing to index")

    identifiers: list[str] = []
    for value in (identifier, fs_identifier):
        if value and value not in identifiers and not (value is fs_identifier and identifier.replace(".", "").upper() == fs_identifier):
            identifiers.append(value)
    for malnummer in st.all("rpubl:malnummer"):
        identifiers.append(f"mål {malnummer}")
    if uri:
        identifiers.append(uri)

    full_title, title = title, _short_title(title, identifier, st)
    fields: Fields = {"id": doc_id, "title": title or identifier, "language": "sv", "url": uri if uri.startswith("http") else ""}
    doc_type = DOC_TYPES.get(rinfo_type, "övrigt")
    if rinfo_type == "KonsolideradGrundforfattning" or not doc_type:
        doc_type = "förordning" if "förordning" in (title or "").lower() else "lag"
    fields["doc_type"] = doc_type
    fields["identifiers"] = identifiers
    fields["rinfo_type"] = rinfo_type
    for short, name in DATE_FIELDS.items():
        for prefix in ("rpubl", "dct"):
            value = st.first(f"{prefix}:{short}")
            if value and name not in fields and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value[:10]):
                fields[name] = value[:10]
    fields["date"] = fields.get("issued_date") or fields.get("decision_date") or fields.get("published_date") or fields.get("in_force_date")
    publisher = st.first("dct:publisher")
    if publisher:
        fields["publisher"] = publisher
        fields["source"] = _organisation(publisher)
    department = st.first("rpubl:departement")
    if department:
        fields["department"] = department

    relations = []
    for prop, kind in (("rpubl:andrar", "amends"), ("rpubl:upphaver", "repeals"), ("rpubl:ersatter", "replaces")):
        for target in st.all(prop):
            relations.append({"type": kind, "target": _citation(target)})
    if relations:
        fields["relations"] = relations
    consolidates = st.all("rpubl:konsoliderar")
    if consolidates:
        fields["consolidates"] = _citation(consolidates[0])
    basis = st.all("rpubl:konsolideringsunderlag")
    if basis:
        fields["consolidation_basis"] = [_citation(b) for b in basis]
    subjects = st.all("dct:subject")
    if subjects:
        fields["subjects"] = subjects

    text_lines = body_lines or _metadata_lines(st, fields, full_title, identifiers, relations)
    fields["text"] = "\n".join(text_lines).strip()
    return fields


def _short_title(title: str, identifier: str, st: _Statements) -> str:
    """A ruling's dct:title is often its whole summary: the title is its first part (up to
    "-----" or 200 characters), the rest stays in the text."""
    title = title.strip().rstrip(";,")
    if len(title) <= 200:
        return title
    head = title.split("-----", 1)[0].strip()
    if len(head) > 200:
        head = head[:197].rsplit(" ", 1)[0] + "…"
    return head


# rinfo organisation URIs (…/org/NAME) spell å, ä, ö as aa, ae, oe; the common ones by name.
ORGANISATIONS = {
    "regeringskansliet": "Regeringskansliet",
    "riksdagen": "Riksdagen",
    "domstolsverket": "Domstolsverket",
    "hoesta_domstolen": "Högsta domstolen",
    "hoegsta_domstolen": "Högsta domstolen",
    "hoegsta_foervaltningsdomstolen": "Högsta förvaltningsdomstolen",
    "regeringsraetten": "Regeringsrätten",
    "mark-_och_miljoeoeverdomstolen": "Mark- och miljööverdomstolen",
    "miljoeoeverdomstolen": "Miljööverdomstolen",
    "arbetsdomstolen": "Arbetsdomstolen",
    "marknadsdomstolen": "Marknadsdomstolen",
    "datainspektionen": "Datainspektionen",
    "integritetsskyddsmyndigheten": "Integritetsskyddsmyndigheten",
}


def _organisation(uri: str) -> str:
    slug = uri.rstrip("/").rsplit("/", 1)[-1]
    if slug in ORGANISATIONS:
        return ORGANISATIONS[slug]
    name = slug.replace("_", " ")
    return name[:1].upper() + name[1:]


def _series_numbers(st: _Statements, uri: str) -> tuple[str, str, str]:
    series = ""
    fs = st.first("rpubl:forfattningssamling")
    if fs and _SERIES.search(fs):
        series = _SERIES.search(fs).group(1)
    year, number = st.first("rpubl:arsutgava"), st.first("rpubl:lopnummer")
    fs_nummer = st.first("rpubl:fsNummer")
    if fs_nummer and ":" in fs_nummer and not (year and number):
        year, number = (part.strip() for part in fs_nummer.split(":", 1))
    match = re.match(re.escape(RINFO_PUBL) + r"([a-z-]+)/(\d{4}):([^/#]+)", uri)
    if match:  # the URI names the series and number when the statements do not
        series = series or match.group(1)
        year, number = year or match.group(2), number or match.group(3)
    if not series:
        return "", "", ""
    return series, year, number


def _doc_id(uri: str, series: str, year: str, number: str) -> str:
    path = uri[len(RINFO_PUBL) :] if uri.startswith(RINFO_PUBL) else ""
    path = path.split("#", 1)[0].strip("/")
    if series and year and number:
        base = f"{series}-{year}-{number}"
        version = ""
        match = re.match(rf"{re.escape(series)}/{re.escape(year)}:{re.escape(number)}/(.+)", path)
        if match:
            version = match.group(1)
        return _slug(f"{base}-{version}" if version else base)
    return _slug(path)


def _slug(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value.lower())
    ascii_value = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9.]+", "-", ascii_value.replace("_", "-")).strip("-.")


def _citation(uri: str) -> str:
    """`http://rinfo.lagrummet.se/publ/sfs/1999:175` -> `SFS 1999:175` (other URIs stay)."""
    match = re.match(re.escape(RINFO_PUBL) + r"([a-z-]+)/(\d{4}:[^/#]+)$", uri)
    return f"{match.group(1).upper()} {match.group(2)}" if match else uri


def _metadata_lines(st: _Statements, fields: Fields, title: str, identifiers: list[str], relations: list[dict[str, str]]) -> list[str]:
    lines = [title or identifiers[0]]
    if identifiers and identifiers[0] != title:
        lines.append(identifiers[0])
    labels = {
        "issued_date": "Utfärdad",
        "decision_date": "Beslutad",
        "in_force_date": "Ikraftträdande",
        "published_date": "Publicerad",
    }
    for key, label in labels.items():
        if fields.get(key):
            lines.append(f"{label}: {fields[key]}")
    verbs = {"amends": "Ändrar", "repeals": "Upphäver", "replaces": "Ersätter"}
    for relation in relations:
        lines.append(f"{verbs[relation['type']]}: {relation['target']}")
    for malnummer in st.all("rpubl:malnummer"):
        lines.append(f"Mål nr: {malnummer}")
    if fields.get("department"):
        lines.append(f"Departement: {fields['department']}")
    if fields.get("subjects"):
        lines.append("Ämnen: " + ", ".join(fields["subjects"]))
    for lagrum in st.all("rpubl:lagrum"):
        lines.append(f"Lagrum: {_citation(lagrum.split('#')[0])}")
    return lines


FORMAT = NativeFormat(
    name="rinfo",
    suffixes=(".xml", ".xhtml", ".rdf", ".html", ".htm"),
    sniff=sniff,
    read=read,
    description="lagrummet/rinfo documents: rpubl RDF/XML metadata or XHTML+RDFa (lagrum sync reads them from Atom feeds)",
)
