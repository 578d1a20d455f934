"""Issue 10 item 25: clinicians see a source's title, not the internal FACTS.md reference."""

import pytest

from kapcare.core.sources import source_title
from kapcare.core.templatetags.sentences import sentence
from kapcare.screening.default_rules import DEFAULT_RULES


@pytest.mark.parametrize(
    ("internal", "shown"),
    [
        (
            "FACTS.md §3.3 Benzodiazepines [K][?]",
            "Ketamine drug interactions: Benzodiazepines (not verified)",
        ),
        (
            "FACTS.md §3.1 (Spravato USPI) [V]",
            "Esketamine (Spravato) prescribing information (Spravato USPI)",
        ),
        ("FACTS.md §1.1, §8", "PHQ-9 (Kroenke, Spitzer & Williams 2001)"),
        ("Kroenke 2001", "Kroenke 2001"),
        ("", ""),
    ],
)
def test_a_facts_reference_becomes_the_sources_title(internal, shown):
    assert source_title(internal) == shown


def test_no_default_rule_shows_an_internal_reference():
    for rule in DEFAULT_RULES:
        shown = source_title(rule["source"])
        assert shown, rule["key"]
        for internal in ("FACTS", "§", "[K]", "[V]", "[?]"):
            assert internal not in shown, (rule["key"], shown)


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Ondansetron 4 mg.", "Ondansetron 4 mg."),
        ("Ondansetron 4 mg", "Ondansetron 4 mg."),
        ("Better?", "Better?"),
        ("", ""),
        ("  Rest.  ", "Rest."),
    ],
)
def test_a_typed_value_set_into_a_sentence_ends_with_one_period(typed, shown):
    assert sentence(typed) == shown
