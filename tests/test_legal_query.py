"""Query parsing: language, the provisions a query names, and the expanded text for Swedish BM25."""

from __future__ import annotations

import pytest

from lagrum.legal.query import ParsedQuery, expand_terms, parse_query
from lagrum.legal.registry import default_registry


def words(parsed: ParsedQuery) -> list[str]:
    return parsed.lexical_text.split()


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Vad säger KÖL 23 §?", ["SFS 2013:460 23 §"]),
        ("GDPR art. 88 och anställda", ["EU 2016/679 art. 88"]),
        ("23 § lagen (2013:460)", ["SFS 2013:460 23 §"]),
        ("kameraövervakningslagen och mål 383-16", ["SFS 2013:460", "mål 383-16"]),
        ("Gäller HFD 2016 ref. 12 fortfarande?", ["HFD 2016 ref. 12"]),
        ("What was DI-2019-1234 (fictional) about?", ["dnr DI-2019-1234"]),
        ("Får arbetsgivaren spela in skärmar?", []),
    ],
)
def test_provisions_found_in_the_query(query, expected):
    assert parse_query(query).provisions == expected


def test_language_is_detected_and_can_be_given():
    assert parse_query("is mandatory webcam use legal").language == "en"
    assert parse_query("Får arbetsgivaren spela in skärmar?").language == "sv"
    assert parse_query("GDPR art. 88", "en").language == "en"


def test_registry_and_language_in_any_supported_position():
    registry = default_registry()
    assert parse_query("KÖL 23 §", registry).provisions == ["SFS 2013:460 23 §"]
    assert parse_query("KÖL 23 §", "sv", registry).provisions == ["SFS 2013:460 23 §"]
    with pytest.raises(ValueError, match="language 'de'"):
        parse_query("KÖL 23 §", "de")


def test_lexical_text_starts_with_the_query_as_typed():
    query = "Vad sa DI om webbkameror?"
    assert parse_query(query).lexical_text.startswith(query)


def test_renamed_authority_aliases_expand_both_ways():
    assert {"Datainspektionen", "IMY", "Integritetsskyddsmyndigheten"} <= set(words(parse_query("Vad sa DI om webbkameror?")))
    assert {"Datainspektionen", "DI"} <= set(words(parse_query("IMY och kameror")))
    # The genitive still names the authority.
    assert "IMY" in words(parse_query("Datainspektionens beslut om webbkameror"))


def test_lower_case_di_is_not_an_alias():
    assert parse_query("di och da").lexical_text == "di och da"


def test_statute_abbreviation_and_name_expand_each_other():
    assert "kameraövervakningslagen" in words(parse_query("KÖL 23 §"))
    assert "KÖL" in words(parse_query("kameraövervakningslagen och skyltning"))
    # A statute named by its number also brings its name.
    assert "kameraövervakningslagen" in words(parse_query("23 § lagen (2013:460)"))


def test_expansions_are_deduplicated_and_skip_words_already_there():
    parsed = parse_query("Datainspektionen och DI om kameraövervakningslagen och KÖL")
    expansion = words(parsed)[len(parsed.text.split()) :]
    assert len(expansion) == len({w.casefold() for w in expansion})
    assert "Datainspektionen" not in expansion and "KÖL" not in expansion


@pytest.mark.parametrize(
    "query, expected",
    [
        ("is mandatory webcam use legal", {"webbkamera", "obligatorisk", "laglig", "tillåten"}),
        ("Can employers require employees to use webcams?", {"arbetsgivare", "anställd", "arbetstagare", "webbkamera"}),
        ("Is surveillance of staff allowed without consent?", {"kameraövervakning", "kamerabevakning", "övervakning", "samtycke"}),
        ("camera surveillance at the employer's office", {"kameraövervakning", "kamerabevakning", "arbetsgivare"}),
    ],
)
def test_english_queries_get_swedish_glossary_terms(query, expected):
    parsed = parse_query(query)
    assert parsed.language == "en"
    assert expected <= set(words(parsed))


def test_english_authority_name_expands_to_swedish_names_not_word_by_word():
    parsed = parse_query("was the Data Inspection Board decision overturned")
    assert {"Datainspektionen", "IMY", "beslut"} <= set(words(parsed))
    assert "tillsyn" not in words(parsed)  # "inspection" inside the name is not translated


def test_swedish_queries_get_no_glossary_terms():
    assert parse_query("Får arbetsgivaren spela in skärmar?").lexical_text == "Får arbetsgivaren spela in skärmar?"


def test_expand_terms_helper():
    assert "webbkamera" in expand_terms("webcam rules", "en")
    assert "webbkamera" not in expand_terms("webcam rules", "sv")


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Får arbetsgivaren drogtesta anställda slumpvis?", {"employer", "drug", "test"}),  # inflected and compound forms
        ("Hur snabbt ska en begäran om allmänna handlingar besvaras?", {"public", "document"}),  # a multi-word rendering
        ("Övervakningen av personalen", {"surveillance", "staff"}),
    ],
)
def test_swedish_queries_get_english_cross_terms_for_english_documents(query, expected):
    parsed = parse_query(query, "sv")
    assert expected <= {w for t in parsed.cross_terms for w in t.split()}
    assert parsed.lexical_text == query  # the Swedish BM25 query itself is left alone


def test_cross_terms_of_english_queries_are_swedish_and_short_words_do_not_match_stems():
    assert "webbkamera" in parse_query("is mandatory webcam use legal", "en").cross_terms
    assert parse_query("Hej på dig", "sv").cross_terms == []


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("webbkamera", "sv"),
        ("webbkameror hemma", "sv"),
        ("webbplatsen", "sv"),
        ("wifi på jobbet", "sv"),
        ("arbetsplatskameror", "sv"),
        ("webcam", "en"),
        ("workplace monitoring", "en"),
        ("when can my employer watch me", "en"),
        ("smartwatch tracking at work", "en"),
    ],
)
def test_language_of_short_queries_with_w(text, language):
    """A "w" is a weak English cue; Swedish compounds and "webb" loans stay Swedish."""
    from lagrum.language import detect_language

    assert detect_language(text) == language


@pytest.mark.parametrize("value", ["2020-01-01garbage", "2020-01-01T", "2020", "20-01-01", "igår"])
def test_dates_with_anything_trailing_are_refused(value):
    from lagrum.documents import parse_iso_date

    with pytest.raises(ValueError, match="not an ISO date"):
        parse_iso_date(value, "since")


@pytest.mark.parametrize("value", ["2020-01-01", "2020-01-01T12:00:00Z", "2020-01-01 12:00", "2020-01-01T23:00:00+02:00"])
def test_dates_and_timestamps_give_their_day(value):
    from lagrum.documents import parse_iso_date

    assert parse_iso_date(value, "since") == "2020-01-01"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Does an estate inventory interrupt the limitation period for a creditor?", {"bouppteckning", "preskription", "borgenär"}),
        ("Can a court try a defamation charge?", {"förtal", "åtal", "domstol"}),
        ("Must the employer inform the trade union?", {"arbetstagarorganisation", "underrätta"}),
        ("Is a land and environment court bound by the building permit?", {"miljödomstolen", "bygglov"}),
        # The parties by their English names: IMY decides on the parties' processing ("Sverigedemokraterna").
        ("Did the Sweden Democrats break the GDPR with their text messages?", {"Sverigedemokraterna"}),
        ("What did IMY decide about the Moderate Party's video greetings?", {"Moderaterna"}),
    ],
)
def test_english_legal_vocabulary_beyond_workplace_privacy_gets_its_swedish_terms(query, expected):
    # The glossary covers the fields of the real corpus (inheritance, criminal law, procedure,
    # labour law, planning), not only workplace privacy: the terms the statutes and rulings use.
    parsed = parse_query(query, "en")
    assert expected <= set(parsed.cross_terms) | {w for t in parsed.cross_terms for w in t.split()}, parsed.cross_terms
