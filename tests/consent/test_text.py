"""Laying out a consent document's plain text: section headings become headings, no word is
lost or moved (the signature covers the exact text)."""

from hypothesis import given
from hypothesis import strategies as st

from kapcare.consent.defaults import DEFAULT_BODY
from kapcare.consent.templatetags.consent_text import Block, split_blocks


def test_numbered_section_titles_become_headings_and_the_intro_stays_a_paragraph():
    blocks = split_blocks(DEFAULT_BODY)

    assert blocks[0].heading == ""
    assert blocks[0].text.startswith("This document explains")
    headings = [b.heading for b in blocks if b.heading]
    assert headings[:2] == ["1. What the treatment is", "2. Off-label use"]
    assert len(headings) == 11
    assert blocks[2].heading == "2. Off-label use"
    assert blocks[2].text.startswith("Racemic ketamine is approved")


def test_a_sentence_or_a_lone_line_is_never_taken_for_a_heading():
    body = "Please read this.\nThen sign.\n\nShort line on its own\n\nA title\nIts text."

    assert split_blocks(body) == [
        Block("", "Please read this.\nThen sign."),
        Block("", "Short line on its own"),
        Block("A title", "Its text."),
    ]


def test_windows_line_ends_and_blank_runs_are_tolerated():
    assert split_blocks("A title\r\nIts text.\r\n\r\n\r\n\r\nMore.") == [
        Block("A title", "Its text."),
        Block("", "More."),
    ]


@given(st.text(alphabet=st.sampled_from("ab .:\n\r\t"), max_size=200))
def test_every_word_of_the_text_is_shown_in_order(body):
    shown = " ".join(f"{b.heading} {b.text}" for b in split_blocks(body))
    assert shown.split() == body.split()
