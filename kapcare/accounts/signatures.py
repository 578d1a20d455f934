"""Typed-name signatures: a person signs by typing their full name as the clinic has it."""


def typed_name_matches(typed: str, full_name: str) -> bool:
    """True when `typed` is `full_name` up to letter case and spacing (extra or doubled spaces,
    as people type on a tablet). Used by prescribers' decisions and orders, and client consent."""
    return " ".join(typed.split()).casefold() == " ".join(full_name.split()).casefold()
