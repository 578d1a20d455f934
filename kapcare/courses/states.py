"""The TreatmentCourse state machine: the one table of allowed transitions (DESIGN.md)."""

from kapcare.courses.models import CourseStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCREENING: frozenset({S.AWAITING_CONSENT, S.DISCONTINUED}),
    S.AWAITING_CONSENT: frozenset({S.PREPARATION, S.DISCONTINUED}),
    S.PREPARATION: frozenset({S.ACTIVE, S.PAUSED, S.DISCONTINUED}),
    S.ACTIVE: frozenset({S.COMPLETED, S.PAUSED, S.DISCONTINUED}),
    # A paused course resumes in the phase it was paused from (checked by the service).
    S.PAUSED: frozenset({S.PREPARATION, S.ACTIVE, S.DISCONTINUED}),
    S.COMPLETED: frozenset(),
    S.DISCONTINUED: frozenset(),
}

# Moving into these needs a reason in words; it is kept with the status change.
REASON_REQUIRED: frozenset[str] = frozenset({S.PAUSED, S.DISCONTINUED})

# The order a course moves forward in by itself once each phase's requirements are met.
FORWARD: dict[str, str] = {
    S.SCREENING: S.AWAITING_CONSENT,
    S.AWAITING_CONSENT: S.PREPARATION,
    S.PREPARATION: S.ACTIVE,
}

# A closed course is over: every other status is an open course (one per client at a time).
CLOSED: frozenset[str] = frozenset({S.COMPLETED, S.DISCONTINUED})
# The same, named positively: `status IN (OPEN)` can use the (clinic, status) index, where
# `NOT IN (CLOSED)` made PostgreSQL scan every course of every clinic.
OPEN: tuple[str, ...] = tuple(s for s in S.values if s not in CLOSED)

# Before the client has begun treatment: still being screened or waiting for consent.
BEFORE_PREPARATION: frozenset[str] = frozenset({S.SCREENING, S.AWAITING_CONSENT})

# A prospective client whose course reaches these has begun treatment: from then on the
# record says "in care" everywhere, without anyone having to remember to edit it.
IN_CARE_FROM: frozenset[str] = frozenset({S.PREPARATION, S.ACTIVE})


def allowed_targets(status: str) -> frozenset[str]:
    return TRANSITIONS[status]
