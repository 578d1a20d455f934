"""The DiscrepancyCase state machine: the one table of allowed transitions."""

from kapcare.ledger.models import CaseStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.RESOLVED, S.OVERRIDDEN}),
    # Closed cases are final (a database trigger refuses changes to them). A later count that
    # finds another difference opens a new case.
    S.RESOLVED: frozenset(),
    S.OVERRIDDEN: frozenset(),
}

# Closing a case with an adjustment changes the books, so a witness signs it too.
WITNESS_REQUIRED: frozenset[str] = frozenset({S.RESOLVED})


def allowed_targets(status: str) -> frozenset[str]:
    return TRANSITIONS[status]
