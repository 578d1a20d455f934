"""Hash chains: the generic part shared by the audit trail and the controlled-substance ledger.

A chain is a sequence of append-only rows, numbered 1, 2, 3… within a scope (a clinic), each
storing the SHA-256 of its own content including the previous row's hash, and a head row that
says where the chain ends. Appends lock the head (`locked_head`) so one scope's rows are
numbered one at a time; `verify_rows` recomputes a chain and names its first bad row.

What a row holds and what else a chain must prove (the ledger's running balances) stays with
its owner: kapcare/ledger/chain.py, kapcare/audit/chain.py. Nothing here imports a domain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction

GENESIS_HASH = "0" * 64

Head = TypeVar("Head", bound=models.Model)

_AS_IS = frozenset({type(None), bool, int, str})


def canonical_value(value: Any) -> Any:
    """One field as it goes into the hash: the same text whichever database returned it."""
    kind = type(value)
    if kind in _AS_IS:  # most fields; checked first because verify runs this per field
        return value
    if isinstance(value, Decimal):
        # normalize() makes 1.500 and 1.5 (SQLite and PostgreSQL can differ in trailing zeros)
        # the same; a zero is written "0" whatever its sign or exponent.
        return "0" if value == 0 else format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise ValueError("hashed times must be aware")
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # A JSON number: PostgreSQL's jsonb may hand 1e20 back as an integer.
        return canonical_value(Decimal(repr(value)))
    if isinstance(value, Mapping):
        return {str(key): canonical_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [canonical_value(item) for item in value]
    raise TypeError(f"cannot hash a {type(value).__name__}")


def canonical_content(fields: Mapping[str, Any]) -> bytes:
    """Deterministic JSON of every recorded field: sorted keys, no spaces, UTF-8."""
    normalised = {key: canonical_value(value) for key, value in fields.items()}
    return json.dumps(
        normalised, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def content_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the canonical content; `fields` includes the previous row's hash."""
    return hashlib.sha256(canonical_content(fields)).hexdigest()


def locked_head(model: type[Head], **key: Any) -> Head:
    """The chain head `model` row matching `key`, locked for the rest of the transaction;
    created (at sequence 0 and the genesis hash) the first time."""
    try:
        return model.objects.select_for_update().get(**key)
    except model.DoesNotExist:
        pass
    try:
        # Two first-ever appends can race to create the head; the loser reads the winner's.
        with transaction.atomic():
            model.objects.create(**key)
    except IntegrityError:
        pass
    return model.objects.select_for_update().get(**key)


@dataclass(frozen=True)
class ChainCheck:
    """The result of `verify_rows`: how many rows were sound, and the first problem if any."""

    checked: int
    last_hash: str
    problem: str = ""
    bad_id: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problem


def verify_rows(
    rows: Iterable[tuple[int, str, dict[str, Any]]],
    *,
    head_sequence: int,
    head_hash: str,
    noun: str = "entry",
    plural: str = "entries",
    check: Callable[[dict[str, Any]], str] | None = None,
) -> ChainCheck:
    """Recompute a chain from its first row; stop at the first bad one.

    `rows` yields (id, stored hash, hashed values incl. "sequence" and "prev_hash") in sequence
    order. Checks, row by row: numbering without gaps or repeats and within the head, the row's
    own hash against its content, the link to the previous row's hash, and `check(values)`
    (the owner's own rule: a non-empty answer is the problem). Then the head must end where
    the rows do (rows removed from the end, or a head moved, show here).
    """
    expected, prev_hash, checked = 1, GENESIS_HASH, 0
    for row_id, stored_hash, values in rows:
        number = values["sequence"]
        label = f"{noun} #{number} (id {row_id})"
        if number > head_sequence:
            problem = (
                f"{label} is beyond the chain head (#{head_sequence}): it was not written by "
                "kapcare"
            )
            return ChainCheck(checked, prev_hash, problem, row_id)
        if number != expected:
            what = "repeats a number" if number < expected else "follows a gap"
            return ChainCheck(checked, prev_hash, f"{label} {what}: expected #{expected}", row_id)
        if content_hash(values) != stored_hash:
            problem = f"{label} does not match its hash: its content was altered"
            return ChainCheck(checked, prev_hash, problem, row_id)
        if values["prev_hash"] != prev_hash:
            problem = (
                f"{label} does not link to {noun} #{number - 1}: one of them was altered or "
                "replaced"
            )
            return ChainCheck(checked, prev_hash, problem, row_id)
        if check is not None and (problem := check(values)):
            return ChainCheck(checked, prev_hash, f"{label} {problem}", row_id)
        prev_hash, expected, checked = stored_hash, number + 1, checked + 1
    if checked != head_sequence or prev_hash != head_hash:
        problem = (
            f"the chain head says #{head_sequence} but the {plural} end at #{checked}: "
            f"{plural} were removed or the head was changed"
        )
        return ChainCheck(checked, prev_hash, problem)
    return ChainCheck(checked, prev_hash)
