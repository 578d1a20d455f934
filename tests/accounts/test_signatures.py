"""Issue 10 item 25: a typed signature is the full name as shown, titles included."""

import pytest

from kapcare.accounts.signatures import typed_name_matches


@pytest.mark.parametrize("typed", ["Dr. Elena Novak", "dr. elena novak", "  Dr.  Elena Novak "])
def test_the_full_name_with_its_title_signs(typed):
    assert typed_name_matches(typed, "Dr. Elena Novak")


@pytest.mark.parametrize("typed", ["Elena Novak", "Dr Elena Novak", "Novak", "Dr. Elena"])
def test_a_name_without_its_title_or_punctuation_does_not_sign(typed):
    assert not typed_name_matches(typed, "Dr. Elena Novak")
