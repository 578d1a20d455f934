"""The DosingSession state machine: the one table of allowed steps (DESIGN.md, STYLE.md).

scheduled → checked in → pre-dose checks → dosing → monitoring → discharged, or aborted (with a
reason) from any state that is not final. Each forward step has its own service in
kapcare.dosing.services; all of them move the session through `transition_session`.
"""

from kapcare.dosing.models.status import DosingStatus as S

TRANSITIONS: dict[str, frozenset[str]] = {
    S.SCHEDULED: frozenset({S.CHECKED_IN, S.ABORTED}),
    S.CHECKED_IN: frozenset({S.PRE_DOSE_CHECKS, S.ABORTED}),
    S.PRE_DOSE_CHECKS: frozenset({S.DOSING, S.ABORTED}),
    S.DOSING: frozenset({S.MONITORING, S.ABORTED}),
    S.MONITORING: frozenset({S.DISCHARGED, S.ABORTED}),
    S.DISCHARGED: frozenset(),
    S.ABORTED: frozenset(),
}

FINAL: frozenset[str] = frozenset({S.DISCHARGED, S.ABORTED})

# Moving into these needs a reason in words, kept with the status change.
REASON_REQUIRED: frozenset[str] = frozenset({S.ABORTED})

# A client is "at the chair" in these: one such session per course at a time.
LIVE: frozenset[str] = frozenset({S.CHECKED_IN, S.PRE_DOSE_CHECKS, S.DOSING, S.MONITORING})

# Checked in and not yet dosed: the dose order, its product and pre-dose answers still apply.
AWAITING_DOSE: frozenset[str] = frozenset({S.CHECKED_IN, S.PRE_DOSE_CHECKS})

# Vital signs and ratings are recorded once the dose has started.
AFTER_DOSE: frozenset[str] = frozenset({S.DOSING, S.MONITORING})

# The dose is over (monitoring or discharged): the esketamine REMS monitoring form is filled in.
REMS_RECORDABLE: frozenset[str] = frozenset({S.MONITORING, S.DISCHARGED})

# The steps in order, for showing where a session is.
STEPS: tuple[str, ...] = (
    S.SCHEDULED,
    S.CHECKED_IN,
    S.PRE_DOSE_CHECKS,
    S.DOSING,
    S.MONITORING,
    S.DISCHARGED,
)


def allowed_targets(status: str) -> frozenset[str]:
    return TRANSITIONS[status]
