"""Rule-based sentence splitting: abbreviations, numbers, headings, lists and exact spans."""

import pytest

from lagrum.sentences import is_heading_line, is_list_item, split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.parametrize(
    "sentence",
    [
        "Arbetsgivaren får t.ex. sätta upp kameror vid entrén.",
        "Det gäller bl.a. lager och s.k. lastkajer.",
        "Kameror, mikrofoner m.m. omfattas av policyn i dag.",
        "Skyddsombudet m.fl. yttrade sig i ärendet.",
        "Bevakningen sker dygnet runt, d.v.s. även nattetid.",
        "Bevakningen sker dygnet runt, dvs. även nattetid.",
        "Se 2 kap. 4 § i lagen om kamerabevakning.",
        "Ärendet har nr. 12 i diariet.",
        "Jfr. NJA 2011 s. 357 om samma fråga.",
        "Se prop. 2012/13:115 s. 23 om bakgrunden.",
        "Lagen SFS 2018:1200 gäller. ",
        "Det rör ca. 40 anställda på kontoret.",
        "Bolaget resp. facket fick yttra sig.",
        "Det finns 12 st. kameror i lokalen.",
        "Enligt p. 3 i avtalet gäller detta.",
        "Se art. 6 i förordningen.",
        "Han var f.d. chef för enheten.",
        "Kameror, larm o.s.v. ska dokumenteras noga.",
        "Use cameras sparingly, e.g. at the entrance only.",
        "Only one camera, i.e. the one at the gate, may record.",
        "Mr. Smith and Dr. Jones met the union.",
        "See ref. 12 and no. 4 in the annex.",
        "Datainspektionen vs. Försäkringskassan gällde webbkameror.",
        "Domen fick J. Svensson att överklaga.",
        "Avsnitt 6.1 gäller bevakning av 1.4 procent av ytan.",
        "Handläggaren refererade till kap. 3 i handboken.",
    ],
)
def test_abbreviations_initials_and_numbers_do_not_end_a_sentence(sentence):
    assert sentences(sentence) == [sentence.strip()]


def test_sentences_end_at_final_punctuation_before_a_capital():
    text = "Kamerorna sattes upp i maj. Fungerar de? Ja! Facket protesterade… Sedan kom beslutet."
    assert sentences(text) == [
        "Kamerorna sattes upp i maj.",
        "Fungerar de?",
        "Ja!",
        "Facket protesterade…",
        "Sedan kom beslutet.",
    ]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    text = 'Hon sa: "Kameran är på." Sedan gick hon. (Se bilagan.) ”Det var fel.” – Det tycker inte jag.'
    assert sentences(text) == [
        'Hon sa: "Kameran är på."',
        "Sedan gick hon.",
        "(Se bilagan.)",
        "”Det var fel.”",
        "– Det tycker inte jag.",
    ]


def test_a_lower_case_word_after_a_period_continues_the_sentence():
    assert sentences("Det gäller kameror på lagret m.m. och i butiken.") == ["Det gäller kameror på lagret m.m. och i butiken."]


def test_sentence_final_abbreviation_before_a_capital_ends_the_sentence():
    assert sentences("Kameror, larm m.m. Beslutet kom sedan.") == ["Kameror, larm m.m.", "Beslutet kom sedan."]


def test_a_year_or_statute_number_can_end_a_sentence():
    text = "Lagen trädde i kraft 2018. Den ersatte SFS 2013:460. Sedan dess gäller nya regler."
    assert sentences(text) == ["Lagen trädde i kraft 2018.", "Den ersatte SFS 2013:460.", "Sedan dess gäller nya regler."]


def test_ordinal_date_does_not_end_a_sentence():
    assert sentences("Beslutet fattades den 1. Mars var det klart.") == ["Beslutet fattades den 1. Mars var det klart."]


def test_paragraph_breaks_and_heading_lines_end_sentences():
    text = "Bakgrund\nArbetsgivaren satte upp kameror\n\nFacket klagade\n## Bedömning\nKamerorna tas ned"
    assert sentences(text) == [
        "Bakgrund",
        "Arbetsgivaren satte upp kameror",
        "Facket klagade",
        "## Bedömning",
        "Kamerorna tas ned",
    ]


def test_a_wrapped_line_continues_the_sentence():
    text = "Arbetsgivaren satte upp kameror vid\nentrén och i lagret. Facket klagade."
    assert sentences(text) == ["Arbetsgivaren satte upp kameror vid\nentrén och i lagret.", "Facket klagade."]


def test_list_items_are_separate_sentences():
    text = "Kameror får användas:\n- vid entrén\n- i lagret\n1. Första villkoret. 2. Andra villkoret\n3) tredje"
    assert sentences(text) == [
        "Kameror får användas:",
        "- vid entrén",
        "- i lagret",
        "1. Första villkoret.",
        "2. Andra villkoret",
        "3) tredje",
    ]


def test_spans_are_stripped_ordered_and_cover_all_text():
    text = "  \n Kamerabevakning på jobbet\n\n  Det var en gång en lagerlokal.  Där fanns t.ex. kameror!\n\n\n- en punkt \n"
    spans = split_sentences(text)
    covered = set()
    previous_end = 0
    for start, end in spans:
        assert start < end and start >= previous_end
        assert text[start:end] == text[start:end].strip()
        covered.update(range(start, end))
        previous_end = end
    assert {i for i, char in enumerate(text) if not char.isspace()} <= covered


def test_start_and_end_limit_the_range_and_offsets_stay_absolute():
    text = "Första meningen. Andra meningen. Tredje meningen."
    spans = split_sentences(text, 17, 32)
    assert spans == [(17, 32)]
    assert text[17:32] == "Andra meningen."
    assert split_sentences(text, 5, 5) == []


def test_invalid_range_names_the_parameters():
    with pytest.raises(ValueError, match="start=10 and end=3"):
        split_sentences("Kort text här.", 10, 3)


def test_heading_and_list_item_detection():
    assert is_heading_line("Kamerabevakning på arbetsplatsen")
    assert is_heading_line("# Bakgrund")
    assert is_heading_line("2 kap. Tillstånd")
    assert not is_heading_line("Kamerorna sattes upp.")
    assert not is_heading_line("Anna Svensson, skyddsombud")
    assert not is_heading_line("Kameror vid", next_line="entrén och lagret.")
    assert not is_heading_line("- en punkt")
    assert is_list_item("- en punkt") and is_list_item("12. punkt") and is_list_item("b) punkt")
    assert not is_list_item("23 § Kameror får användas.")
