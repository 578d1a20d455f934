"""Typed-name signatures: a person signs by typing their full name as the clinic has it."""


def typed_name_matches(typed: str, full_name: str) -> bool:
    """True when `typed` is `full_name` up to letter case and spacing (extra or doubled spaces,
    as people type on a tablet). Used by prescribers' decisions and orders, and client consent.

    The rule is the whole name as shown, titles and punctuation included: "Elena Novak" does not
    sign for "Dr. Elena Novak" (nor "Dr Elena Novak"), so the signature is exactly the name
    the record will print."""
    return " ".join(typed.split()).casefold() == " ".join(full_name.split()).casefold()
