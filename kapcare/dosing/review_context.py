"""What the live page shows about asking the prescriber: the request's state in the polled
status panel, and the nurse's "Ask the prescriber" action beside the checks."""

from __future__ import annotations

from kapcare.dosing.models import DosingSession, DosingStatus
from kapcare.dosing.review_forms import AskReviewForm
from kapcare.dosing.review_selectors import session_review
from kapcare.dosing.rules import REVIEW, STOP


def panel_review(session: DosingSession):
    """The session's latest request while the client is at the pre-dose checks, else None."""
    if session.status != DosingStatus.PRE_DOSE_CHECKS:
        return None
    return session_review(session)


def ask_form(*, check, review, can_chair: bool, can_clear: bool) -> AskReviewForm | None:
    """The action, for someone at the chair who cannot clear the check themselves, when the
    latest check needs review (and nothing stops dosing) and nobody is being asked about it."""
    if not can_chair or can_clear or check is None or check.cleared_at is not None:
        return None
    severities = {p["severity"] for p in check.problems}
    if REVIEW not in severities or STOP in severities:
        return None
    if review is not None and review.still_waiting and review.pre_dose_check_id == check.pk:
        return None
    return AskReviewForm()
