"""Asking the prescriber from the chair, and the prescriber's decision.

When the latest pre-dose check has findings that need prescriber review (FACTS.md §4.3: PHQ-9
item 9 ≥ 1, blood pressure above the review line…), the nurse asks; every prescriber on the
client's care team sees the request on their home page ("Needs you now") at once and gets an
e-mail once the request is committed. The e-mail names no client and no value: it only says a
client at the chair needs their review and links to the request inside the signed-in app.

The prescriber approves (which clears the check, `clear_pre_dose_check`) or declines with a
reason, signing with their typed name as for dose orders. Both lock the session first, so its
revision moves and the nurse's polled status panel shows the decision within seconds.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kapcare.accounts.actor import Actor, staff_user
from kapcare.accounts.signatures import typed_name_matches
from kapcare.audit.models import AuditAction
from kapcare.dosing import selectors, tasks
from kapcare.dosing.models import DosingSession, DosingStatus, ReviewRequest, ReviewStatus
from kapcare.dosing.permissions import can_clear_check, can_work_the_chair
from kapcare.dosing.review_selectors import prescribers_to_ask
from kapcare.dosing.rules import REVIEW, STOP
from kapcare.dosing.services.checks import clear_pre_dose_check
from kapcare.dosing.services.common import audit, lock_session, require, require_status

S = DosingStatus


@transaction.atomic
def ask_prescriber(
    *, actor: Actor, session: DosingSession, note: str = "", link_base: str = ""
) -> ReviewRequest:
    """Ask the care team's prescriber(s) to review the session's latest pre-dose check.

    Only for a check whose problems all need review (a STOP cannot be cleared by anyone) and
    that nobody has cleared yet; one waiting request per session (asking about a newer check
    replaces the earlier request). `link_base` is the site's address (scheme and host) for the
    e-mail's link; the e-mail is sent after commit by a background task."""
    require(
        can_work_the_chair(actor, session.client),
        _("Only a nurse or prescriber on the care team does this at the chair."),
    )
    session = lock_session(session)
    require_status(session, S.PRE_DOSE_CHECKS)
    check = selectors.latest_check(session)
    problems = check.problems if check else []
    if check is None or not any(p["severity"] == REVIEW for p in problems):
        raise ValidationError(_("Nothing in the latest checks needs a prescriber's review."))
    if any(p["severity"] == STOP for p in problems):
        raise ValidationError(
            _("The latest checks have a problem that stops dosing; no review can clear it.")
        )
    if check.cleared_at is not None:
        raise ValidationError(_("These checks are already cleared for dosing."))
    recipients = prescribers_to_ask(session)
    if not recipients:
        raise ValidationError(
            _("No prescriber is on this client's care team: add one, or call the prescriber.")
        )
    waiting = ReviewRequest.objects.select_for_update().filter(
        session=session, status=ReviewStatus.WAITING
    )
    for earlier in waiting:
        if earlier.pre_dose_check_id == check.pk:
            raise ValidationError(
                _("The prescriber was already asked at %(t)s; the request is waiting.")
                % {"t": timezone.localtime(earlier.requested_at).strftime("%H:%M")}
            )
    waiting.update(status=ReviewStatus.SUPERSEDED)
    request = ReviewRequest.objects.create(
        clinic=session.clinic,
        session=session,
        pre_dose_check=check,
        requested_by=staff_user(actor),
        note=note.strip(),
    )
    audit(
        actor,
        session,
        AuditAction.CREATE,
        _("Asked the prescriber to review the pre-dose checks of session %(n)s")
        % {"n": session.number},
        {"check": check.pk, "recipients": [u.pk for u in recipients]},
        obj=request,
    )
    url = link_base.rstrip("/") + reverse("dosing_clinic:review", args=[request.pk])
    transaction.on_commit(lambda: _enqueue_notice(request.pk, url))
    return request


def _enqueue_notice(request_id: int, url: str) -> None:
    tasks.notify_prescribers_of_review.enqueue(request_id, url)


@transaction.atomic
def decide_review_request(
    *,
    actor: Actor,
    request: ReviewRequest,
    approve: bool,
    reason: str,
    signature_name: str,
) -> ReviewRequest:
    """The prescriber's signed decision. Approving clears the check for dosing (with `reason`
    as the clearance reason); declining keeps the dose gate shut and tells the nurse why.
    A request the session has moved past (a newer check, the session ended) is marked no
    longer needed instead, and says so."""
    session = request.session
    require(
        can_clear_check(actor, session.client),
        _("Only a prescriber on the care team decides this."),
    )
    session = lock_session(session)
    locked = ReviewRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != ReviewStatus.WAITING:
        if locked.decided_by_id:
            decider = locked.decided_by
            assert decider is not None  # decided_by_id is set
            raise ValidationError(
                _("%(who)s already decided this request.") % {"who": decider.full_name}
            )
        raise ValidationError(_("This request is no longer needed."))
    errors = {}
    if not reason.strip():
        errors["reason"] = (
            _("Give the clinical reason for going ahead.")
            if approve
            else _("Say why the dose should not go ahead, for the nurse.")
        )
    if not typed_name_matches(signature_name, staff_user(actor).full_name):
        errors["signature_name"] = _("Type your full name exactly as on your account (%(n)s).") % {
            "n": staff_user(actor).full_name
        }
    if errors:
        raise ValidationError(errors)
    latest = selectors.latest_check(session)
    if (
        session.status != S.PRE_DOSE_CHECKS
        or latest is None
        or latest.pk != locked.pre_dose_check_id
        or latest.cleared_at is not None
    ):
        locked.status = ReviewStatus.SUPERSEDED
        locked.save(update_fields=["status"])
        audit(actor, session, AuditAction.UPDATE, _("Review request no longer needed"), obj=locked)
        return locked
    if approve:
        clear_pre_dose_check(actor=actor, check=latest, reason=reason)
    locked.status = ReviewStatus.APPROVED if approve else ReviewStatus.DECLINED
    locked.decided_by, locked.decided_at = actor.user, timezone.now()
    locked.decision_reason = reason.strip()
    locked.signature_name = " ".join(signature_name.split())
    locked.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "signature_name"]
    )
    audit(
        actor,
        session,
        AuditAction.UPDATE,
        _("Prescriber approved dosing after review")
        if approve
        else _("Prescriber declined dosing after review"),
        {"reason": locked.decision_reason, "check": latest.pk},
        obj=locked,
    )
    return locked
